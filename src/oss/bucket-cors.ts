/**
 * PutBucketCors, GetBucketCors, DeleteBucketCors (?cors): the CORSConfiguration document, checked
 * as OSS checks it (at most 10 rules; AllowedOrigin with at most one `*`; AllowedMethod one of
 * GET PUT DELETE POST HEAD; ExposeHeader without `* < > & ' "`; at most one MaxAgeSeconds).
 */
import { requireBucket, updateBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import { CofferError } from '../common/errors';
import type { CorsConfiguration, CorsRule } from '../store/types';
import { authorizeBucket } from './access';
import { readSmallBody } from './body';
import type { OssRequest, OssResponse } from './request';
import { malformedXml, parseXml, xmlDoc } from './xml';

export const MAX_CORS_RULES = 10;
export const CORS_METHODS: ReadonlySet<string> = new Set(['GET', 'PUT', 'DELETE', 'POST', 'HEAD']);
const MAX_AGE_LIMIT = 2 ** 31 - 1;
/** An HTTP header name (RFC 9110 token) without the characters OSS refuses in ExposeHeader. */
const EXPOSE_HEADER = /^[!#$%+\-.^_`|~0-9A-Za-z]+$/;

function invalid(name: string, value: string, why: string, ec?: string): CofferError {
  return new CofferError('InvalidArgument', why, { ArgumentName: name, ArgumentValue: value, ...(ec ? { EC: ec } : {}) });
}

/**
 * The text children named `name` (repeated or single). Origins, methods and header names are
 * identifiers, so whitespace around them is layout (the Go SDK indents), never part of the value.
 */
function tokens(content: Record<string, unknown>, name: string): string[] {
  const v = content[name];
  const list = v === undefined ? [] : Array.isArray(v) ? v : [v];
  return list.map((item) => {
    if (typeof item !== 'string') throw malformedXml(`<${name}> must be text`);
    return item.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
  });
}

function parseRule(raw: unknown): CorsRule {
  // <CORSRule/> parses as '': a rule with nothing in it.
  const content = (typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {}) as Record<string, unknown>;
  if (typeof raw !== 'object' && raw !== '') throw malformedXml('<CORSRule> must contain elements');
  const allowedOrigins = tokens(content, 'AllowedOrigin');
  if (allowedOrigins.length === 0) throw invalid('AllowedOrigin', '', 'Every CORSRule needs at least one AllowedOrigin.');
  for (const o of allowedOrigins) {
    if (o === '' || o.split('*').length > 2) throw invalid('AllowedOrigin', o, 'An AllowedOrigin must not be empty and may contain at most one "*".');
  }
  const allowedMethods = tokens(content, 'AllowedMethod');
  if (allowedMethods.length === 0) throw invalid('AllowedMethod', '', 'Every CORSRule needs at least one AllowedMethod.', '0034-00000011');
  for (const m of allowedMethods) {
    if (!CORS_METHODS.has(m)) throw invalid('AllowedMethod', m, 'AllowedMethod must be one of GET, PUT, DELETE, POST, HEAD.', '0034-00000011');
  }
  const allowedHeaders = tokens(content, 'AllowedHeader');
  for (const h of allowedHeaders) if (h === '') throw invalid('AllowedHeader', h, 'An AllowedHeader must not be empty.');
  const exposeHeaders = tokens(content, 'ExposeHeader');
  for (const h of exposeHeaders) {
    // Exposed names become a response header: only header-name characters may pass.
    if (!EXPOSE_HEADER.test(h)) throw invalid('ExposeHeader', h, 'An ExposeHeader must be a header name, without * < > & \' ".', '0034-00000013');
  }
  const maxAge = tokens(content, 'MaxAgeSeconds');
  if (maxAge.length > 1) throw invalid('MaxAgeSeconds', maxAge.join(','), 'A CORSRule may have at most one MaxAgeSeconds.');
  let maxAgeSeconds: number | undefined;
  if (maxAge.length === 1) {
    const v = maxAge[0];
    if (!/^\d{1,10}$/.test(v) || Number(v) > MAX_AGE_LIMIT) throw invalid('MaxAgeSeconds', v, 'MaxAgeSeconds must be an integer from 0 to 2147483647.');
    maxAgeSeconds = Number(v);
  }
  return { allowedOrigins, allowedMethods, allowedHeaders, exposeHeaders, ...(maxAgeSeconds !== undefined ? { maxAgeSeconds } : {}) };
}

/** Parses and checks a PutBucketCors body; throws the OSS error for the first fault. */
export function parseCorsConfiguration(body: string): CorsConfiguration {
  const doc = parseXml(body, 'CORSConfiguration', ['CORSRule']);
  const rules = (doc.CORSRule ?? []) as unknown[];
  if (rules.length === 0) {
    throw new CofferError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: at least one <CORSRule> is required.', { EC: '0034-00000002' });
  }
  if (rules.length > MAX_CORS_RULES) throw invalid('CORSRule', String(rules.length), `A bucket can have at most ${MAX_CORS_RULES} CORS rules.`);
  const vary = tokens(doc, 'ResponseVary');
  if (vary.length > 1 || (vary.length === 1 && !/^(true|false)$/i.test(vary[0]))) {
    throw invalid('ResponseVary', vary.join(','), 'ResponseVary must be true or false.');
  }
  return { rules: rules.map(parseRule), responseVary: vary.length === 1 && vary[0].toLowerCase() === 'true' };
}

export async function PutBucketCors(c: Coffer, req: OssRequest): Promise<OssResponse> {
  authorizeBucket(c, req, 'oss:PutBucketCors', await requireBucket(c, req.bucket!));
  const cors = parseCorsConfiguration(await readSmallBody(req));
  await updateBucket(c, req.bucket!, (b) => ({ ...b, cors }));
  return { status: 200 };
}

export async function GetBucketCors(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const b = await requireBucket(c, req.bucket!);
  authorizeBucket(c, req, 'oss:GetBucketCors', b);
  if (!b.cors) throw new CofferError('NoSuchCORSConfiguration', 'The CORS Configuration does not exist.', { BucketName: b.name });
  return {
    status: 200,
    // Empty lists are left out: ali-oss turns every element it finds into a rule field.
    body: xmlDoc('CORSConfiguration', {
      CORSRule: b.cors.rules.map((r) => ({
        AllowedOrigin: r.allowedOrigins,
        AllowedMethod: r.allowedMethods,
        AllowedHeader: r.allowedHeaders,
        ExposeHeader: r.exposeHeaders,
        MaxAgeSeconds: r.maxAgeSeconds,
      })),
      ResponseVary: b.cors.responseVary,
    }),
  };
}

export async function DeleteBucketCors(c: Coffer, req: OssRequest): Promise<OssResponse> {
  authorizeBucket(c, req, 'oss:DeleteBucketCors', await requireBucket(c, req.bucket!));
  await updateBucket(c, req.bucket!, (b) => ({ ...b, cors: null }));
  return { status: 204 };
}
