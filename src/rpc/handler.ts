/**
 * The RPC listener's request handler: read → authenticate → dispatch on (Version, Action) →
 * JSON response. Every failure is a JSON error body with the catalogue's status.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { MAX_SKEW_MS } from '../auth/auth-errors';
import { CofferError } from '../common/errors';
import { callerOf } from '../iam/caller';
import type { CredentialStore } from '../iam/credentials';
import type { Logger } from '../common/log';
import type { Metrics } from '../common/metrics';
import type { RequestFacts, RequestObserver } from '../common/request-observer';
import { authenticateRpc, singleHeader } from './authenticate';
import { renderRpcError } from './errors';
import { NonceCache } from './nonces';
import { missingParameter } from './params';
import { mergeParams, readRpcRequest } from './request';
import type { RpcResult, RpcServices } from './service';

export interface RpcHandlerOptions {
  credentials: Pick<CredentialStore, 'lookup'>;
  logger: Logger;
  services: RpcServices;
  /** Counts requests by API version, action and status; tests that build a bare handler leave it out. */
  metrics?: Metrics;
  /** Request metrics (dialect "rpc", operation = action) and the access log; tests that build a bare handler leave it out. */
  observer?: RequestObserver;
  /** Replay-window nonces remembered per AccessKeyId (default NONCES_PER_CALLER). */
  noncesPerCaller?: number;
}

export const RPC_REQUESTS = 'coffer_rpc_requests_total';

/** Alibaba RPC request ids are upper-case UUIDs. */
export const newRpcRequestId = (): string => randomUUID().toUpperCase();

export function createRpcHandler(opts: RpcHandlerOptions): RequestListener {
  const nonces = new NonceCache(2 * MAX_SKEW_MS, opts.noncesPerCaller);
  opts.metrics?.counter(RPC_REQUESTS, 'RPC API (KMS, RAM, admin) requests by version, action and HTTP status', ['version', 'action', 'status']);
  const observed = opts.observer?.dialect('rpc');
  return (raw, res) => {
    const started = observed?.begin(raw) ?? 0;
    const requestId = newRpcRequestId();
    let version = '-';
    let action = '-';
    const facts: RequestFacts = { operation: '-' };
    handle(opts, nonces, raw, requestId, facts, (v, name) => { version = v; action = name; facts.operation = name; })
      .then(
        (result) => send(res, raw, requestId, 200, { RequestId: requestId, ...result }),
        (err: unknown) => {
          const e = renderRpcError(err, requestId, raw.headers.host ?? '');
          if (e.body.Code === 'InternalFailure') {
            const error = err instanceof CofferError ? `${err.code}: ${err.message}` : err instanceof Error ? err.stack : String(err);
            opts.logger.log('error', 'rpc request failed', { requestId, action, error });
          }
          send(res, raw, requestId, e.status, e.body);
        },
      )
      .finally(() => {
        opts.metrics?.inc(RPC_REQUESTS, { version, action, status: String(res.statusCode) });
        observed?.end(facts, requestId, raw, res, started);
      });
  };
}

async function handle(
  opts: RpcHandlerOptions,
  nonces: NonceCache,
  raw: IncomingMessage,
  requestId: string,
  facts: RequestFacts,
  named: (version: string, action: string) => void,
): Promise<RpcResult> {
  const method = raw.method ?? 'GET';
  if (method !== 'GET' && method !== 'POST') {
    throw new CofferError('UnsupportedHTTPMethod', `The HTTP method ${method} is not supported; use GET or POST.`);
  }
  const req = await readRpcRequest(raw);
  if (req.path !== '/') throw new CofferError('InvalidAction.NotFound', `Nothing is served at ${req.path}; RPC requests go to /.`);
  const params = mergeParams(req);
  const { key, style } = await authenticateRpc(req, params, { lookup: (id) => opts.credentials.lookup(id), nonces });
  facts.accessKeyId = key.accessKeyId;
  // V1 signs the params only: the x-acs-* headers count only when a V3 signature covers them.
  const header = (name: string): string | undefined => (style === 'v3' ? singleHeader(req, name) : undefined);
  const version = params.get('Version') || header('x-acs-version');
  const actionName = params.get('Action') || header('x-acs-action');
  if (!version) throw missingParameter('Version');
  if (!actionName) throw missingParameter('Action');
  const service = Object.hasOwn(opts.services, version) ? opts.services[version] : undefined;
  if (!service) {
    throw new CofferError('InvalidVersion', `Specified parameter Version ${version} is not valid; this endpoint serves ${Object.keys(opts.services).join(', ')}.`);
  }
  const action = Object.hasOwn(service.actions, actionName) ? service.actions[actionName] : undefined;
  if (!action) throw new CofferError('InvalidAction.NotFound', `Specified api ${actionName} is not found in version ${version}.`);
  named(version, actionName);
  return action({
    requestId,
    action: actionName,
    version,
    params,
    caller: callerOf(raw, key),
  });
}

function send(res: ServerResponse, raw: IncomingMessage, requestId: string, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json;charset=utf-8');
  res.setHeader('x-acs-request-id', requestId);
  res.setHeader('content-length', Buffer.byteLength(text));
  // A body left unread (refused method, oversized upload) is not drained: close after answering.
  if (!raw.complete) res.setHeader('connection', 'close');
  res.end(text);
}
