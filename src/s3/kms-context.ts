/**
 * x-amz-server-side-encryption-context: base64 of a JSON object of string pairs, which SSE-KMS
 * adds to the data key's encryption context (next to the bucket and object, which it cannot
 * replace: keys under acs: and aws: are the service's).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { CofferError } from '../common/errors';

const NAME = 'x-amz-server-side-encryption-context';
const MAX_BYTES = 8 * 1024;

export function kmsContextOf(headers: IncomingHttpHeaders): Record<string, string> | undefined {
  const raw = headers[NAME];
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (value === undefined) return undefined;
  const invalid = (why: string): CofferError => new CofferError('InvalidArgument', `${NAME} ${why}.`, { ArgumentName: NAME, ArgumentValue: value.slice(0, 256) });
  if (value.length > MAX_BYTES || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw invalid('must be base64 (at most 8 KiB)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64').toString('utf8'));
  } catch {
    throw invalid('must be base64-encoded JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('must be a JSON object');
  const context: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (typeof v !== 'string') throw invalid('must map names to strings');
    if (/^(acs|aws):/i.test(k)) throw invalid(`must not name ${k}: acs: and aws: keys are the service's`);
    context[k] = v;
  }
  return context;
}
