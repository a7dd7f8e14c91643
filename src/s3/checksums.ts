/**
 * S3 flexible checksums on requests: which one a write carries (x-amz-checksum-<alg> header, or a
 * trailer announced by x-amz-trailer), the checksum an upload asks for at Create, and the checksum
 * of small bodies (DeleteObjects may carry one instead of Content-MD5).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { headerValue } from '../auth/headers';
import { CofferError } from '../common/errors';
import { CHECKSUM_ALGORITHMS, digestLength, isChecksumAlgorithm, newChecksummer, type ChecksumAlgorithm } from '../crypto/checksums';
import { readSmallBody } from '../oss/body';
import type { OssRequest } from '../oss/request';
import type { DecodedPayload } from './payload';

const headerName = (a: ChecksumAlgorithm): string => `x-amz-checksum-${a.toLowerCase()}`;

function checkValue(algorithm: ChecksumAlgorithm, value: string): string {
  const raw = /^[A-Za-z0-9+/]*={0,2}$/.test(value) ? Buffer.from(value, 'base64') : null;
  if (!raw || raw.length !== digestLength(algorithm) || raw.toString('base64') !== value) {
    throw new CofferError('InvalidRequest', `Value for ${headerName(algorithm)} header is invalid.`);
  }
  return value;
}

/** The checksum a request's headers carry: at most one x-amz-checksum-<alg>, validated. */
function headerChecksum(req: OssRequest): { algorithm: ChecksumAlgorithm; value: string } | undefined {
  const found = CHECKSUM_ALGORITHMS.filter((a) => req.raw.headers[headerName(a)] !== undefined);
  if (found.length > 1) throw new CofferError('InvalidRequest', 'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.');
  if (found.length === 0) return undefined;
  return { algorithm: found[0], value: checkValue(found[0], headerValue(req.raw.headers, headerName(found[0]))!) };
}

/** x-amz-checksum-algorithm / x-amz-sdk-checksum-algorithm values: upper-case names, any case on the wire. */
function algorithmOf(value: string, name: string): ChecksumAlgorithm {
  const upper = value.toUpperCase();
  if (!isChecksumAlgorithm(upper)) throw new CofferError('InvalidRequest', `Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]`, { ArgumentName: name, ArgumentValue: value });
  return upper;
}

/** The checksum of a write's body (PutObject, UploadPart): from a header, or a trailer read after the body. */
export function writeChecksum(req: OssRequest, payload: DecodedPayload): void {
  const inHeader = headerChecksum(req);
  const trailer = (headerValue(req.raw.headers, 'x-amz-trailer') ?? '').split(',').map((t) => t.trim().toLowerCase()).filter((t) => t.startsWith('x-amz-checksum-'));
  if (trailer.length > 1) throw new CofferError('InvalidRequest', 'Expecting a single x-amz-checksum- trailer.');
  const sdk = headerValue(req.raw.headers, 'x-amz-sdk-checksum-algorithm');
  if (inHeader && trailer.length) throw new CofferError('InvalidRequest', 'A checksum goes in a header or a trailer, not both.');
  if (inHeader) {
    req.checksum = { algorithm: inHeader.algorithm, expected: () => inHeader.value };
    return;
  }
  if (trailer.length) {
    const algorithm = algorithmOf(trailer[0].slice('x-amz-checksum-'.length), 'x-amz-trailer');
    req.checksum = {
      algorithm,
      expected: () => {
        const value = payload.trailers().get(trailer[0]);
        if (value === undefined) throw new CofferError('MalformedTrailerError', `The request body ended without the ${trailer[0]} trailer it announced.`);
        return checkValue(algorithm, value.trim());
      },
    };
    return;
  }
  if (sdk !== undefined) {
    throw new CofferError('InvalidRequest', `x-amz-sdk-checksum-algorithm specified, but no corresponding ${headerName(algorithmOf(sdk, 'x-amz-sdk-checksum-algorithm'))} or x-amz-trailer headers were found.`);
  }
}

/** CreateMultipartUpload: x-amz-checksum-algorithm and x-amz-checksum-type (COMPOSITE by default; CRC64NVME is FULL_OBJECT only). */
export function uploadChecksum(req: OssRequest): void {
  const alg = headerValue(req.raw.headers, 'x-amz-checksum-algorithm');
  const type = headerValue(req.raw.headers, 'x-amz-checksum-type');
  if (alg === undefined) {
    if (type !== undefined) throw new CofferError('InvalidRequest', 'x-amz-checksum-type needs x-amz-checksum-algorithm.');
    return;
  }
  const algorithm = algorithmOf(alg, 'x-amz-checksum-algorithm');
  if (type !== undefined && type !== 'COMPOSITE' && type !== 'FULL_OBJECT') {
    throw new CofferError('InvalidRequest', 'The value specified in the x-amz-checksum-type header is not supported.', { ArgumentName: 'x-amz-checksum-type', ArgumentValue: type });
  }
  req.uploadChecksum = { algorithm, type: type ?? (algorithm === 'CRC64NVME' ? 'FULL_OBJECT' : 'COMPOSITE') };
}

/** CompleteMultipartUpload: a whole-object checksum the client claims, in a header. */
export function completeChecksum(req: OssRequest): void {
  const ck = headerChecksum(req);
  if (ck) req.checksum = { algorithm: ck.algorithm, expected: () => ck.value };
}

/**
 * DeleteObjects: S3 wants Content-MD5 or a flexible checksum of the document (current SDKs send
 * CRC32 instead of MD5). The checksum is verified here; the operation then gets the body with its
 * MD5, which it requires.
 */
export async function smallBodyChecksum(req: OssRequest): Promise<void> {
  const ck = headerChecksum(req);
  if (req.headers['content-md5'] !== undefined && !ck) return;
  if (!ck) throw new CofferError('InvalidRequest', 'Missing required header for this request: Content-MD5 or x-amz-checksum-*.');
  const body = Buffer.from(await readSmallBody(req), 'utf8');
  const value = newChecksummer(ck.algorithm).update(body).digest().toString('base64');
  if (value !== ck.value) throw new CofferError('BadDigest', `The ${ck.algorithm} you specified did not match the calculated checksum.`);
  req.body = Readable.from([body]);
  req.headers['content-md5'] = createHash('md5').update(body).digest('base64');
}
