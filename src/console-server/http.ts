/** Request and response helpers of the console's JSON API. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError } from './contract';

export { ApiError, type ErrorSource } from './contract';

export const badRequest = (message: string): ApiError => new ApiError(400, 'InvalidArgument', message);

/** A refusal that ends by itself: answered with Retry-After. */
export class RetryLater extends ApiError {
  constructor(status: number, code: string, message: string, readonly retryAfterSeconds: number) {
    super(status, code, message);
  }
}

/** Upper bound of a JSON request body; uploads stream and have their own limit. */
const MAX_JSON_BYTES = 1 << 20;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = JSON.stringify(body);
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(text));
  // API answers are per-user: never stored by the browser or a proxy.
  res.setHeader('Cache-Control', 'no-store');
  res.end(text);
}

export function sendError(res: ServerResponse, err: ApiError): void {
  const headers: Record<string, string> = err instanceof RetryLater ? { 'Retry-After': String(err.retryAfterSeconds) } : {};
  sendJson(res, err.status, { error: { source: err.source, code: err.code, message: err.message, requestId: err.requestId } }, headers);
}

/**
 * Reads a JSON object body. Only application/json is accepted: a cross-site HTML form cannot send
 * it without a CORS preflight (which this API never grants), so even the login is not forgeable.
 */
export async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new ApiError(415, 'UnsupportedMediaType', 'The request body must be application/json.');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_JSON_BYTES) throw new ApiError(413, 'EntityTooLarge', 'The request body is too large.');
    chunks.push(chunk);
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw badRequest('The request body is not valid JSON.');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw badRequest('The request body must be a JSON object.');
  return value as Record<string, unknown>;
}

/** A required non-empty string field. */
export function str(body: Record<string, unknown>, name: string): string {
  const v = body[name];
  if (typeof v !== 'string' || v === '') throw badRequest(`${name} is required.`);
  return v;
}

/** An optional string field ('' counts as absent). */
export function optStr(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw badRequest(`${name} must be a string.`);
  return v;
}

export function bool(body: Record<string, unknown>, name: string): boolean {
  const v = body[name] ?? false;
  if (typeof v !== 'boolean') throw badRequest(`${name} must be true or false.`);
  return v;
}

export function int(body: Record<string, unknown>, name: string, min: number, max: number): number {
  const v = body[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw badRequest(`${name} must be an integer from ${min} to ${max}.`);
  return v;
}

/** One of a fixed set of values. */
export function oneOf<T extends string>(body: Record<string, unknown>, name: string, values: readonly T[]): T {
  const v = body[name];
  if (typeof v !== 'string' || !values.includes(v as T)) throw badRequest(`${name} must be one of ${values.join(', ')}.`);
  return v as T;
}
