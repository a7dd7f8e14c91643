/**
 * Refuses a root key that is not the one the data directory was created with, before anything
 * is written with it: the first start stores a sealed check value, later starts must open it.
 */
import { randomBytes } from 'node:crypto';
import { open, seal } from '../../crypto/aead';
import type { MetadataStore } from '../../store/types';

const SETTING = 'root-key-check';
const AAD = Buffer.from('coffer/v1/root-key-check');

export class RootKeyMismatchError extends Error {
  constructor() {
    super('the root key does not match the one this data directory was created with; '
      + 'start with the original key (COFFER_ROOT_KEY or --root-key-file). Nothing was written.');
    this.name = 'RootKeyMismatchError';
  }
}

export async function verifyRootKey(meta: MetadataStore, rootKey: Buffer): Promise<'verified' | 'initialized'> {
  const stored = await meta.getSetting(SETTING);
  if (stored !== null) {
    try {
      open(rootKey, Buffer.from(stored, 'base64'), AAD);
    } catch {
      throw new RootKeyMismatchError();
    }
    return 'verified';
  }
  const check = seal(rootKey, randomBytes(32), AAD).toString('base64');
  await meta.transaction(async (tx) => {
    if ((await tx.getSetting(SETTING)) === null) await tx.setSetting(SETTING, check);
  });
  return 'initialized';
}
