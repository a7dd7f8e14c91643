/**
 * Bucket retention policies (WORM): InitiateBucketWorm (POST ?worm), AbortBucketWorm (DELETE
 * ?worm), CompleteBucketWorm (POST ?wormId=…), ExtendBucketWorm (POST ?wormExtend&wormId=…),
 * GetBucketWorm (GET ?worm). The rules live in src/core/retention.ts.
 */
import { requireBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { abortWorm, completeWorm, extendWorm, getWorm, initiateWorm } from '../core/retention';
import { CofferError } from '../common/errors';
import { authorizeBucket } from './access';
import { readSmallBody } from './body';
import { isoTime } from './format';
import type { OssRequest, OssResponse } from './request';
import { parseXml, tokenOf, xmlDoc } from './xml';

/** RetentionPeriodInDays of an InitiateWormConfiguration / ExtendWormConfiguration body. */
async function daysIn(req: OssRequest, root: string): Promise<number> {
  const raw = tokenOf(parseXml(await readSmallBody(req), root), 'RetentionPeriodInDays');
  if (raw === undefined) throw new CofferError('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema: <${root}> needs <RetentionPeriodInDays>.`);
  if (!/^\d{1,9}$/.test(raw)) {
    throw new CofferError('InvalidArgument', 'RetentionPeriodInDays must be a whole number of days.', { ArgumentName: 'RetentionPeriodInDays', ArgumentValue: raw });
  }
  return Number(raw);
}

const wormIdOf = (req: OssRequest): string => req.query.get('wormId') ?? '';

export async function InitiateBucketWorm(c: Coffer, req: OssRequest): Promise<OssResponse> {
  authorizeBucket(c, req, 'oss:InitiateBucketWorm', await requireBucket(c, req.bucket!));
  const worm = await initiateWorm(c, req.bucket!, await daysIn(req, 'InitiateWormConfiguration'));
  return { status: 200, headers: { 'x-oss-worm-id': worm.wormId } };
}

export async function AbortBucketWorm(c: Coffer, req: OssRequest): Promise<OssResponse> {
  authorizeBucket(c, req, 'oss:AbortBucketWorm', await requireBucket(c, req.bucket!));
  await abortWorm(c, req.bucket!);
  return { status: 204 };
}

export async function CompleteBucketWorm(c: Coffer, req: OssRequest): Promise<OssResponse> {
  authorizeBucket(c, req, 'oss:CompleteBucketWorm', await requireBucket(c, req.bucket!));
  await completeWorm(c, req.bucket!, wormIdOf(req));
  return { status: 200 };
}

export async function ExtendBucketWorm(c: Coffer, req: OssRequest): Promise<OssResponse> {
  authorizeBucket(c, req, 'oss:ExtendBucketWorm', await requireBucket(c, req.bucket!));
  await extendWorm(c, req.bucket!, wormIdOf(req), await daysIn(req, 'ExtendWormConfiguration'));
  return { status: 200 };
}

export async function GetBucketWorm(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const b = await requireBucket(c, req.bucket!);
  authorizeBucket(c, req, 'oss:GetBucketWorm', b);
  const w = getWorm(c, b);
  return {
    status: 200,
    body: xmlDoc('WormConfiguration', {
      WormId: w.wormId,
      State: w.state,
      RetentionPeriodInDays: w.retentionDays,
      CreationDate: isoTime(w.createdAt),
      // When an unlocked configuration lapses.
      ExpirationDate: w.state === 'InProgress' ? isoTime(w.createdAt + c.dayMs) : undefined,
    }),
  };
}
