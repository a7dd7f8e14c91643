/**
 * The Server page: Coffer's admin API through pop-core, as `coffer admin` uses it. Status with
 * the SSE-OSS master-key versions, rotation, and rewrap one step per request so that the page
 * shows progress between steps. The Encryption posture page (and the KMS key page's warnings)
 * read DescribeEncryptionPosture. The admin API itself admits only the account root; anyone else
 * gets its Forbidden.NoPermission.
 */
import type { EncryptionPostureView, PostureClassView, PostureCountsView, RewrapStepView, ServerStatusView } from '../contract';
import { optStr, readJson } from '../http';
import type { Route, RouteContext } from '../router';
import { call } from '../upstream';

/** Objects per rewrap step: a fraction of a second each, so progress moves. */
const REWRAP_STEP = 500;

function admin(c: RouteContext, action: string, params?: Record<string, string | number>): Promise<Record<string, any>> {
  return call('admin', () => c.session.upstream.admin(action, params));
}

async function status(c: RouteContext): Promise<{ status: ServerStatusView }> {
  const s = await admin(c, 'DescribeStatus');
  return {
    status: {
      serverVersion: s.ServerVersion,
      startTime: s.StartTime,
      uptimeSeconds: s.UptimeSeconds,
      buckets: s.Storage.Buckets,
      objects: s.Storage.Objects,
      bytes: s.Storage.Bytes,
      multipartUploads: s.Storage.MultipartUploads,
      masterKeys: (s.MasterKeys.Versions.MasterKeyVersion as Array<Record<string, any>>)
        .map((v) => ({ version: v.Version, createdAt: v.CreationDate, current: v.Current })),
    },
  };
}

const list = <T>(wrapped: Record<string, T[]> | undefined, name: string): T[] => wrapped?.[name] ?? [];

const counts = (c: Record<string, any>): PostureCountsView => ({ objects: c.Objects, bytes: c.Bytes, multipartUploads: c.MultipartUploads });

const classView = (c: Record<string, any>): PostureClassView => ({
  mode: c.Mode,
  ...(c.Algorithm ? { algorithm: c.Algorithm } : {}),
  ...(c.MasterKeyVersion !== undefined ? { masterKeyVersion: c.MasterKeyVersion } : {}),
  ...(c.KmsKeyId !== undefined ? { kmsKeyId: c.KmsKeyId } : {}),
  ...counts(c),
});

async function posture(c: RouteContext): Promise<EncryptionPostureView> {
  const p = await admin(c, 'DescribeEncryptionPosture');
  return {
    computedAt: p.ComputedAt,
    complete: p.Complete,
    currentMasterKeyVersion: p.CurrentMasterKeyVersion,
    totals: list<Record<string, any>>(p.Totals, 'Class').map(classView),
    olderMasterKeyVersions: counts(p.OlderMasterKeyVersions),
    masterKeyVersions: list<Record<string, any>>(p.MasterKeyVersions, 'MasterKeyVersion').map((v) => ({ version: v.Version, current: v.Current, ...counts(v) })),
    kmsKeys: list<Record<string, any>>(p.KmsKeys, 'KmsKey').map((k) => ({ keyId: k.KeyId, buckets: list<string>(k.Buckets, 'Bucket'), ...counts(k) })),
    buckets: list<Record<string, any>>(p.Buckets, 'Bucket').map((b) => ({
      name: b.Name, complete: b.Complete, ...counts(b), classes: list<Record<string, any>>(b.Classes, 'Class').map(classView),
    })),
  };
}

export const adminRoutes: Route[] = [
  { method: 'GET', path: '/api/admin/status', handle: status },
  { method: 'GET', path: '/api/admin/encryption-posture', handle: async (c) => ({ posture: await posture(c) }) },
  {
    method: 'POST', path: '/api/admin/master-keys/rotate',
    handle: async (c) => {
      await admin(c, 'RotateMasterKey');
      return status(c);
    },
  },
  {
    method: 'POST', path: '/api/admin/master-keys/rewrap',
    handle: async (c): Promise<RewrapStepView> => {
      const marker = optStr(await readJson(c.req), 'marker');
      const r = await admin(c, 'RewrapMasterKeys', { MaxObjects: REWRAP_STEP, ...(marker ? { Marker: marker } : {}) });
      return {
        masterKeyVersion: r.MasterKeyVersion,
        objectsScanned: r.Objects.Scanned,
        objectsRewrapped: r.Objects.Rewrapped,
        uploadsScanned: r.MultipartUploads.Scanned,
        uploadsRewrapped: r.MultipartUploads.Rewrapped,
        nextMarker: r.Truncated ? r.NextMarker : null,
      };
    },
  },
];
