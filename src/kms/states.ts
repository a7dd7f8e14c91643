/**
 * Key states (reference §4.1): the state in force, what each action may do in it, and the
 * time-driven transitions (deletion window over, imported material expired, rotation due).
 */
import { CofferError } from '../common/errors';
import type { KeyRecord } from './records';
import type { KeyState } from './types';

/** The state in force: an EXTERNAL key without usable material behaves as PendingImport (unless PendingDeletion). */
export function effectiveState(rec: KeyRecord, now: number): KeyState {
  if (rec.state !== 'PendingDeletion' && rec.byok && !hasUsableMaterial(rec, now)) return 'PendingImport';
  return rec.state;
}

export function hasUsableMaterial(rec: KeyRecord, now: number): boolean {
  if (!rec.byok) return true;
  return rec.byok.hasMaterial && (rec.byok.materialExpireAt === null || now < rec.byok.materialExpireAt);
}

export const isDestroyDue = (rec: KeyRecord, now: number): boolean =>
  rec.state === 'PendingDeletion' && rec.deleteAt !== null && now >= rec.deleteAt;

export const isMaterialExpired = (rec: KeyRecord, now: number): boolean =>
  !!rec.byok?.hasMaterial && rec.byok.materialExpireAt !== null && now >= rec.byok.materialExpireAt;

export const nextRotationAt = (rec: KeyRecord): number | null =>
  rec.rotationIntervalSec === null ? null : rec.lastRotationAt + rec.rotationIntervalSec * 1000;

/** Automatic rotation runs only for Enabled keys (it is Suspended otherwise). */
export function isRotationDue(rec: KeyRecord, now: number): boolean {
  const next = nextRotationAt(rec);
  return next !== null && now >= next && effectiveState(rec, now) === 'Enabled';
}

type Refusal = 'Rejected.Disabled' | 'Rejected.PendingDeletion' | 'Rejected.PendingImport' | 'Rejected.StateModifiedFailed';
type Rule = Readonly<Record<KeyState, Refusal | null>>;

const ALWAYS: Rule = { Enabled: null, Disabled: null, PendingDeletion: null, PendingImport: null };
const USABLE: Rule = {
  Enabled: null,
  Disabled: 'Rejected.Disabled',
  PendingDeletion: 'Rejected.PendingDeletion',
  PendingImport: 'Rejected.PendingImport',
};
const NOT_PENDING_DELETION: Rule = { ...ALWAYS, PendingDeletion: 'Rejected.PendingDeletion' };
const NO_TRANSITION_FROM_PENDING_DELETION: Rule = { ...ALWAYS, PendingDeletion: 'Rejected.StateModifiedFailed' };
const TOGGLE: Rule = { ...NO_TRANSITION_FROM_PENDING_DELETION, PendingImport: 'Rejected.StateModifiedFailed' };
const ONLY_PENDING_DELETION: Rule = {
  Enabled: 'Rejected.StateModifiedFailed',
  Disabled: 'Rejected.StateModifiedFailed',
  PendingDeletion: null,
  PendingImport: 'Rejected.StateModifiedFailed',
};

/** The §4.1 table, row by row. UpdateAlias is judged by its target key. */
const RULES = {
  GenerateDataKey: USABLE,
  GenerateDataKeyWithoutPlaintext: USABLE,
  Encrypt: USABLE,
  Decrypt: USABLE,
  DescribeKey: ALWAYS,
  ListAliasesByKeyId: ALWAYS,
  ListResourceTags: ALWAYS,
  DescribeKeyVersion: ALWAYS,
  ListKeyVersions: ALWAYS,
  UpdateKeyDescription: NOT_PENDING_DELETION,
  TagResource: NOT_PENDING_DELETION,
  UntagResource: NOT_PENDING_DELETION,
  EnableKey: TOGGLE,
  DisableKey: TOGGLE,
  ScheduleKeyDeletion: NO_TRANSITION_FROM_PENDING_DELETION,
  CancelKeyDeletion: ONLY_PENDING_DELETION,
  CreateAlias: NO_TRANSITION_FROM_PENDING_DELETION,
  UpdateAlias: NOT_PENDING_DELETION,
  CreateKeyVersion: USABLE,
  UpdateRotationPolicy: USABLE,
  GetParametersForImport: ALWAYS,
  ImportKeyMaterial: NO_TRANSITION_FROM_PENDING_DELETION,
  DeleteKeyMaterial: ALWAYS,
} as const satisfies Record<string, Rule>;

export type KeyAction = keyof typeof RULES;

/** Throws the §4.1 refusal (HTTP 409) if `action` is not allowed in `state`. */
export function checkState(action: KeyAction, state: KeyState, keyId: string): void {
  const refusal = RULES[action][state];
  if (refusal) throw new CofferError(refusal, `${action} is not allowed: the key ${keyId} is ${state}.`);
}
