/** Small request bodies (XML documents): bounded, and checked against Content-MD5 when sent. */
import { createHash } from 'node:crypto';
import { CofferError } from '../common/errors';
import { LIMITS } from '../core/coffer';
import { header, type OssRequest } from './request';
import { malformedXml } from './xml';

const MAX_XML = 4 * 1024 * 1024;

export async function readSmallBody(req: OssRequest, opts: { requireMd5?: boolean } = {}): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req.body) {
    size += (chunk as Buffer).length;
    if (size > MAX_XML) throw new CofferError('EntityTooLarge', 'The request body is too large.');
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  const md5 = header(req, 'content-md5');
  if (md5 === undefined && opts.requireMd5) {
    throw new CofferError('InvalidDigest', 'Content-MD5 is required for this request.', { EC: '0016-00000606' });
  }
  if (md5 !== undefined && createHash('md5').update(body).digest('base64') !== md5) {
    throw new CofferError('InvalidDigest', 'The Content-MD5 you specified did not match what we received.');
  }
  try {
    // Fatal: a replacement character silently standing in for bad bytes could name another key.
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw malformedXml('the body is not UTF-8');
  }
}

/** Content-Length of a data upload, refusing bodies over the single-request limit before reading them. */
export function uploadLength(req: OssRequest): { maxSize?: number; sizeHint?: number } {
  const len = header(req, 'content-length');
  if (len !== undefined) {
    if (Number(len) > LIMITS.maxObjectSize) throw new CofferError('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.');
    return { sizeHint: Number(len) };
  }
  // Chunked bodies (ali-oss putStream) are bounded while streaming.
  return { maxSize: LIMITS.maxObjectSize };
}
