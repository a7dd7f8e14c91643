/** ListBuckets (GetService). */
import { listBuckets } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { CofferError } from '../common/errors';
import { authorize } from '../iam/authorize';
import { ossResource } from './access';
import { isoTime } from './format';
import { owner, endpoints } from './bucket';
import { param, type OssRequest, type OssResponse } from './request';
import { xmlDoc } from './xml';

export function maxKeysParam(req: OssRequest, name: string, def: number, max = 1000): number {
  const raw = param(req, name);
  if (raw === undefined) return def;
  const n = Number(raw);
  // OSS accepts 1 to 1000; 0 would make an empty page that claims to be truncated, with nothing to resume from.
  if (!/^\d+$/.test(raw) || n < 1 || n > max) {
    throw new CofferError('InvalidArgument', `${name} must be an integer between 1 and ${max}.`, { ArgumentName: name, ArgumentValue: raw });
  }
  return n;
}

export async function ListBuckets(c: Coffer, req: OssRequest): Promise<OssResponse> {
  if (req.caller.principal.kind === 'anonymous') throw new CofferError('AccessDenied', 'Anonymous access is forbidden for this operation.');
  authorize(req.caller, 'oss:ListBuckets', ossResource(c), { bucket: null });
  const prefix = param(req, 'prefix') ?? '';
  const marker = param(req, 'marker') ?? '';
  const maxKeys = maxKeysParam(req, 'max-keys', 100);
  const { buckets, truncated } = await listBuckets(c, { prefix, marker, maxKeys });
  return {
    status: 200,
    body: xmlDoc('ListAllMyBucketsResult', {
      Prefix: prefix,
      Marker: marker,
      MaxKeys: maxKeys,
      IsTruncated: truncated,
      NextMarker: truncated ? buckets[buckets.length - 1].name : undefined,
      Owner: owner(c),
      Buckets: {
        Bucket: buckets.map((b) => ({
          Name: b.name,
          CreationDate: isoTime(b.createdAt),
          Location: `oss-${b.region}`,
          ...endpoints(req),
          StorageClass: b.storageClass,
          Region: b.region,
        })),
      },
    }),
  };
}
