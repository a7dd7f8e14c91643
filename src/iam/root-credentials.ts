/**
 * The account root's access key pair: from COFFER_ROOT_ACCESS_KEY_ID / _SECRET, else the pair
 * this store was given on its first start. The embedded store keeps it in the data directory
 * (mode 0600), as it always has; a cluster keeps it in the shared metadata store, sealed by the
 * root key, so every node serves the same pair. A generated pair is reported once so the caller
 * can print it.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { open, seal } from '../crypto/aead';
import { makePrivate } from '../crypto/private-files';
import type { MetadataStore } from '../store/types';

export interface RootCredentials {
  accessKeyId: string;
  secret: string;
  origin: 'env' | 'data-dir' | 'store' | 'generated';
}

export const ROOT_CREDENTIALS_FILE = 'root-credentials.json';
const SETTING = 'root-credentials';
const AAD = Buffer.from('coffer/v1/root-credentials');

export interface RootCredentialPlace {
  env: NodeJS.ProcessEnv;
  /** Embedded store: the data directory keeps the pair. */
  dataDir?: string;
  /** Cluster: the metadata store keeps it, sealed by the root key. */
  store?: { meta: MetadataStore; rootKey: Buffer };
  /** A pair to keep when the store has none yet, instead of a generated one (migration). */
  adopt?: { accessKeyId: string; secret: string };
}

const generate = (): { accessKeyId: string; secret: string } => ({
  accessKeyId: `LTAI${randomBytes(10).toString('hex')}`,
  secret: randomBytes(22).toString('base64url').slice(0, 30),
});

export async function loadRootCredentials(place: RootCredentialPlace): Promise<RootCredentials> {
  const id = place.env.COFFER_ROOT_ACCESS_KEY_ID;
  const secret = place.env.COFFER_ROOT_ACCESS_KEY_SECRET;
  if (id || secret) {
    if (!id || !secret) throw new Error('set both COFFER_ROOT_ACCESS_KEY_ID and COFFER_ROOT_ACCESS_KEY_SECRET, or neither');
    return { accessKeyId: id, secret, origin: 'env' };
  }
  if (place.store) return fromStore(place.store.meta, place.store.rootKey, place.adopt ?? generate());
  if (!place.dataDir) throw new Error('root credentials need a data directory or a metadata store');
  const file = path.join(place.dataDir, ROOT_CREDENTIALS_FILE);
  try {
    const stored = JSON.parse(await fs.readFile(file, 'utf8')) as { accessKeyId: string; secret: string };
    await makePrivate(file);
    return { ...stored, origin: 'data-dir' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const generated = generate();
  await fs.writeFile(file, JSON.stringify(generated, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  return { ...generated, origin: 'generated' };
}

async function fromStore(meta: MetadataStore, rootKey: Buffer, candidate: { accessKeyId: string; secret: string }): Promise<RootCredentials> {
  const sealed = seal(rootKey, Buffer.from(JSON.stringify(candidate)), AAD).toString('base64');
  // Nodes starting at once race here; the first commit wins and the others read its pair.
  const { stored, created } = await meta.transaction(async (tx) => {
    const existing = await tx.getSetting(SETTING);
    if (existing !== null) return { stored: existing, created: false };
    await tx.setSetting(SETTING, sealed);
    return { stored: sealed, created: true };
  });
  const pair = JSON.parse(open(rootKey, Buffer.from(stored, 'base64'), AAD).toString('utf8')) as { accessKeyId: string; secret: string };
  return { ...pair, origin: created ? 'generated' : 'store' };
}
