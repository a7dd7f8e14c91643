/**
 * The console listener's handler: the built app (static files), the JSON API under /api/ (a
 * backend for the page: it keeps each session's access key pair and calls Coffer's own OSS and
 * RPC endpoints with it), and GET /metrics (Prometheus text; with a metrics token, for bearers of
 * it only). The page's own metrics view reads the same text at /api/metrics, under its session.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Principal } from '../common/principal';
import type { Logger } from '../common/log';
import type { Metrics } from '../common/metrics';
import type { MetadataStore } from '../store/types';
import { ApiError, badRequest, readJson, sendError, sendJson, str } from './http';
import { DEFAULT_LOGIN_LIMITS, LoginLimiter, type LoginLimits } from './login-limiter';
import { Router } from './router';
import { adminRoutes } from './routes/admin';
import { bucketRoutes } from './routes/buckets';
import { kmsRoutes } from './routes/kms';
import { objectRoutes } from './routes/objects';
import { ramRoutes } from './routes/ram';
import {
  DEFAULT_SESSION_LIMITS, SESSIONS_CHANNEL, SessionStore, clearedCookie, csrfValid, sessionSetCookie, type Identity, type Session, type SessionLimits,
} from './sessions';
import { STATIC_DIR, serveStatic } from './static';
import { call, upstreamFor, type UpstreamTarget } from './upstream';

export type { SessionLimits } from './sessions';
export type { LoginLimits } from './login-limiter';

export interface ConsoleOptions {
  /** The APIs the console calls on the user's behalf. */
  target: UpstreamTarget;
  /** Who an access key belongs to, once a signed call has proved the secret. */
  identify: (accessKeyId: string) => Promise<Principal | null>;
  metrics: Metrics;
  /** GET /metrics needs `Authorization: Bearer <metricsToken>` when set; it is open otherwise. */
  metricsToken?: string;
  logger: Logger;
  /** The console is served over TLS: session cookies are Secure. */
  secure: boolean;
  sessionLimits?: SessionLimits;
  /** Throttling of failed logins (default: DEFAULT_LOGIN_LIMITS). */
  loginLimits?: LoginLimits;
  /** The sessions' and the login throttle's clock (Unix ms). */
  now?: () => number;
  /** Keeps sessions across restarts (the secret sealed by this key); in memory only without it. */
  persistence?: { meta: MetadataStore; rootKey: Buffer };
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Login fields are bounded: nothing legitimate is longer. */
const MAX_CREDENTIAL_LENGTH = 256;

/** Every route of the JSON API but the session's own (login, logout), which api() handles first. */
export const consoleRoutes = [...bucketRoutes, ...objectRoutes, ...kmsRoutes, ...ramRoutes, ...adminRoutes];
const router = new Router(consoleRoutes);

function sessionView(s: Session, target: UpstreamTarget, limits: SessionLimits): object {
  return { identity: s.identity, csrfToken: s.csrfToken, region: target.region, idleTimeoutMs: limits.idleMs };
}

/** What an AccessKey ID and secret are made of; anything else (CR/LF, spaces, non-ASCII) cannot be one. */
const CREDENTIAL = /^[\x21-\x7e]+$/;

/**
 * POST /api/session: proves the pair with a signed ListBuckets. The signature is what is checked:
 * AccessDenied (a RAM user without oss:ListBuckets) still proves the secret; an unknown key or a
 * wrong signature is refused with 401. Failed attempts are throttled (login-limiter.ts).
 */
async function login(opts: ConsoleOptions, sessions: SessionStore, limiter: LoginLimiter, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const body = await readJson(req);
  const accessKeyId = str(body, 'accessKeyId');
  const accessKeySecret = str(body, 'accessKeySecret');
  if (accessKeyId.length > MAX_CREDENTIAL_LENGTH || accessKeySecret.length > MAX_CREDENTIAL_LENGTH) {
    throw new ApiError(401, 'InvalidAccessKeyId', 'The access key pair is not valid.');
  }
  // Checked here: such a value cannot travel in a signed request's headers at all.
  if (!CREDENTIAL.test(accessKeyId) || !CREDENTIAL.test(accessKeySecret)) {
    throw badRequest('accessKeyId and accessKeySecret consist of printable ASCII characters without spaces.');
  }
  const attempt = limiter.begin(req.socket.remoteAddress ?? '', accessKeyId);
  const upstream = upstreamFor(opts.target, accessKeyId, accessKeySecret);
  try {
    await call('oss', () => upstream.oss().listBuckets({ 'max-keys': 1 }));
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'AccessDenied') {
      if (err instanceof ApiError && err.status < 500) throw new ApiError(401, err.code, err.message, err.source, err.requestId);
      attempt.undecided();
      throw err;
    }
  }
  const principal = await opts.identify(accessKeyId);
  if (!principal || principal.kind === 'anonymous') throw new ApiError(401, 'InvalidAccessKeyId', 'The access key pair is not valid.');
  attempt.succeeded();
  const identity: Identity = principal.kind === 'user'
    ? { kind: 'user', accountId: principal.accountId, accessKeyId, userName: principal.userName }
    : { kind: 'root', accountId: principal.accountId, accessKeyId };
  const { id, session } = await sessions.create(identity, upstream, accessKeySecret);
  sendJson(res, 200, sessionView(session, opts.target, sessions.limits), { 'Set-Cookie': sessionSetCookie(id, sessions.limits, opts.secure) });
}

