/**
 * The S3 dialect on the OSS listener. A request signed with AWS Signature V4 (or unsigned with
 * x-amz-* headers) is authenticated as AWS signs it, routed by S3's rules, and carried out by the
 * OSS operation it corresponds to, with its headers under their OSS names and its body decoded;
 * the answer is reshaped as S3 writes it. One set of operations therefore decides both dialects'
 * semantics: authorization, validation, encryption and storage are the same code.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { authenticateAws, isAwsRequest } from '../auth/aws-authenticate';
import { headerValue } from '../auth/headers';
import { CofferError } from '../common/errors';
import type { Logger } from '../common/log';
import type { RequestFacts, RequestObserver } from '../common/request-observer';
import type { Coffer } from '../core/coffer';
import { callerOf } from '../iam/caller';
import type { AccessKey, CredentialStore } from '../iam/credentials';
import { corsResponseHeaders } from '../oss/cors';
import { requestEndpoint } from '../oss/endpoint';
import { logFailure, newRequestId } from '../oss/handler';
import { OPERATIONS } from '../oss/operations';
import type { OssRequest, OssResponse } from '../oss/request';
import { sendErrorResponse, sendResponse } from '../oss/respond';
import { parseQuery, targetsOf } from '../oss/router';
import { getBucketConfiguration } from './bucket-configuration';
import { renderS3Error } from './errors';
import { prepare } from './prepare';
import { decodePayload } from './payload';
import { translateRequestHeaders } from './request-headers';
import { s3Response } from './responses';
import { routeS3, S3_TO_OSS } from './router';
import { customerKeyResponseHeaders, customerKeys } from './sse-c';
import { kmsContextOf } from './kms-context';

export interface S3HandlerOptions {
  coffer: Coffer;
  credentials: CredentialStore;
  logger: Logger;
  /** Request metrics and the access log (shared with the OSS dialect). */
  observer: RequestObserver;
  /** Base domain for virtual-hosted-style requests (<bucket>.<domain>). */
  domain?: string;
  publicEndpoint?: string;
  /** Accept SSE-C keys over plain HTTP (--allow-sse-c-over-http; local tests only). */
  allowSseCOverHttp?: boolean;
}

export const S3_REQUESTS = 'coffer_s3_requests_total';

interface Context extends RequestFacts { cors: Record<string, string>; resource: string }

/**
 * The S3 dialect's handler: it answers a request that speaks S3 (see isAwsRequest) and returns
 * true, or returns false and leaves the request to the OSS dialect; the query is parsed once for
 * both the decision and the request. A query that cannot be read is left to OSS to refuse.
 */
export function createS3Handler(opts: S3HandlerOptions): (raw: IncomingMessage, res: ServerResponse) => boolean {
  const observed = opts.observer.dialect('s3', { name: S3_REQUESTS, help: 'S3-dialect requests by operation and HTTP status' });
  return (raw, res) => {
    const url = raw.url ?? '/';
    const q = url.indexOf('?');
    let pairs: Array<[string, string]>;
    try {
      pairs = parseQuery(q < 0 ? '' : url.slice(q + 1));
    } catch {
      return false;
    }
    if (!isAwsRequest(raw.headers, pairs)) return false;
    const started = observed.begin(raw);
    const requestId = newRequestId();
    const ctx: Context = { operation: '-', cors: {}, resource: (raw.url ?? '/').split('?')[0] };
    const base = (): Record<string, string> => ({
      // x-amz-id-2, S3's "extended request id", is opaque: the same id, in S3's base64 form.
      'x-amz-request-id': requestId, 'x-amz-id-2': Buffer.from(requestId, 'hex').toString('base64'), Server: 'Coffer', Date: new Date().toUTCString(), ...ctx.cors,
    });
    handle(opts, raw, pairs, requestId, ctx)
      .then((r) => sendResponse(res, raw, r, base()))
      .catch((err) => {
        logFailure(opts.logger, requestId, err);
        const e = renderS3Error(err, requestId, ctx.resource);
        sendErrorResponse(res, raw, e, base());
      })
      .finally(() => observed.end(ctx, requestId, raw, res, started));
    return true;
  };
}

