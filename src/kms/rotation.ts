/**
 * UpdateRotationPolicy and automatic rotation (reference §4.5). A key with a RotationInterval
 * gets a new primary version once `LastRotationDate + interval` has passed: lazily, when the key
 * is next touched (KeyStore.current), and from rotateDueKeys(), which the server runs
 * periodically. Old versions stay and keep decrypting. Only Aliyun_KMS keys rotate; an EXTERNAL
 * key's material comes from its owner.
 */
import { CofferError } from '../common/errors';
import { invalidParameter, missingParameter } from './errors';
import type { KeyStore } from './key-store';
import { requireString } from './params';
import type { KeyRecord } from './records';
import { isRotationDue } from './states';
import type { EmptyResponse, UpdateRotationPolicyRequest } from './types';

const DAY = 86_400;
const MIN_INTERVAL = 7 * DAY;
const MAX_INTERVAL = 365 * DAY;
const UNIT_SECONDS: Readonly<Record<string, number>> = { d: DAY, h: 3600, m: 60, s: 1 };

/** `<n>d|h|m|s` (e.g. 365d, 604800s) → seconds, 7 to 365 days. */
export function rotationIntervalParam(value: string | undefined): number {
  const text = requireString(value, 'RotationInterval');
  const match = /^(\d{1,12})([dhms])$/.exec(text);
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2]!]! : NaN;
  if (!(seconds >= MIN_INTERVAL && seconds <= MAX_INTERVAL)) {
    throw invalidParameter('RotationInterval', 'it must be a whole number with unit d, h, m or s (e.g. 365d, 604800s), from 7 to 365 days');
  }
  return seconds;
}

export function refuseExternalRotation(rec: KeyRecord): void {
  if (rec.origin === 'EXTERNAL') {
    throw new CofferError('Rejected.UnsupportedOperation', `The key ${rec.keyId} has Origin EXTERNAL; its versions cannot be rotated by KMS.`);
  }
}

export async function updateRotationPolicy(ks: KeyStore, req: UpdateRotationPolicyRequest): Promise<EmptyResponse> {
  const enable = req.EnableAutomaticRotation;
  if (enable === undefined) throw missingParameter('EnableAutomaticRotation');
  if (typeof enable !== 'boolean') throw invalidParameter('EnableAutomaticRotation', 'it must be true or false');
  const interval = enable ? rotationIntervalParam(req.RotationInterval) : null;
  await ks.update(req.KeyId, 'UpdateRotationPolicy', ks.now(), (rec) => {
    refuseExternalRotation(rec);
    rec.rotationIntervalSec = interval;
  });
  return {};
}

/** Rotates every Enabled key whose rotation is due; returns how many were rotated. */
export function rotateDueKeys(ks: KeyStore): Promise<number> {
  return ks.housekeepAll(isRotationDue);
}
