/**
 * The OSS listener's request handler: route → authenticate → operation → response, with every
 * failure rendered as an OSS error (on HEAD, base64 in x-oss-err, since HEAD has no body).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { authenticate } from '../auth';
import type { Coffer } from '../core/coffer';
import { CofferError, isCofferError } from '../common/errors';
import type { AccessKey, CredentialStore } from '../iam/credentials';
import { callerOf } from '../iam/caller';
import type { Logger } from '../common/log';
import type { RequestFacts, RequestObserver } from '../common/request-observer';
import { corsResponseHeaders, Options } from './cors';
import { requestEndpoint } from './endpoint';
import { renderError } from './errors';
import { OPERATIONS } from './operations';
import { sendErrorResponse, sendResponse } from './respond';
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
  /** Request metrics and the access log (shared with the S3 dialect). */
  observer: RequestObserver;
}

export const OSS_REQUESTS = 'coffer_oss_requests_total';

/**
 * Request ids: 24 upper-case hex digits, a random per-process prefix and a counter, unique without
 * asking the system for randomness on every request (which cost ~15 µs each).
 */
let idPrefix = '';
let idCounter = 0xffffffff;
export function newRequestId(): string {
  if (++idCounter > 0xffffffff) {
    idPrefix = randomBytes(8).toString('hex').toUpperCase();
    idCounter = 0;
  }
  return idPrefix + idCounter.toString(16).toUpperCase().padStart(8, '0');
}

export function createOssHandler(opts: OssHandlerOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const observed = opts.observer.dialect('oss', { name: OSS_REQUESTS, help: 'OSS API requests by operation and HTTP status' });
  return (raw, res) => {
    const started = observed.begin(raw);
    const requestId = newRequestId();
    const ctx: RequestContext = { operation: '-', cors: {} };
    handle(opts, raw, requestId, ctx)
      .then((response) => sendResponse(res, raw, response, baseHeaders(requestId, ctx.cors)))
      .catch((err) => sendError(opts, res, raw, requestId, err, ctx.cors))
      .finally(() => observed.end(ctx, requestId, raw, res, started));
  };
}

/** What the response needs beyond the operation's answer, known before the operation runs; what the access log says. */
interface RequestContext extends RequestFacts {
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
  ctx.bucket = bucket;
  ctx.key = targets[0].key;
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
    ctx.accessKeyId = auth.accessKeyId;
    key = await opts.credentials.lookup(auth.accessKeyId);
    if (!key) throw new CofferError('InvalidAccessKeyId', 'The OSS Access Key Id you provided does not exist in our records.');
    // An Inactive RAM key still signs correctly; it authenticates nothing.
    if (!key.active) throw new CofferError('InvalidAccessKeyId', 'The OSS Access Key Id you provided is disabled.', { OSSAccessKeyId: key.accessKeyId });
    target = auth.target;
    ctx.key = target.key;
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
    headers: raw.headers,
    body: raw,
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

function baseHeaders(requestId: string, cors: Record<string, string>): Record<string, string> {
  return { 'x-oss-request-id': requestId, Server: 'AliyunOSS', Date: new Date().toUTCString(), ...cors };
}

function sendError(opts: OssHandlerOptions, res: ServerResponse, raw: IncomingMessage, requestId: string, err: unknown, cors: Record<string, string>): void {
  logFailure(opts.logger, requestId, err);
  const e = renderError(err, requestId, raw.headers.host ?? '');
  // HEAD has no body: OSS sends the error document base64-encoded in a header instead.
  const headers = raw.method === 'HEAD' ? { ...e.headers, 'x-oss-err': Buffer.from(e.body).toString('base64') } : e.headers;
  sendErrorResponse(res, raw, { ...e, headers }, baseHeaders(requestId, cors));
}

/** Failures that are the server's (not the client's) are logged; the rest are ordinary answers. */
export function logFailure(logger: Logger, requestId: string, err: unknown): void {
  if (!isCofferError(err) || err.code === 'InternalError' || err.code === 'DataIntegrityError') {
    logger.log('error', 'request failed', { requestId, error: err instanceof Error ? err.message : String(err) });
  }
}
