/**
 * CreateAlias, UpdateAlias, DeleteAlias, ListAliases, ListAliasesByKeyId (reference §3.2, §4.2).
 * An alias is `alias/` + 1–255 of [A-Za-z0-9_/-], unique per account and region, bound to one
 * key; a key may have many. `alias/acs/…` is reserved for keys the service manages itself
 * (ensureServiceKey): users can neither create, retarget nor delete such aliases, nor point other
 * aliases at those keys (service-keys.ts).
 */
import { CofferError } from '../common/errors';
import type { MetadataTx } from '../store/types';
import { pageOf, scanDocs } from '../store/docs';
import { aliasNotFound, invalidParameter } from './errors';
import type { KeyStore } from './key-store';
import { pageParams, requireString } from './params';
import { KIND, type AliasRecord, type KeyRecord } from './records';
import { checkServiceAlias, isReservedAlias, RESERVED_ALIAS_PREFIX } from './service-keys';
import { isDestroyDue } from './states';
import type {
  AliasEntry,
  AliasRequest,
  DeleteAliasRequest,
  EmptyResponse,
  ListAliasesByKeyIdRequest,
  ListAliasesResponse,
  PageRequest,
} from './types';

const ALIAS_NAME = /^alias\/[A-Za-z0-9_/-]{1,255}$/;

/**
 * Checks an alias name's syntax and that a new alias lies inside (service) or outside (user) the
 * reserved namespace; 'existing' names an alias to act on, whose owner is checked once it is read.
 */
export function aliasNameParam(value: string | undefined, owner: 'user' | 'service' | 'existing' = 'user'): string {
  const name = requireString(value, 'AliasName');
  if (!ALIAS_NAME.test(name)) {
    throw invalidParameter('AliasName', 'it must be "alias/" followed by 1 to 255 letters, digits, "_", "-" or "/"');
  }
  if (owner === 'existing') return name;
  const reserved = isReservedAlias(name);
  if (owner === 'user' && reserved) {
    throw invalidParameter('AliasName', `the ${RESERVED_ALIAS_PREFIX} namespace is reserved for keys managed by cloud services`);
  }
  if (owner === 'service' && !reserved) {
    throw invalidParameter('AliasName', `a service key alias must start with ${RESERVED_ALIAS_PREFIX}`);
  }
  return name;
}

/** Points aliasName at rec (the caller stores rec). */
export async function bindAlias(tx: MetadataTx, rec: KeyRecord, aliasName: string): Promise<void> {
  await tx.putDoc<AliasRecord>(KIND.alias, aliasName, { aliasName, keyId: rec.keyId });
  rec.aliases = [...rec.aliases, aliasName].sort();
}

/** Removes aliasName from the record of the key it pointed at, if that key still exists. */
async function unlinkAlias(tx: MetadataTx, alias: AliasRecord): Promise<void> {
  const owner = await tx.getDoc<KeyRecord>(KIND.key, alias.keyId);
  if (!owner) return;
  owner.aliases = owner.aliases.filter((a) => a !== alias.aliasName);
  await tx.putDoc(KIND.key, owner.keyId, owner);
}

export async function createAlias(ks: KeyStore, req: AliasRequest): Promise<EmptyResponse> {
  const aliasName = aliasNameParam(req.AliasName);
  await ks.update(req.KeyId, 'CreateAlias', ks.now(), async (rec, tx) => {
    if (await tx.getDoc<AliasRecord>(KIND.alias, aliasName)) {
      throw new CofferError('AliasAlreadyExists', `The alias ${aliasName} already exists.`);
    }
    await bindAlias(tx, rec, aliasName);
  });
  return {};
}

/** Retargets an existing alias; only the target key's state matters (§4.1). */
export async function updateAlias(ks: KeyStore, req: AliasRequest): Promise<EmptyResponse> {
  const aliasName = aliasNameParam(req.AliasName, 'existing');
  await ks.update(req.KeyId, 'UpdateAlias', ks.now(), async (rec, tx) => {
    const alias = await tx.getDoc<AliasRecord>(KIND.alias, aliasName);
    if (!alias) throw aliasNotFound(aliasName);
    checkServiceAlias('UpdateAlias', alias);
    if (alias.keyId === rec.keyId) return;
    await unlinkAlias(tx, alias);
    await bindAlias(tx, rec, aliasName);
  });
  return {};
}

export async function deleteAlias(ks: KeyStore, req: DeleteAliasRequest): Promise<EmptyResponse> {
  const aliasName = aliasNameParam(req.AliasName, 'existing');
  await ks.meta.transaction(async (tx) => {
    const alias = await tx.getDoc<AliasRecord>(KIND.alias, aliasName);
    if (!alias) throw aliasNotFound(aliasName);
    checkServiceAlias('DeleteAlias', alias);
    await tx.deleteDoc(KIND.alias, aliasName);
    await unlinkAlias(tx, alias);
  });
  return {};
}

const aliasEntry = (ks: KeyStore, aliasName: string, keyId: string): AliasEntry =>
  ({ KeyId: keyId, AliasName: aliasName, AliasArn: ks.aliasArn(aliasName) });

export async function listAliases(ks: KeyStore, req: PageRequest): Promise<ListAliasesResponse> {
  const { pageNumber, pageSize } = pageParams(req);
  // Keys past their deletion window go first, so that their aliases are not listed.
  await ks.housekeepAll(isDestroyDue);
  const total = await ks.meta.countDocs(KIND.alias);
  const page = await pageOf(scanDocs<AliasRecord>(ks.meta, KIND.alias, (a) => a.aliasName), pageNumber, pageSize);
  return {
    Aliases: { Alias: page.map((a) => aliasEntry(ks, a.aliasName, a.keyId)) },
    TotalCount: total,
    PageNumber: pageNumber,
    PageSize: pageSize,
  };
}

export async function listAliasesByKeyId(ks: KeyStore, req: ListAliasesByKeyIdRequest): Promise<ListAliasesResponse> {
  const { pageNumber, pageSize } = pageParams(req);
  const rec = await ks.load(req.KeyId, 'ListAliasesByKeyId', ks.now());
  return {
    Aliases: { Alias: (await pageOf(rec.aliases, pageNumber, pageSize)).map((name) => aliasEntry(ks, name, rec.keyId)) },
    TotalCount: rec.aliases.length,
    PageNumber: pageNumber,
    PageSize: pageSize,
  };
}
