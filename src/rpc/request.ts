/**
 * Reads an RPC-style request: GET or POST on `/`, parameters in the URL query and/or an
 * application/x-www-form-urlencoded body (pop-core's POST sends everything in the body).
 */
import type { IncomingMessage } from 'node:http';
import { CofferError } from '../common/errors';
import type { Pair } from './signature';

/** Far above any KMS request (the largest, ImportKeyMaterial, is a few KiB). */
export const MAX_BODY_BYTES = 64 * 1024;

export interface RpcHttpRequest {
  method: string;
  /** The path as sent, not decoded. */
  path: string;
  /** Decoded URL-query params ("+" is a space). */
  query: Pair[];
  /** Decoded form-body params; empty unless the body is form-urlencoded. */
  form: Pair[];
  /** Lower-case names; a header sent several times has several values. */
  headers: Readonly<Record<string, readonly string[] | undefined>>;
  body: Buffer;
}

const tooLarge = (): CofferError =>
  new CofferError('ParseRequestParameterException', `The request body is larger than ${MAX_BODY_BYTES} bytes.`);

/**
 * Reads the body up to MAX_BODY_BYTES. Past that it stops reading without destroying the request
 * (which would reset the socket before the error is sent); the response closes the connection.
 */
function readBody(raw: IncomingMessage): Promise<Buffer> {
  if (Number(raw.headers['content-length'] ?? 0) > MAX_BODY_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) {
        chunks.push(chunk);
        return;
      }
      raw.off('data', onData).off('end', onEnd).pause();
      reject(tooLarge());
    };
    const onEnd = (): void => resolve(Buffer.concat(chunks));
    raw.on('data', onData).once('end', onEnd).once('error', reject);
  });
}

const pairsOf = (encoded: string): Pair[] => [...new URLSearchParams(encoded)];

export async function readRpcRequest(raw: IncomingMessage): Promise<RpcHttpRequest> {
  const url = raw.url ?? '/';
  const q = url.indexOf('?');
  const body = await readBody(raw);
  const mediaType = (raw.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  return {
    method: raw.method ?? 'GET',
    path: q < 0 ? url : url.slice(0, q),
    query: pairsOf(q < 0 ? '' : url.slice(q + 1)),
    form: mediaType === 'application/x-www-form-urlencoded' ? pairsOf(body.toString('utf8')) : [],
    headers: raw.headersDistinct,
    body,
  };
}

/**
 * Query and form params as one map. Every client sends each name once; a repeated name is
 * refused, so that what is signed and what the action reads cannot differ.
 */
export function mergeParams(req: Pick<RpcHttpRequest, 'query' | 'form'>): Map<string, string> {
  const params = new Map<string, string>();
  for (const [name, value] of [...req.query, ...req.form]) {
    if (params.has(name)) throw new CofferError('InvalidParameter', `The parameter ${name} is given more than once.`);
    params.set(name, value);
  }
  return params;
}
