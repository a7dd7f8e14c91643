/** GetBucketStat (`GET /<bucket>?stat`): storage, object, upload and part counts, per storage class. */
import { bucketStats } from '../core/bucket-stats';
import { requireBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { authorizeBucket } from './access';
import type { OssRequest, OssResponse } from './request';
import { xmlDoc } from './xml';

/** The element name prefix of each non-Standard class (GetBucketStat page; oss2 parse_get_bucket_stat). */
const CLASS_ELEMENTS: Array<[string, string]> = [
  ['IA', 'InfrequentAccess'], ['Archive', 'Archive'], ['ColdArchive', 'ColdArchive'], ['DeepColdArchive', 'DeepColdArchive'],
];

export async function GetBucketStat(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const bucket = await requireBucket(c, req.bucket!);
  authorizeBucket(c, req, 'oss:GetBucketStat', bucket);
  const s = await bucketStats(c.meta, bucket.name);
  const of = (cls: string) => s.classes[cls] ?? { count: 0, bytes: 0, billed: 0 };
  const perClass: Record<string, number> = {};
  for (const [cls, name] of CLASS_ELEMENTS) {
    // *Storage is what OSS bills (64 KB at least per object), *RealStorage the bytes stored.
    perClass[`${name}Storage`] = of(cls).billed;
    perClass[`${name}RealStorage`] = of(cls).bytes;
    perClass[`${name}ObjectCount`] = of(cls).count;
  }
  return {
    status: 200,
    body: xmlDoc('BucketStat', {
      Storage: s.bytes,
      ObjectCount: s.objects,
      MultipartUploadCount: s.uploads,
      LiveChannelCount: 0,
      LastModifiedTime: Math.floor(Math.max(s.lastModified, bucket.createdAt) / 1000),
      StandardStorage: of('Standard').bytes,
      StandardObjectCount: of('Standard').count,
      ...perClass,
      MultipartPartCount: s.parts,
      MultipartPartStorage: s.partBytes,
      DeleteMarkerCount: 0,
    }),
  };
}
