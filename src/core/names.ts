/** Bucket and object name rules. */
import { CofferError } from '../common/errors';
import { LIMITS } from './coffer';

const BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

export function checkBucketName(name: string): void {
  if (!BUCKET.test(name)) {
    throw new CofferError('InvalidBucketName', 'The specified bucket is not valid.', { BucketName: name });
  }
}

export function checkObjectKey(key: string): void {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes === 0 || bytes > LIMITS.maxKeyBytes || key.startsWith('/') || key.startsWith('\\')) {
    throw new CofferError('InvalidObjectName', 'The specified object is not valid.', { ObjectName: key });
  }
}
