/**
 * The KMS API (version 2016-01-20) on the RPC front: each action turns its wire parameters into
 * the KmsService request of the same name, after the caller's RAM permissions are checked
 * (access.ts), and every call, refused or not, is accounted (metrics, audit log).
 */
import { invalidParameter, type Params, type RpcResult, type RpcService } from '../../rpc';
import { authorizeKmsRequest } from '../access';
import type { KmsAccounting } from '../accounting';
import { parseBlob } from '../ciphertext-blob';
import type { KmsService } from '../service';

export const KMS_VERSION = '2016-01-20';

/** Every action, by its KMS API name; each is the KmsService method of that name. */
export const KMS_ACTIONS = [
  'CreateKey', 'DescribeKey', 'ListKeys', 'UpdateKeyDescription', 'EnableKey', 'DisableKey',
  'ScheduleKeyDeletion', 'CancelKeyDeletion',
  'CreateAlias', 'UpdateAlias', 'DeleteAlias', 'ListAliases', 'ListAliasesByKeyId',
  'Encrypt', 'Decrypt', 'ReEncrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext',
  'GetParametersForImport', 'ImportKeyMaterial', 'DeleteKeyMaterial',
  'CreateKeyVersion', 'ListKeyVersions', 'DescribeKeyVersion', 'UpdateRotationPolicy',
  'DescribeRegions', 'TagResource', 'UntagResource', 'ListResourceTags',
] as const satisfies ReadonlyArray<keyof KmsService>;

/** Parameters every RPC request carries; not part of any action's request. */
const COMMON = new Set([
  'Action', 'Version', 'Format', 'AccessKeyId', 'SignatureMethod', 'SignatureVersion', 'SignatureNonce',
  'Timestamp', 'Signature', 'SecurityToken', 'RegionId',
]);
const NUMBERS = new Set(['PageNumber', 'PageSize', 'PendingWindowInDays', 'NumberOfBytes', 'KeyMaterialExpireUnix']);
const BOOLEANS = new Set(['EnableAutomaticRotation']);
/** Map-typed parameters: a JSON string, or flattened as Name.<key>=<value> (kms20160120 1.x). */
const MAPS = new Set(['EncryptionContext', 'SourceEncryptionContext', 'DestinationEncryptionContext']);

export function kmsRequest(params: Params): Record<string, unknown> {
  const req: Record<string, unknown> = {};
  // Maps, then fromEntries: any key (even "__proto__") becomes an own property, as JSON.parse makes it.
  const flattened = new Map<string, Map<string, string>>();
  for (const [name, value] of params) {
    if (COMMON.has(name)) continue;
    const dot = name.indexOf('.');
    if (dot > 0 && MAPS.has(name.slice(0, dot))) {
      const base = name.slice(0, dot);
      flattened.set(base, (flattened.get(base) ?? new Map<string, string>()).set(name.slice(dot + 1), value));
    } else if (NUMBERS.has(name)) {
      if (!/^-?\d+$/.test(value)) throw invalidParameter(name, 'it must be an integer');
      req[name] = Number(value);
    } else if (BOOLEANS.has(name)) {
      const v = value.toLowerCase();
      if (v !== 'true' && v !== 'false') throw invalidParameter(name, 'it must be true or false');
      req[name] = v === 'true';
    } else {
      req[name] = value;
    }
  }
  for (const [name, map] of flattened) {
    if (req[name] !== undefined) throw invalidParameter(name, 'it was given both as JSON and flattened');
    req[name] = Object.fromEntries(map);
  }
  return req;
}

/**
 * The key a call names, for accounting when its answer names none (a refusal): the KeyId or
 * DestinationKeyId as given, else the key a Decrypt's CiphertextBlob names.
 */
function keyHint(req: Record<string, unknown>): string | undefined {
  const named = req.KeyId ?? req.DestinationKeyId;
  if (named !== undefined || typeof req.CiphertextBlob !== 'string') return named as string | undefined;
  try {
    return parseBlob(req.CiphertextBlob).keyId;
  } catch {
    return undefined;
  }
}

export function kmsApi(kms: KmsService, accounting: KmsAccounting): RpcService {
  const actions: Record<string, RpcService['actions'][string]> = {};
  for (const action of KMS_ACTIONS) {
    actions[action] = async (ctx) => {
      const req = kmsRequest(ctx.params);
      const method = kms[action] as (r: Record<string, unknown>) => Promise<object>;
      return accounting.record(action, keyHint(req), { principal: ctx.caller.principal, via: 'api' }, async () => {
        await authorizeKmsRequest(kms, ctx.caller, action, req);
        return method.call(kms, req);
      }) as Promise<RpcResult>;
    };
  }
  return { actions };
}
