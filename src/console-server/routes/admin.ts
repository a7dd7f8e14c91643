/**
 * The Server page: Coffer's admin API through pop-core, as `coffer admin` uses it. Status with
 * the SSE-OSS master-key versions, rotation, and rewrap one step per request so that the page
 * shows progress between steps. The admin API itself admits only the account root; anyone else
 * gets its Forbidden.NoPermission.
 */
import type { RewrapStepView, ServerStatusView } from '../contract';
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

export const adminRoutes: Route[] = [
  { method: 'GET', path: '/api/admin/status', handle: status },
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
