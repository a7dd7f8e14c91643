/**
 * The OSS listener's request handler: route → authenticate → operation → response, with every
 * failure rendered as an OSS error (on HEAD, base64 in x-oss-err, since HEAD has no body).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { authenticate } from '../auth';
import type { Coffer } from '../core/coffer';
import { CofferError, isCofferError } from '../common/errors';
import type { AccessKey, CredentialStore } from '../iam/credentials';
import { callerOf } from '../iam/caller';
import type { Logger } from '../common/log';
import type { Metrics } from '../common/metrics';
import { corsResponseHeaders, Options } from './cors';
import { requestEndpoint } from './endpoint';
import { renderError } from './errors';
import { OPERATIONS } from './operations';
import type { OssRequest, OssResponse } from './request';
import { operationOf, parseQuery, targetsOf, type Target } from './router';

export interface OssHandlerOptions {
  coffer: Coffer;
  credentials: CredentialStore;
  logger: Logger;
  /** Base domain for virtual-hosted-style requests (<bucket>.<domain>). */
  domain?: string;
  /** host[:port] reported as this server's endpoint; by default the address each request came in on. */
  publicEndpoint?: string;
  metrics: Metrics;
}

export const OSS_REQUESTS = 'coffer_oss_requests_total';

export const newRequestId = (): string => randomBytes(12).toString('hex').toUpperCase();

export function createOssHandler(opts: OssHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  opts.metrics.counter(OSS_REQUESTS, 'OSS API requests by operation and HTTP status');
  return (raw, res) => {
    const started = process.hrtime.bigint();
    const requestId = newRequestId();
    const ctx: RequestContext = { operation: '-', cors: {} };
    handle(opts, raw, requestId, ctx)
      .then((response) => send(res, raw, requestId, response, ctx.cors))
      .catch((err) => sendError(opts, res, raw, requestId, err, ctx.cors))
      .finally(() => {
        opts.metrics.inc(OSS_REQUESTS, { operation: ctx.operation, status: String(res.statusCode) });
        if (opts.logger.enabled('debug')) {
          opts.logger.log('debug', 'request', {
            requestId, operation: ctx.operation, method: raw.method, status: res.statusCode,
            ms: Number(process.hrtime.bigint() - started) / 1e6,
          });
        }
      });
  };
}

/** What the response needs beyond the operation's answer, known before the operation runs. */
interface RequestContext {
  operation: string;
  /** Access-Control-* headers of an actual request from a browser; on error responses too. */
  cors: Record<string, string>;
}

async function handle(opts: OssHandlerOptions, raw: IncomingMessage, requestId: string, ctx: RequestContext): Promise<OssResponse> {
  const url = raw.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const pairs = parseQuery(q < 0 ? '' : url.slice(q + 1));
  const targets = targetsOf(raw.headers.host, rawPath, opts.domain);
  const bucket = targets[0].bucket;
  if (raw.method === 'OPTIONS' && bucket !== undefined) {
    // A preflight carries no credentials: it is answered from the bucket's rules alone.
    ctx.operation = 'Options';
    return Options(opts.coffer, raw, bucket);
  }
  // Every reading of the target names the same bucket; the CORS headers are decided before the
  // signature is, so that an authentication failure reaches the page as a readable error.
  if (bucket !== undefined && raw.headers.origin !== undefined) ctx.cors = await corsResponseHeaders(opts.coffer, raw, bucket);
  const auth = await authenticate(
    { method: raw.method ?? 'GET', headers: raw.headers, rawPath, query: pairs, targets, region: opts.coffer.region },
    (id) => opts.credentials.lookup(id),
  );
  let key: AccessKey | null = null;
  let target: Target = targets[0];
  if (auth.kind === 'signed') {
    key = await opts.credentials.lookup(auth.accessKeyId);
    if (!key) throw new CofferError('InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.');
    // An Inactive RAM key still signs correctly; it authenticates nothing.
    if (!key.active) throw new CofferError('InvalidAccessKeyId', 'The OSS Access Key Id you provided is disabled.', { OSSAccessKeyId: key.accessKeyId });
    target = auth.target;
  }
  const query = new Map<string, string>();
  for (const [k, v] of pairs) if (!query.has(k)) query.set(k, v);
  const method = raw.method ?? 'GET';
  const operation = operationOf(method, target, query, raw.headers['x-oss-copy-source'] !== undefined);
  ctx.operation = operation;
  const req: OssRequest = {
    id: requestId,
    method,
    raw,
    query,
    bucket: target.bucket,
    key: target.key,
    endpoint: opts.publicEndpoint ?? requestEndpoint(raw, opts.domain),
    caller: callerOf(raw, key, (name) => requestHeaderValue(raw, name)),
    callerFor: async (accessKeyId) => {
      const found = await opts.credentials.lookup(accessKeyId);
      if (!found || !found.active) throw new CofferError('InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.', { OSSAccessKeyId: accessKeyId });
      return { caller: callerOf(raw, found, (name) => requestHeaderValue(raw, name)), secret: found.secret };
    },
  };
  return OPERATIONS[operation](opts.coffer, req);
}

