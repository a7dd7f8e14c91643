/**
 * Key lifecycle (reference §3.1, §4.1, §4.5): CreateKey, DescribeKey, ListKeys,
 * UpdateKeyDescription, EnableKey, DisableKey, ScheduleKeyDeletion, CancelKeyDeletion; the
 * deletion sweep purgeExpiredKeys' key half; and the service-managed key (ensureServiceKey).
 *
 * Key ids are UUIDs (crypto.randomUUID), as legacy Alibaba keys; key version ids too.
 * Only symmetric keys exist: Aliyun_AES_256 (32-byte material) and Aliyun_SM4 (16-byte).
 */
import { randomUUID } from 'node:crypto';
import { CofferError, isCofferError } from '../common/errors';
import type { MetadataTx } from '../store/types';
import { aliasNameParam, bindAlias } from './aliases';
import { pageOf, scanDocs } from '../store/docs';
import { invalidParameter, missingParameter } from './errors';
import type { KeyStore } from './key-store';
import { integerParam, pageParams } from './params';
import { isoDate } from '../rpc';
import { KIND, type AliasRecord, type KeyRecord } from './records';
import { rotationIntervalParam } from './rotation';
import { effectiveState, hasUsableMaterial, isDestroyDue, isMaterialExpired, nextRotationAt } from './states';
import { checkTagCount, tagsParam } from './tags';
import type {
  CreateKeyRequest,
  EmptyResponse,
  KeyIdRequest,
  KeyMetadata,
  KeyMetadataResponse,
  KeyOrigin,
  KeySpec,
  ListKeysResponse,
  PageRequest,
  ScheduleKeyDeletionRequest,
  UpdateKeyDescriptionRequest,
} from './types';

const DAY_MS = 86_400_000;
const MAX_DESCRIPTION = 8192;
const ASYMMETRIC_SPECS = new Set(['RSA_2048', 'RSA_3072', 'EC_P256', 'EC_P256K', 'EC_SM2']);

function keySpecParam(value: string | undefined): KeySpec {
  const spec = value || 'Aliyun_AES_256';
  if (spec === 'Aliyun_AES_256' || spec === 'Aliyun_SM4') return spec;
  if (ASYMMETRIC_SPECS.has(spec)) {
    throw invalidParameter('KeySpec', `${spec} is an asymmetric key spec, which Coffer KMS does not support; use Aliyun_AES_256 or Aliyun_SM4`);
  }
  throw invalidParameter('KeySpec', 'it must be Aliyun_AES_256 or Aliyun_SM4');
}

function originParam(value: string | undefined): KeyOrigin {
  const origin = value || 'Aliyun_KMS';
  if (origin !== 'Aliyun_KMS' && origin !== 'EXTERNAL') throw invalidParameter('Origin', 'it must be Aliyun_KMS or EXTERNAL');
  return origin;
}

function descriptionParam(value: string | undefined): string {
  const description = value ?? '';
  if (typeof description !== 'string' || description.length > MAX_DESCRIPTION) {
    throw invalidParameter('Description', `it must be a string of at most ${MAX_DESCRIPTION} characters`);
  }
  return description;
}

function checkUsageAndProtection(req: CreateKeyRequest): void {
  const usage = req.KeyUsage || 'ENCRYPT/DECRYPT';
  if (usage !== 'ENCRYPT/DECRYPT') throw invalidParameter('KeyUsage', 'symmetric keys support only ENCRYPT/DECRYPT');
  const level = req.ProtectionLevel || 'SOFTWARE';
  if (level === 'HSM') throw new CofferError('Unsupported.ProtectionLevel', 'Coffer KMS protects keys in software only (ProtectionLevel SOFTWARE).');
  if (level !== 'SOFTWARE') throw invalidParameter('ProtectionLevel', 'it must be SOFTWARE or HSM');
}

interface NewKey {
  keySpec: KeySpec;
  origin: KeyOrigin;
  description: string;
  rotationIntervalSec: number | null;
  tags: Record<string, string>;
}