async function api(opts: ConsoleOptions, sessions: SessionStore, limiter: LoginLimiter, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  const method = req.method ?? 'GET';
  if (url.pathname === '/api/session' && method === 'POST') return login(opts, sessions, limiter, req, res);
  const session = await sessions.get(req);
  if (!session) throw new ApiError(401, 'NotLoggedIn', 'Log in first: there is no session, or it has expired.');
  if (STATE_CHANGING.has(method) && !csrfValid(req, session)) {
    throw new ApiError(403, 'InvalidCsrfToken', 'The X-CSRF-Token header is missing or does not match the session.');
  }
  if (url.pathname === '/api/metrics' && (method === 'GET' || method === 'HEAD')) return sendMetrics(opts, method, res);
  if (url.pathname === '/api/session') {
    if (method === 'GET') return sendJson(res, 200, sessionView(session, opts.target, sessions.limits));
    if (method === 'DELETE') {
      await sessions.destroy(req);
      return sendJson(res, 200, {}, { 'Set-Cookie': clearedCookie(opts.secure) });
    }
  }
  let match: ReturnType<Router['match']>;
  try {
    match = router.match(method, url.pathname);
  } catch {
    throw new ApiError(400, 'InvalidArgument', 'The request path is not valid percent-encoding.');
  }
  if (match === 'method') throw new ApiError(405, 'MethodNotAllowed', `${method} is not allowed on ${url.pathname}.`);
  if (!match) throw new ApiError(404, 'NotFound', `No console API at ${url.pathname}.`);
  const result = await match.route.handle({ req, res, params: match.params, query: url.searchParams, session });
  if (!res.headersSent) sendJson(res, 200, result ?? {});
}

async function sendMetrics(opts: ConsoleOptions, method: string, res: ServerResponse): Promise<void> {
  const text = await opts.metrics.render();
  res.setHeader('Content-Type', opts.metrics.contentType);
  res.setHeader('Cache-Control', 'no-store');
  res.end(method === 'HEAD' ? undefined : text);
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Whether an Authorization header is `Bearer <token>` (the scheme in any case). The token is
 * compared by its SHA-256, in constant time: neither its bytes nor its length leak through timing.
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^bearer +(\S+) *$/i.exec(header ?? '');
  return timingSafeEqual(digest(m?.[1] ?? ''), digest(token)) && m !== null;
}

/** The console's request handler, and the sweep of expired sessions out of the store. */
export type ConsoleHandler = RequestListener & { sweepSessions(): Promise<number> };

export function createConsoleHandler(opts: ConsoleOptions): ConsoleHandler {
  const persistence = opts.persistence && { ...opts.persistence, upstream: (id: string, secret: string) => upstreamFor(opts.target, id, secret) };
  const sessions = new SessionStore(opts.sessionLimits ?? DEFAULT_SESSION_LIMITS, opts.now ?? Date.now, persistence);
  const limiter = new LoginLimiter(opts.loginLimits ?? DEFAULT_LOGIN_LIMITS, opts.now ?? Date.now);
  // A session ended on another process (logout, expiry) must not live on here.
  opts.persistence?.meta.watch((channel, message) => {
    if (channel === SESSIONS_CHANNEL) sessions.dropped(message);
    else if (channel === '*') sessions.dropped('*');
  });
  const handler: RequestListener = (req, res) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Referrer-Policy', 'same-origin');
    const url = new URL(req.url ?? '/', 'http://console.invalid');
    const method = req.method ?? 'GET';
    let work: Promise<void>;
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
      work = api(opts, sessions, limiter, req, res, url);
    } else if (method !== 'GET' && method !== 'HEAD') {
      work = Promise.reject(new ApiError(405, 'MethodNotAllowed', `${method} is not allowed here.`));
    } else if (url.pathname === '/metrics') {
      if (opts.metricsToken !== undefined && !bearerMatches(req.headers.authorization, opts.metricsToken)) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="coffer-metrics"');
        work = Promise.reject(new ApiError(401, 'Unauthorized', '/metrics needs Authorization: Bearer <the metrics token>.'));
      } else {
        work = sendMetrics(opts, method, res);
      }
    } else {
      work = serveStatic(STATIC_DIR, req, res, url.pathname);
    }
    work.catch((err: unknown) => {
      if (res.headersSent) {
        // A download or a file failing mid-stream: cut it, so the browser sees it incomplete.
        res.destroy();
        return;
      }
      const e = err instanceof ApiError ? err : new ApiError(500, 'InternalError', 'The console failed to handle the request.');
      if (!(err instanceof ApiError)) opts.logger.log('error', 'console request failed', { method, path: url.pathname, error: err instanceof Error ? err.message : String(err) });
      // An unread upload body is not drained: close after answering.
      if (!req.complete) res.setHeader('Connection', 'close');
      sendError(res, e);
    });
  };
  return Object.assign(handler, { sweepSessions: () => sessions.sweepStore() });
}