/** Condition keys oss:x-oss-<name> read the request header x-oss-<name> (e.g. oss:x-oss-server-side-encryption). */
function requestHeaderValue(raw: IncomingMessage, key: string): string | undefined {
  if (!key.startsWith('oss:x-oss-')) return undefined;
  const v = raw.headers[key.slice('oss:'.length)];
  return Array.isArray(v) ? v[0] : v;
}

function baseHeaders(res: ServerResponse, requestId: string, cors: Record<string, string>): void {
  res.setHeader('x-oss-request-id', requestId);
  res.setHeader('Server', 'AliyunOSS');
  res.setHeader('Date', new Date().toUTCString());
  for (const [k, v] of Object.entries(cors)) res.setHeader(k, v);
}

/**
 * Waits for a body stream's first chunk, so that a failure before any byte (a missing blob, a first
 * package failing authentication) still becomes a proper error response.
 */
async function primed(stream: Readable): Promise<Readable> {
  const it = stream[Symbol.asyncIterator]();
  const first = await it.next();
  return Readable.from((async function* () {
    if (first.done) return;
    yield first.value as Buffer;
    for (let next = await it.next(); !next.done; next = await it.next()) yield next.value as Buffer;
  })(), { objectMode: false });
}

async function send(res: ServerResponse, raw: IncomingMessage, requestId: string, r: OssResponse, cors: Record<string, string>): Promise<void> {
  if (r.body instanceof Readable && raw.method === 'HEAD') r.body.destroy();
  const stream = r.body instanceof Readable && raw.method !== 'HEAD' ? await primed(r.body) : null;
  baseHeaders(res, requestId, cors);
  for (const [k, v] of Object.entries(r.headers ?? {})) if (v !== undefined) res.setHeader(k, v);
  res.statusCode = r.status;
  if (stream) {
    try {
      await pipeline(stream, res);
    } catch (err) {
      // Mid-stream failure (e.g. a package failing authentication): cut the connection so the
      // client sees a short body, never a complete response with altered bytes.
      res.destroy(err as Error);
      // The client hung up, often right after the last byte (Connection: close): not a server failure.
      if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
      throw err;
    }
    return;
  }
  if (r.body instanceof Readable) {
    res.end();
    return;
  }
  const body = r.body ?? '';
  if (typeof body === 'string' && body.startsWith('<?xml') && !res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/xml');
  // A HEAD answer describes the object: the operation's Content-Length (the object size) stands.
  if (raw.method !== 'HEAD' || !res.hasHeader('Content-Length')) res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(raw.method === 'HEAD' ? undefined : body);
  raw.resume();
}

function sendError(opts: OssHandlerOptions, res: ServerResponse, raw: IncomingMessage, requestId: string, err: unknown, cors: Record<string, string>): void {
  if (!isCofferError(err) || err.code === 'InternalError' || err.code === 'DataIntegrityError') {
    opts.logger.log('error', 'request failed', { requestId, error: err instanceof Error ? err.message : String(err) });
  }
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const host = raw.headers.host ?? '';
  const e = renderError(err, requestId, host);
  res.removeHeader('Content-Length');
  baseHeaders(res, requestId, cors);
  for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
  res.statusCode = e.status;
  // A body the failure left unread (a write error stops the pipeline that consumed it) may be
  // gone with its socket: the client must not send its next request on this connection.
  if (!raw.complete) res.setHeader('Connection', 'close');
  if (raw.method === 'HEAD') {
    res.setHeader('x-oss-err', Buffer.from(e.body).toString('base64'));
    res.end();
  } else {
    res.setHeader('Content-Type', 'application/xml');
    res.setHeader('Content-Length', Buffer.byteLength(e.body));
    res.end(e.body);
  }
  // Drain an unread upload body so the connection can be reused.
  raw.resume();
}
