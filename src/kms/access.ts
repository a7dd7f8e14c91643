/**
 * RAM checks of KMS use (reference §5): the resources a KMS action touches as policies name them
 * (key ARN, alias ARN, the `key` and `alias` containers), and whether a caller's policies allow
 * `kms:<Action>` on each. A key named by alias or ARN is judged by the key behind it;
 * `kms:tag/<TagKey>` conditions see the key's tags (read only when a policy asks for them).
 */
import { CofferError, isCofferError } from '../common/errors';
import { decide } from '../iam/authorize';
import type { Caller } from '../common/caller';
import { parseBlob } from './ciphertext-blob';
import type { KmsService } from './service';

export interface KmsResource {
  /** The RAM action, e.g. kms:Decrypt. */
  action: string;
  arn: string;
  /** The key the resource is, when it is one (for its tags). */
  keyId?: string;
}

/** Whether the caller's policies allow `r.action` on `r.arn`. */
export async function kmsAllowed(kms: KmsService, caller: Caller, r: KmsResource): Promise<boolean> {
  let values: Record<string, string> | undefined;
  if (r.keyId !== undefined && caller.permissions?.readsKeys('kms:tag/')) {
    const tags = Object.entries(await kms.keyTags(r.keyId));
    values = Object.fromEntries(tags.map(([k, v]) => [`kms:tag/${k.toLowerCase()}`, v]));
  }
  return decide(caller, r.action, r.arn, values) === 'Allow';
}

/** The resource a KeyId (id, alias or ARN) stands for: the key behind it, else the name itself (the action then answers not-found). */
export async function keyResource(kms: KmsService, action: string, input: string): Promise<KmsResource> {
  try {
    const keyId = await kms.resolveKeyId(input);
    return { action, arn: kms.keyArn(keyId), keyId };
  } catch (err) {
    if (!isCofferError(err)) throw err;
    return { action, arn: input.startsWith('acs:') ? input : kms.aliasArn(input) };
  }
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The key a CiphertextBlob names, or undefined when it does not parse (the action then refuses it). */
function blobKey(blob: unknown): string | undefined {
  try {
    return typeof blob === 'string' ? parseBlob(blob).keyId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The checks a KMS API request needs. A missing KeyId (or an unreadable blob) adds none: the
 * action itself then refuses the request without touching any key.
 */
async function requiredPermissions(kms: KmsService, action: string, req: Record<string, unknown>): Promise<KmsResource[]> {
  const own = `kms:${action}`;
  const key = async (name: string, input: unknown): Promise<KmsResource[]> => {
    const id = text(input);
    return id === undefined ? [] : [await keyResource(kms, name, id)];
  };
  const alias = (input: unknown): KmsResource[] => {
    const name = text(input);
    return name === undefined ? [] : [{ action: own, arn: kms.aliasArn(name) }];
  };
  switch (action) {
    case 'DescribeRegions':
      return [];
    case 'CreateKey':
    case 'ListKeys':
      return [{ action: own, arn: kms.containerArn('key') }];
    case 'ListAliases':
      return [{ action: own, arn: kms.containerArn('alias') }];
    case 'CreateAlias':
    case 'UpdateAlias':
      return [...alias(req.AliasName), ...(await key(own, req.KeyId))];
    case 'DeleteAlias': {
      const target = text(req.AliasName) && (await kms.aliasTarget(String(req.AliasName)));
      return [...alias(req.AliasName), ...(target ? [{ action: own, arn: kms.keyArn(target), keyId: target }] : [])];
    }
    case 'Decrypt':
      return key(own, blobKey(req.CiphertextBlob));
    case 'ReEncrypt':
      return [...(await key('kms:ReEncryptFrom', blobKey(req.CiphertextBlob))), ...(await key('kms:ReEncryptTo', req.DestinationKeyId))];
    default:
      return key(own, req.KeyId);
  }
}

/** Throws Forbidden.NoPermission unless the caller may make the KMS API request `action` with `req`. */
export async function authorizeKmsRequest(kms: KmsService, caller: Caller, action: string, req: Record<string, unknown>): Promise<void> {
  if (caller.principal.kind === 'root') return;
  for (const r of await requiredPermissions(kms, action, req)) {
    if (!(await kmsAllowed(kms, caller, r))) {
      throw new CofferError('Forbidden.NoPermission', `You are not authorized to perform ${r.action} on ${r.arn}.`);
    }
  }
}