/** The signing key, once its signature verified: an Inactive RAM key still signs correctly, but authenticates nothing. */
function activeKey(key: AccessKey | null, accessKeyId: string): AccessKey {
  if (!key || !key.active) {
    throw new CofferError('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.', { AWSAccessKeyId: accessKeyId });
  }
  return key;
}

async function handle(opts: S3HandlerOptions, raw: IncomingMessage, pairs: Array<[string, string]>, requestId: string, ctx: Context): Promise<OssResponse> {
  const url = raw.url ?? '/';
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  // AWS signs the path as sent, whichever way it names the bucket: the first reading is S3's.
  const target = targetsOf(raw.headers.host, rawPath, opts.domain)[0];
  ctx.bucket = target.bucket;
  ctx.key = target.key;
  if (target.bucket !== undefined && raw.headers.origin !== undefined) ctx.cors = await corsResponseHeaders(opts.coffer, raw, target.bucket);
  const method = raw.method ?? 'GET';
  let found: AccessKey | null = null;
  const auth = await authenticateAws({ method, headers: raw.headers, rawPath, query: pairs }, async (id) => (found = await opts.credentials.lookup(id)));
  if (auth.kind === 'signed') ctx.accessKeyId = auth.accessKeyId;
  const key = auth.kind === 'signed' ? activeKey(found, auth.accessKeyId) : null;
  const query = new Map<string, string>();
  for (const [k, v] of pairs) if (!query.has(k)) query.set(k, v);
  const route = routeS3(method, target, query, raw.headers['x-amz-copy-source'] !== undefined);
  ctx.operation = route.op === 'GetBucketConfiguration' ? `GetBucket:${route.resource}` : route.op;

  const headers: IncomingHttpHeaders = translateRequestHeaders(raw.headers, target.key !== undefined);
  const payload = decodePayload(raw, auth.kind === 'signed' ? auth.payload : { kind: 'unsigned' }, auth.kind === 'signed' ? auth.chunkSigner : undefined);
  if (payload.length === undefined) delete headers['content-length'];
  else headers['content-length'] = String(payload.length);
  stripAwsChunked(headers);
  const req: OssRequest = {
    id: requestId,
    method,
    raw,
    headers,
    body: payload.body,
    query,
    bucket: target.bucket,
    key: target.key,
    endpoint: opts.publicEndpoint ?? requestEndpoint(raw, opts.domain),
    caller: callerOf(raw, key, (name) => (name.startsWith('oss:x-oss-') ? headerValue(headers, name.slice('oss:'.length)) : undefined)),
    callerFor: () => Promise.reject(new CofferError('NotImplemented', 'Form uploads are not implemented by the S3 dialect.')),
  };
  if (route.op === 'GetBucketConfiguration') return getBucketConfiguration(opts.coffer, req, route.resource);
  const keyMd5 = customerKeys(req, opts.allowSseCOverHttp ?? false);
  req.kmsContext = kmsContextOf(raw.headers);
  const reshape = await prepare(opts.coffer, route.op, req, payload);
  const operationAnswer = await OPERATIONS[S3_TO_OSS[route.op]](opts.coffer, req);
  const answer = reshape ? reshape(operationAnswer) : operationAnswer;
  // HeadBucket answers only whether the bucket is there for the caller, and its region.
  const r = s3Response(route.op === 'HeadBucket' ? { status: 200, headers: { 'x-amz-bucket-region': opts.coffer.region } } : answer);
  return keyMd5 === undefined ? r : { ...r, headers: { ...r.headers, ...customerKeyResponseHeaders(keyMd5) } };
}

/** S3 keeps aws-chunked out of the object's Content-Encoding: it describes the transfer, not the object. */
function stripAwsChunked(headers: IncomingHttpHeaders): void {
  const encoding = headerValue(headers, 'content-encoding');
  if (encoding === undefined) return;
  const rest = encoding.split(',').map((e) => e.trim()).filter((e) => e !== '' && e.toLowerCase() !== 'aws-chunked');
  if (rest.length) headers['content-encoding'] = rest.join(',');
  else delete headers['content-encoding'];
}

