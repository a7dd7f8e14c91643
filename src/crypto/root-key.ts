/**
 * The root key seals every other secret at rest (SSE-OSS master keys, KMS key material,
 * stored access-key secrets). It comes from COFFER_ROOT_KEY, --root-key-file, or a generated
 * file in the data directory.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { makePrivate } from './private-files';

export interface RootKeySource {
  /** COFFER_ROOT_KEY: 64 hex chars or base64 of 32 bytes. */
  env?: string;
  file?: string;
  dataDir: string;
}

export interface LoadedRootKey {
  key: Buffer;
  origin: 'env' | 'file' | 'generated' | 'data-dir';
  /** Set when a key was generated: where it was written. */
  generatedAt?: string;
}

export const GENERATED_ROOT_KEY_FILE = 'root.key';

export function parseRootKey(text: string, where: string): Buffer {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32) throw new Error(`${where}: the root key must be 32 bytes, as 64 hex characters or base64`);
  return key;
}

export async function loadRootKey(src: RootKeySource): Promise<LoadedRootKey> {
  if (src.env) return { key: parseRootKey(src.env, 'COFFER_ROOT_KEY'), origin: 'env' };
  if (src.file) return { key: parseRootKey(await fs.readFile(src.file, 'utf8'), src.file), origin: 'file' };
  const file = path.join(src.dataDir, GENERATED_ROOT_KEY_FILE);
  try {
    const key = parseRootKey(await fs.readFile(file, 'utf8'), file);
    await makePrivate(file);
    return { key, origin: 'data-dir' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = randomBytes(32);
  await fs.writeFile(file, key.toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  return { key, origin: 'generated', generatedAt: file };
}
