/** RestoreObject (`POST /<key>?restore`): makes an Archive, ColdArchive or DeepColdArchive object readable for a while. */
import { requireBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { restoreObject } from '../core/storage-class';
import { authorizeObject } from './access';
import { readSmallBody } from './body';
import type { OssRequest, OssResponse } from './request';
import { parseXml, textOf } from './xml';

/**
 * The optional body: <RestoreRequest><Days>n</Days><JobParameters><Tier>…</Tier></JobParameters>
 * </RestoreRequest>. oss2's and the Go SDK's plain restore send none; ali-oss always sends Days.
 */
function restoreRequestOf(body: string): { days?: number; jobParameters?: { tier?: string } } {
  if (!body.trim()) return {};
  const doc = parseXml(body, 'RestoreRequest');
  const days = textOf(doc, 'Days');
  const job = doc.JobParameters;
  const jobParameters = job === undefined ? undefined
    : { tier: typeof job === 'object' && job !== null ? textOf(job as Record<string, unknown>, 'Tier') : undefined };
  return { days: days === undefined ? undefined : /^-?\d+$/.test(days.trim()) ? Number(days) : NaN, jobParameters };
}

export async function RestoreObject(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const bucket = await requireBucket(c, req.bucket!);
  const obj = await c.meta.getObject(req.bucket!, req.key!);
  authorizeObject(c, req, 'oss:RestoreObject', bucket, req.key!, obj?.acl);
  const body = await readSmallBody(req);
  const { started, tier } = await restoreObject(c, { bucket: req.bucket!, key: req.key!, ...restoreRequestOf(body) });
  // 202 when a restore starts, 200 when a restored copy's time is extended (the RestoreObject page).
  return { status: started ? 202 : 200, headers: { 'x-oss-object-restore-priority': tier } };
}