/** Stores a new key with its first version: random material, or none yet for EXTERNAL (PendingImport). */
async function insertKey(ks: KeyStore, tx: MetadataTx, init: NewKey, now: number): Promise<KeyRecord> {
  const external = init.origin === 'EXTERNAL';
  const rec: KeyRecord = {
    ...init,
    keyId: randomUUID(),
    creator: ks.accountId,
    createdAt: now,
    state: external ? 'PendingImport' : 'Enabled',
    deleteAt: null,
    primaryVersionId: '',
    lastRotationAt: now,
    aliases: [],
    byok: external ? { fingerprint: null, hasMaterial: false, materialExpireAt: null } : null,
  };
  await ks.addVersion(tx, rec, now, external ? null : ks.randomMaterial(init.keySpec));
  await tx.putDoc(KIND.key, rec.keyId, rec);
  return rec;
}

export function keyMetadata(ks: KeyStore, rec: KeyRecord, now: number): KeyMetadata {
  const state = effectiveState(rec, now);
  const next = nextRotationAt(rec);
  const expireAt = rec.byok?.hasMaterial ? rec.byok.materialExpireAt : null;
  return {
    KeyId: rec.keyId,
    Arn: ks.keyArn(rec.keyId),
    KeyState: state,
    KeySpec: rec.keySpec,
    KeyUsage: 'ENCRYPT/DECRYPT',
    Origin: rec.origin,
    ProtectionLevel: 'SOFTWARE',
    Description: rec.description,
    Creator: rec.creator,
    CreationDate: isoDate(rec.createdAt),
    DeleteDate: state === 'PendingDeletion' && rec.deleteAt !== null ? isoDate(rec.deleteAt) : '',
    MaterialExpireTime: expireAt === null ? '' : isoDate(expireAt),
    PrimaryKeyVersion: rec.primaryVersionId,
    LastRotationDate: isoDate(rec.lastRotationAt),
    AutomaticRotation: next === null ? 'Disabled' : state === 'Enabled' ? 'Enabled' : 'Suspended',
    RotationInterval: rec.rotationIntervalSec === null ? '' : `${rec.rotationIntervalSec}s`,
    NextRotationDate: next === null ? '' : isoDate(next),
  };
}

export async function createKey(ks: KeyStore, req: CreateKeyRequest): Promise<KeyMetadataResponse> {
  const keySpec = keySpecParam(req.KeySpec);
  const origin = originParam(req.Origin);
  const description = descriptionParam(req.Description);
  checkUsageAndProtection(req);
  const rotate = req.EnableAutomaticRotation === true;
  if (rotate && origin === 'EXTERNAL') {
    throw invalidParameter('EnableAutomaticRotation', 'keys with Origin EXTERNAL cannot rotate automatically');
  }
  const rotationIntervalSec = rotate ? rotationIntervalParam(req.RotationInterval) : null;
  const tags = req.Tags === undefined || req.Tags === '' ? {} : tagsParam(req.Tags, 'Tags');
  checkTagCount(tags);
  const now = ks.now();
  const rec = await ks.meta.transaction((tx) => insertKey(ks, tx, { keySpec, origin, description, rotationIntervalSec, tags }, now));
  return { KeyMetadata: keyMetadata(ks, rec, now) };
}

export async function describeKey(ks: KeyStore, req: KeyIdRequest): Promise<KeyMetadataResponse> {
  const now = ks.now();
  return { KeyMetadata: keyMetadata(ks, await ks.load(req.KeyId, 'DescribeKey', now), now) };
}

export async function listKeys(ks: KeyStore, req: PageRequest): Promise<ListKeysResponse> {
  const { pageNumber, pageSize } = pageParams(req);
  // Keys past their deletion window are destroyed first, so they are neither listed nor counted.
  await ks.housekeepAll(isDestroyDue);
  const total = await ks.meta.countDocs(KIND.key);
  const page = await pageOf(scanDocs<KeyRecord>(ks.meta, KIND.key, (k) => k.keyId), pageNumber, pageSize);
  return {
    Keys: { Key: page.map((k) => ({ KeyId: k.keyId, KeyArn: ks.keyArn(k.keyId) })) },
    TotalCount: total,
    PageNumber: pageNumber,
    PageSize: pageSize,
  };
}

