/**
 * KMS keys through the KMS API (kms20160120 client): list, create, detail with versions and
 * aliases, state changes, rotation, aliases, and BYOK import, where the page has already wrapped
 * the material with the wrapping public key: only the wrapped form passes through here.
 */
import * as Kms from '@alicloud/kms20160120';
import { badRequest, bool, int, oneOf, optStr, readJson, str } from '../http';
import type { Route, RouteContext } from '../router';
import { call, type KmsRuntime } from '../upstream';
import { mapLimit } from './buckets';

const KEY_SPECS = ['Aliyun_AES_256', 'Aliyun_SM4'] as const;
const ORIGINS = ['Aliyun_KMS', 'EXTERNAL'] as const;
/** Key detail calls in flight at once while listing. */
const DESCRIBE_CONCURRENCY = 6;

/** Runs one KMS call as the session's identity, errors mapped to the KMS error. */
function kms<T>(c: RouteContext, fn: (client: Kms.default, runtime: KmsRuntime) => Promise<T>): Promise<T> {
  return call('kms', () => fn(c.session.upstream.kms, c.session.upstream.kmsRuntime));
}

/** Alias names carry the "alias/" prefix on the wire; the form may leave it out. */
const aliasName = (name: string): string => (name.startsWith('alias/') ? name : `alias/${name}`);

async function aliasesOf(c: RouteContext, keyId: string): Promise<string[]> {
  const r = await kms(c, (k, rt) => k.listAliasesByKeyIdEx(new Kms.ListAliasesByKeyIdRequest({ keyId, pageSize: 100 }), rt));
  return (r.aliases?.alias ?? []).map((a) => a.aliasName);
}

async function describe(c: RouteContext, keyId: string): Promise<Kms.DescribeKeyResponseKeyMetadata> {
  return (await kms(c, (k, rt) => k.describeKeyEx(new Kms.DescribeKeyRequest({ keyId }), rt))).keyMetadata;
}

/** The rotation fields of a form: on/off and, when on, the interval (e.g. "365d"). */
function rotation(body: Record<string, unknown>): { enableAutomaticRotation: boolean; rotationInterval?: string } {
  const enableAutomaticRotation = bool(body, 'enableAutomaticRotation');
  const rotationInterval = optStr(body, 'rotationInterval');
  if (enableAutomaticRotation && !rotationInterval) throw badRequest('rotationInterval is required when automatic rotation is on.');
  return { enableAutomaticRotation, rotationInterval: enableAutomaticRotation ? rotationInterval : undefined };
}

/** POST /api/kms/keys/:keyId/<path>: one KMS action on the key that answers nothing but a request id. */
const keyAction = (path: string, fn: (c: RouteContext) => Promise<unknown>): Route => ({
  method: 'POST', path: `/api/kms/keys/:keyId/${path}`,
  handle: async (c) => {
    await fn(c);
    return { key: await describe(c, c.params.keyId) };
  },
});

