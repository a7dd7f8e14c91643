/**
 * Probes for load balancers and orchestrators, on the OSS listener:
 *   GET /health/live  — 200 while the process serves requests at all;
 *   GET /health/ready — 200 when the metadata store (which also holds the built-in KMS's keys)
 *                       and the blob store answer and the server is not draining, else 503
 *                       (take the node out of rotation).
 * Only unsigned GET/HEAD requests without a query are probes: a signed request for an object
 * named "ready" in a bucket named "health" still reaches the OSS API.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BlobStore, MetadataStore } from '../store/types';

/** Probes within this long share one check, so a busy prober cannot load the stores. */
const CHECK_CACHE_MS = 1_000;
/** An id no blob has: asking its size proves the blob store answers. */
const PROBE_BLOB = '0'.repeat(32);

export interface HealthDeps {
  meta: MetadataStore;
  blobs: BlobStore;
  draining: () => boolean;
}

async function check(deps: HealthDeps): Promise<Record<string, string>> {
  const problems: Record<string, string> = {};
  await deps.meta.getSetting('root-key-check').catch((err) => { problems.metadata = String(err?.message ?? err); });
  await deps.blobs.size(PROBE_BLOB).catch((err) => {
    if (err?.code !== 'ENOENT') problems.blobs = String(err?.message ?? err);
  });
  return problems;
}

/** Returns a handler that answers probes and returns false for every other request. */
export function healthHandler(deps: HealthDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  let last: { at: number; result: Promise<Record<string, string>> } | null = null;
  return (req, res) => {
    const url = req.url ?? '';
    if (url !== '/health/live' && url !== '/health/ready') return false;
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.headers.authorization) return false;
    const send = (status: number, body: object): void => {
      res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : JSON.stringify(body) + '\n');
    };
    if (url === '/health/live') {
      send(200, { status: 'live' });
      return true;
    }
    if (deps.draining()) {
      send(503, { status: 'draining' });
      return true;
    }
    const now = Date.now();
    if (!last || now - last.at > CHECK_CACHE_MS) last = { at: now, result: check(deps) };
    last.result.then((problems) => {
      if (Object.keys(problems).length) send(503, { status: 'unavailable', problems });
      else send(200, { status: 'ready' });
    }, (err) => send(503, { status: 'unavailable', error: String(err) }));
    return true;
  };
}
