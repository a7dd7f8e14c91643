/**
 * Service keys: a key bound to an alias in the reserved `alias/acs/` namespace (only
 * ensureServiceKey binds one, e.g. alias/acs/oss for SSE-KMS without a key id) is managed by the
 * service that created it. Disabling it, scheduling its deletion or dropping its material would
 * make every object the service sealed under it unreadable, then destroy them; retargeting or
 * adding aliases, tags (kms:tag/ conditions) or a rotation policy would change what the service
 * and policies rely on. So no caller, the account root included, may do any of these; EnableKey
 * and CancelKeyDeletion stay allowed, which only restore a key an older release let be disabled.
 *
 * The refusal: Alibaba's KMS console documents that service keys (alias acs/<service>) cannot
 * be scheduled for deletion, but no source names the API error for it (no "Forbidden.ServiceKey"
 * or similar exists in the KMS docs or SDKs). We answer the documented KMS code for an operation
 * a key does not support, 400 Rejected.UnsupportedOperation ("Unsupported operation."), with a
 * message saying why.
 */
import { CofferError } from '../common/errors';
import type { AliasRecord, KeyRecord } from './records';
import type { KeyAction } from './states';

export const RESERVED_ALIAS_PREFIX = 'alias/acs/';

/** Actions that would change a service key (its state, material, aliases, tags, versions or description). */
const SERVICE_OWNED: ReadonlySet<KeyAction> = new Set<KeyAction>([
  'DisableKey', 'ScheduleKeyDeletion', 'DeleteKeyMaterial', 'ImportKeyMaterial',
  'UpdateKeyDescription', 'TagResource', 'UntagResource', 'UpdateRotationPolicy', 'CreateKeyVersion',
  'CreateAlias', 'UpdateAlias',
]);

export const isReservedAlias = (aliasName: string): boolean => aliasName.startsWith(RESERVED_ALIAS_PREFIX);

/** The reserved alias that makes rec a service key, or undefined for a user's key. */
export const serviceAliasOf = (rec: KeyRecord): string | undefined => rec.aliases.find(isReservedAlias);

function refusal(action: string, keyId: string, aliasName: string): CofferError {
  return new CofferError(
    'Rejected.UnsupportedOperation',
    `${action} is not supported on the key ${keyId}: it is a service key, managed by Coffer for ${aliasName}; ` +
      'its state, key material, aliases, tags and rotation cannot be changed by any caller.',
  );
}

/** Throws Rejected.UnsupportedOperation if `action` would change the service key rec. */
export function checkServiceKey(action: KeyAction, rec: KeyRecord): void {
  const aliasName = serviceAliasOf(rec);
  if (aliasName !== undefined && SERVICE_OWNED.has(action)) throw refusal(action, rec.keyId, aliasName);
}

/** Throws Rejected.UnsupportedOperation if `alias` (to be retargeted or deleted) is a service key's. */
export function checkServiceAlias(action: 'UpdateAlias' | 'DeleteAlias', alias: AliasRecord): void {
  if (isReservedAlias(alias.aliasName)) throw refusal(action, alias.keyId, alias.aliasName);
}
