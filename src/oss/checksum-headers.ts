/**
 * Flexible checksums in answers. OSS has none of its own; a checksum exists only where an S3 client
 * asked for it, and is answered in neutral x-oss-checksum-* headers and Checksum<ALG> elements that
 * the S3 dialect renames (s3/responses.ts).
 */
import type { StoredChecksum } from '../store/types';
import type { XmlObject } from './xml';

type Checksum = Pick<StoredChecksum, 'algorithm' | 'value'> & { type?: StoredChecksum['type'] };

export function checksumHeaders(ck: Checksum | undefined): Record<string, string | undefined> {
  if (!ck) return {};
  return { [`x-oss-checksum-${ck.algorithm.toLowerCase()}`]: ck.value, 'x-oss-checksum-type': ck.type };
}

/** <ChecksumCRC32>…</ChecksumCRC32> and, for objects, <ChecksumType>. */
export function checksumElements(ck: Checksum | undefined): XmlObject {
  if (!ck) return {};
  return { [`Checksum${ck.algorithm}`]: ck.value, ChecksumType: ck.type };
}
