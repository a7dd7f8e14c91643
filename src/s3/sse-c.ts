/**
 * SSE-C request headers: the customer's key for the object (x-amz-server-side-encryption-customer-*)
 * and for a copy's source (x-amz-copy-source-server-side-encryption-customer-*). The key travels
 * with every request and is never stored, so it may only travel encrypted: over plain HTTP it is
 * refused unless the server was started with --allow-sse-c-over-http (local tests).
 */
import { createHash } from 'node:crypto';
import { headerValue } from '../auth/headers';
import { CofferError } from '../common/errors';
import { CUSTOMER_KEY_SIZE } from '../core/encryption';
import type { OssRequest } from '../oss/request';

export interface CustomerKeyHeaders { key: Buffer; keyMd5: string }

function readKey(req: OssRequest, prefix: string, allowPlainHttp: boolean): CustomerKeyHeaders | undefined {
  const algorithm = headerValue(req.raw.headers, `${prefix}-algorithm`);
  const key = headerValue(req.raw.headers, `${prefix}-key`);
  const keyMd5 = headerValue(req.raw.headers, `${prefix}-key-md5`);
  if (algorithm === undefined && key === undefined && keyMd5 === undefined) return undefined;
  if (algorithm === undefined) {
    throw new CofferError('InvalidArgument', 'Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.', { ArgumentName: `${prefix}-algorithm`, ArgumentValue: 'null' });
  }
  if (algorithm !== 'AES256') {
    throw new CofferError('InvalidEncryptionAlgorithmError', 'The encryption request you specified is not valid. The valid value is AES256.', { ArgumentName: `${prefix}-algorithm`, ArgumentValue: algorithm });
  }
  const raw = key !== undefined && /^[A-Za-z0-9+/]+={0,2}$/.test(key) ? Buffer.from(key, 'base64') : null;
  if (!raw || raw.length !== CUSTOMER_KEY_SIZE) {
    throw new CofferError('InvalidArgument', 'The secret key was invalid for the specified algorithm.', { ArgumentName: `${prefix}-key`, ArgumentValue: 'null' });
  }
  const md5 = createHash('md5').update(raw).digest('base64');
  if (keyMd5 === undefined || keyMd5 !== md5) {
    throw new CofferError('InvalidArgument', 'The calculated MD5 hash of the key did not match the hash that was provided.', { ArgumentName: `${prefix}-key-MD5`, ArgumentValue: keyMd5 ?? 'null' });
  }
  if (!req.caller.secure && !allowPlainHttp) {
    throw new CofferError('InvalidRequest', 'Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.');
  }
  return { key: raw, keyMd5: md5 };
}

/**
 * Reads the SSE-C headers into the request; answers the key's MD5 for the response headers.
 * `allowPlainHttp` is --allow-sse-c-over-http.
 */
export function customerKeys(req: OssRequest, allowPlainHttp: boolean): string | undefined {
  const own = readKey(req, 'x-amz-server-side-encryption-customer', allowPlainHttp);
  const source = readKey(req, 'x-amz-copy-source-server-side-encryption-customer', allowPlainHttp);
  if (own && req.raw.headers['x-amz-server-side-encryption'] !== undefined) {
    throw new CofferError('InvalidArgument', 'Server Side Encryption with Customer provided key is incompatible with the encryption method specified', { ArgumentName: 'x-amz-server-side-encryption', ArgumentValue: headerValue(req.raw.headers, 'x-amz-server-side-encryption')! });
  }
  if (own) req.customerKey = own.key;
  if (source) req.sourceCustomerKey = source.key;
  return own?.keyMd5;
}

/** What S3 answers about an SSE-C request that succeeded: the algorithm and the key's MD5. */
export function customerKeyResponseHeaders(keyMd5: string): Record<string, string> {
  return {
    'x-amz-server-side-encryption-customer-algorithm': 'AES256',
    'x-amz-server-side-encryption-customer-key-MD5': keyMd5,
  };
}