export async function updateKeyDescription(ks: KeyStore, req: UpdateKeyDescriptionRequest): Promise<EmptyResponse> {
  if (req.Description === undefined) throw missingParameter('Description');
  const description = descriptionParam(req.Description);
  await ks.update(req.KeyId, 'UpdateKeyDescription', ks.now(), (rec) => {
    rec.description = description;
  });
  return {};
}

export async function enableKey(ks: KeyStore, req: KeyIdRequest): Promise<EmptyResponse> {
  await ks.update(req.KeyId, 'EnableKey', ks.now(), (rec) => {
    rec.state = 'Enabled';
  });
  return {};
}

export async function disableKey(ks: KeyStore, req: KeyIdRequest): Promise<EmptyResponse> {
  await ks.update(req.KeyId, 'DisableKey', ks.now(), (rec) => {
    rec.state = 'Disabled';
  });
  return {};
}

export async function scheduleKeyDeletion(ks: KeyStore, req: ScheduleKeyDeletionRequest): Promise<EmptyResponse> {
  if (req.PendingWindowInDays === undefined) throw missingParameter('PendingWindowInDays');
  const days = integerParam(req.PendingWindowInDays, 'PendingWindowInDays', 7, 366, 0);
  await ks.refuseDestructionOfDependedOn(req.KeyId);
  const now = ks.now();
  await ks.update(req.KeyId, 'ScheduleKeyDeletion', now, (rec) => {
    rec.state = 'PendingDeletion';
    rec.deleteAt = now + days * DAY_MS;
  });
  return {};
}

/** Back to Enabled, or to PendingImport for an EXTERNAL key whose material is gone. */
export async function cancelKeyDeletion(ks: KeyStore, req: KeyIdRequest): Promise<EmptyResponse> {
  const now = ks.now();
  await ks.update(req.KeyId, 'CancelKeyDeletion', now, (rec) => {
    rec.state = hasUsableMaterial(rec, now) ? 'Enabled' : 'PendingImport';
    rec.deleteAt = null;
  });
  return {};
}

/** Destroys keys past their deletion window and drops expired imported material; returns how many keys. */
export function housekeepExpiredKeys(ks: KeyStore): Promise<number> {
  return ks.housekeepAll((rec, now) => isDestroyDue(rec, now) || isMaterialExpired(rec, now));
}

/**
 * The id of the service-managed key behind `aliasName` (e.g. alias/acs/oss for SSE-KMS without a
 * key id), creating an Aliyun_AES_256 key and the alias in one transaction on first use, so two
 * concurrent first uses (in any process) end with one key. Once that key has been destroyed after
 * a deletion, the next use creates a new one.
 */
export async function ensureServiceKey(ks: KeyStore, aliasName: string): Promise<string> {
  const name = aliasNameParam(aliasName, 'service');
  const now = ks.now();
  const bound = await ks.meta.getDoc<AliasRecord>(KIND.alias, name);
  if (bound) {
    try {
      return (await ks.current(bound.keyId, now)).keyId;
    } catch (err) {
      if (!isCofferError(err) || err.code !== 'Forbidden.KeyNotFound') throw err;
    }
  }
  return ks.meta.transaction(async (tx) => {
    const alias = await tx.getDoc<AliasRecord>(KIND.alias, name);
    if (alias) return alias.keyId;
    const rec = await insertKey(
      ks,
      tx,
      { keySpec: 'Aliyun_AES_256', origin: 'Aliyun_KMS', description: `Managed by Coffer for ${name}`, rotationIntervalSec: null, tags: {} },
      now,
    );
    await bindAlias(tx, rec, name);
    await tx.putDoc(KIND.key, rec.keyId, rec);
    return rec.keyId;
  });
}
