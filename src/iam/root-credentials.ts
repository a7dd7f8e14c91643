/**
 * The account root's access key pair: from COFFER_ROOT_ACCESS_KEY_ID / _SECRET, or generated on
 * first start into the data directory (mode 0600) and reported once so the caller can print it.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';

export interface RootCredentials {
  accessKeyId: string;
  secret: string;
  origin: 'env' | 'data-dir' | 'generated';
}

export const ROOT_CREDENTIALS_FILE = 'root-credentials.json';

export async function loadRootCredentials(dataDir: string, env: NodeJS.ProcessEnv): Promise<RootCredentials> {
  const id = env.COFFER_ROOT_ACCESS_KEY_ID;
  const secret = env.COFFER_ROOT_ACCESS_KEY_SECRET;
  if (id || secret) {
    if (!id || !secret) throw new Error('set both COFFER_ROOT_ACCESS_KEY_ID and COFFER_ROOT_ACCESS_KEY_SECRET, or neither');
    return { accessKeyId: id, secret, origin: 'env' };
  }
  const file = path.join(dataDir, ROOT_CREDENTIALS_FILE);
  try {
    const stored = JSON.parse(await fs.readFile(file, 'utf8')) as { accessKeyId: string; secret: string };
    return { ...stored, origin: 'data-dir' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const generated = {
    accessKeyId: `LTAI${randomBytes(10).toString('hex')}`,
    secret: randomBytes(22).toString('base64url').slice(0, 30),
  };
  await fs.writeFile(file, JSON.stringify(generated, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
  return { ...generated, origin: 'generated' };
}