export const kmsRoutes: Route[] = [
  {
    method: 'GET', path: '/api/kms/keys',
    // One ListKeys page, each key with its metadata and aliases.
    handle: async (c) => {
      const pageNumber = Number(c.query.get('page') ?? 1);
      const pageSize = Number(c.query.get('pageSize') ?? 20);
      if (!Number.isInteger(pageNumber) || pageNumber < 1) throw badRequest('page must be a positive integer.');
      if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) throw badRequest('pageSize must be an integer from 1 to 100.');
      const list = await kms(c, (k, rt) => k.listKeysEx(new Kms.ListKeysRequest({ pageNumber, pageSize }), rt));
      const keys = await mapLimit(list.keys?.key ?? [], DESCRIBE_CONCURRENCY, async ({ keyId }) => {
        const [meta, aliases] = await Promise.all([describe(c, keyId), aliasesOf(c, keyId)]);
        return { ...meta, aliases };
      });
      return { keys, totalCount: list.totalCount, page: list.pageNumber, pageSize: list.pageSize };
    },
  },
  {
    method: 'POST', path: '/api/kms/keys',
    handle: async (c) => {
      const body = await readJson(c.req);
      const alias = optStr(body, 'aliasName');
      const created = await kms(c, (k, rt) => k.createKeyEx(new Kms.CreateKeyRequest({
        description: optStr(body, 'description') ?? '',
        keySpec: oneOf(body, 'keySpec', KEY_SPECS),
        origin: oneOf(body, 'origin', ORIGINS),
        ...rotation(body),
      }), rt));
      const keyId = created.keyMetadata.keyId;
      if (alias) {
        try {
          await kms(c, (k, rt) => k.createAliasEx(new Kms.CreateAliasRequest({ keyId, aliasName: aliasName(alias) }), rt));
        } catch (err) {
          // The key exists now: say so, so that a retry does not create a second one.
          if (err instanceof Error) err.message = `Key ${keyId} was created, but its alias was not: ${err.message}`;
          throw err;
        }
      }
      return { keyId };
    },
  },
  {
    method: 'GET', path: '/api/kms/keys/:keyId',
    handle: async (c) => {
      const keyId = c.params.keyId;
      const [key, aliases, versions] = await Promise.all([
        describe(c, keyId),
        aliasesOf(c, keyId),
        kms(c, (k, rt) => k.listKeyVersionsEx(new Kms.ListKeyVersionsRequest({ keyId, pageSize: 100 }), rt)),
      ]);
      return { key, aliases, versions: versions.keyVersions?.keyVersion ?? [] };
    },
  },
  keyAction('enable', (c) => kms(c, (k, rt) => k.enableKeyEx(new Kms.EnableKeyRequest({ keyId: c.params.keyId }), rt))),
  keyAction('disable', (c) => kms(c, (k, rt) => k.disableKeyEx(new Kms.DisableKeyRequest({ keyId: c.params.keyId }), rt))),
  keyAction('cancel-deletion', (c) => kms(c, (k, rt) => k.cancelKeyDeletionEx(new Kms.CancelKeyDeletionRequest({ keyId: c.params.keyId }), rt))),
  keyAction('versions', (c) => kms(c, (k, rt) => k.createKeyVersionEx(new Kms.CreateKeyVersionRequest({ keyId: c.params.keyId }), rt))),
  keyAction('schedule-deletion', async (c) => {
    const pendingWindowInDays = int(await readJson(c.req), 'pendingWindowInDays', 7, 366);
    return kms(c, (k, rt) => k.scheduleKeyDeletionEx(new Kms.ScheduleKeyDeletionRequest({ keyId: c.params.keyId, pendingWindowInDays }), rt));
  }),
  keyAction('rotation', async (c) => {
    const r = rotation(await readJson(c.req));
    return kms(c, (k, rt) => k.updateRotationPolicyEx(new Kms.UpdateRotationPolicyRequest({ keyId: c.params.keyId, ...r }), rt));
  }),
  keyAction('aliases', async (c) => {
    const name = aliasName(str(await readJson(c.req), 'aliasName'));
    return kms(c, (k, rt) => k.createAliasEx(new Kms.CreateAliasRequest({ keyId: c.params.keyId, aliasName: name }), rt));
  }),
  {
    method: 'DELETE', path: '/api/kms/aliases/:aliasName',
    handle: async (c) => {
      await kms(c, (k, rt) => k.deleteAliasEx(new Kms.DeleteAliasRequest({ aliasName: aliasName(c.params.aliasName) }), rt));
      return {};
    },
  },
  {
    method: 'POST', path: '/api/kms/keys/:keyId/import-parameters',
    // RSAES_OAEP_SHA_256 with RSA_2048: what the page's WebCrypto wrapping (RSA-OAEP, SHA-256) produces.
    handle: async (c) => {
      const p = await kms(c, (k, rt) => k.getParametersForImportEx(new Kms.GetParametersForImportRequest({
        keyId: c.params.keyId, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048',
      }), rt));
      return { keyId: p.keyId, publicKey: p.publicKey, importToken: p.importToken, tokenExpireTime: p.tokenExpireTime };
    },
  },
  keyAction('import', async (c) => {
    const body = await readJson(c.req);
    const expire = body.keyMaterialExpireUnix === undefined ? 0 : int(body, 'keyMaterialExpireUnix', 0, Number.MAX_SAFE_INTEGER);
    return kms(c, (k, rt) => k.importKeyMaterialEx(new Kms.ImportKeyMaterialRequest({
      keyId: c.params.keyId, encryptedKeyMaterial: str(body, 'encryptedKeyMaterial'), importToken: str(body, 'importToken'), keyMaterialExpireUnix: expire,
    }), rt));
  }),
];
