/**
 * PostObject: `POST /<bucket>` with a multipart/form-data body, the browser form upload. The form
 * carries what a PUT carries in headers (key, Content-Type, Cache-Control, x-oss-meta-*, SSE,
 * x-oss-object-acl, …) and its own authentication: a policy document signed with V1
 * (OSSAccessKeyId + Signature = base64 HMAC-SHA1 of the base64 policy) or V4
 * (x-oss-signature-version, x-oss-credential, x-oss-date, x-oss-signature = hex HMAC-SHA256 with
 * the V4 signing key). Without a signature the upload is anonymous, which only a
 * public-read-write bucket accepts. The file part is streamed into the store as it arrives.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { signaturesEqual, signV1, signV4, V4_ALGORITHM } from '../auth';
import { checkNotExpired, checkSkew, parseV4Date } from '../auth/time';
import { CofferError } from '../common/errors';
import type { Coffer } from '../core/coffer';
import { LIMITS } from '../core/coffer';
import { putObject } from '../core/objects';
import { malformedForm, readForm, formBoundary, type Form } from './form-data';
import { quoteEtag } from './format';
import { objectAttributesFrom } from './object-headers';
import { authorizeObjectWrite, forbidOverwriteFrom } from './object-put';
import { versionIdHeader } from './object-versions';
import { checkPolicy, parsePolicy } from './post-policy';
import { header, type OssRequest, type OssResponse } from './request';
import { requestedSse, sseResponseHeaders } from './sse-headers';
import { xmlDoc } from './xml';

/** Form fields that stand for the request headers of a PutObject. */
const HEADER_FIELDS = ['cache-control', 'content-type', 'content-disposition', 'content-encoding', 'content-language', 'expires'];
/** V4 requests older than this are refused whatever the policy says (OSS: at most 7 days). */
const MAX_V4_AGE_MS = 7 * 24 * 3600 * 1000;

export async function PostObject(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const boundary = formBoundary(header(req, 'content-type'));
  if (boundary === null) {
    throw new CofferError('MethodNotAllowed', 'The specified method is not allowed against this resource.', { Method: 'POST' });
  }
  const form = await readForm(req.body, boundary);
  try {
    return await upload(c, req, form);
  } finally {
    // A refused upload leaves the file unread: drop it (the handler drains the socket).
    form.file?.data.destroy();
  }
}

async function upload(c: Coffer, req: OssRequest, form: Form): Promise<OssResponse> {
  const text = (name: string): string | undefined => form.fields.get(name)?.toString('utf8');
  const policyText = text('policy');
  const policy = policyText === undefined ? null : parsePolicy(policyText);
  const caller = await signer(req, form, policyText);
  if (caller !== null && policy === null) {
    throw new CofferError('InvalidArgument', 'A signed form must carry a policy.', { ArgumentName: 'policy' });
  }
  const file = form.file;
  if (!file) throw new CofferError('InvalidArgument', 'The form has no file field, or fields follow where the file should be.', { ArgumentName: 'file' });
  const keyTemplate = text('key');
  if (!keyTemplate) throw new CofferError('InvalidArgument', 'The form has no key field.', { ArgumentName: 'key' });
  const key = keyTemplate.split('${filename}').join(file.filename.replace(/^.*[\\/]/, ''));
  if (policy) {
    checkPolicy(policy, (field) => (field === 'bucket' ? req.bucket : field === 'key' ? key : text(field)), new Date());
  }
  const asPut: OssRequest = { ...req, key, caller: caller ?? req.caller, headers: formAsHeaders(form, file.contentType) };
  const bucket = await authorizeObjectWrite(c, asPut);
  const obj = await putObject(c, {
    bucket: req.bucket!,
    key,
    body: policy?.length ? atLeast(file.data, policy.length.min) : file.data,
    maxSize: Math.min(LIMITS.maxObjectSize, policy?.length?.max ?? Infinity),
    ...objectAttributesFrom(asPut),
    sse: requestedSse(asPut),
    forbidOverwrite: forbidOverwriteFrom(asPut),
    caller: asPut.caller,
  });
  const headers = {
    ETag: quoteEtag(obj.etag),
    'x-oss-hash-crc64ecma': obj.crc64,
    'Content-MD5': obj.contentMd5,
    ...sseResponseHeaders(obj.encryption),
    ...versionIdHeader(obj, bucket),
  };
  return successResponse(req, form, key, headers);
}

/**
 * The caller the form's signature names, or null for an unsigned (anonymous) form. V4 when
 * x-oss-signature-version says so, V1 when OSSAccessKeyId is present.
 */
async function signer(req: OssRequest, form: Form, policy: string | undefined): Promise<OssRequest['caller'] | null> {
  const text = (name: string): string | undefined => form.fields.get(name)?.toString('utf8');
  const version = text('x-oss-signature-version');
  const required = (name: string): string => {
    const v = text(name);
    if (!v) throw new CofferError('InvalidArgument', `The form has no ${name} field.`, { ArgumentName: name });
    return v;
  };
  if (version !== undefined) {
    if (version !== V4_ALGORITHM) {
      throw new CofferError('InvalidArgument', `x-oss-signature-version must be ${V4_ALGORITHM}.`, { ArgumentName: 'x-oss-signature-version', ArgumentValue: version });
    }
    const credential = required('x-oss-credential');
    const date = required('x-oss-date');
    const signature = required('x-oss-signature');
    const [accessKeyId, day, region, product, terminator] = credential.split('/');
    if (!accessKeyId || !/^\d{8}$/.test(day ?? '') || !region || product !== 'oss' || terminator !== 'aliyun_v4_request' || credential.split('/').length !== 5) {
      throw new CofferError('InvalidArgument', 'x-oss-credential must be AccessKeyId/YYYYMMDD/region/oss/aliyun_v4_request.', { ArgumentName: 'x-oss-credential', ArgumentValue: credential });
    }
    const signed = parseV4Date(date, 'x-oss-date');
    if (date.slice(0, 8) !== day) throw new CofferError('InvalidArgument', 'x-oss-date does not fall on the day of x-oss-credential.', { ArgumentName: 'x-oss-date', ArgumentValue: date });
    const now = new Date();
    // Signed up to 15 minutes ahead of our clock, and at most 7 days ago.
    if (signed > now.getTime()) checkSkew(signed, date, now);
    checkNotExpired(signed + MAX_V4_AGE_MS, now);
    const { caller, secret } = await req.callerFor(accessKeyId);
    const stringToSign = required('policy');
    if (!signaturesEqual(signV4(secret, { day: day!, region, product }, stringToSign), signature.toLowerCase())) throw mismatch(accessKeyId, signature, stringToSign);
    return caller;
  }
  const accessKeyId = text('ossaccesskeyid');
  if (accessKeyId === undefined) return null;
  const signature = required('signature');
  if (policy === undefined) throw new CofferError('InvalidArgument', 'A signed form must carry a policy.', { ArgumentName: 'policy' });
  const { caller, secret } = await req.callerFor(accessKeyId);
  if (!signaturesEqual(signV1(secret, policy), signature)) throw mismatch(accessKeyId, signature, policy);
  return caller;
}

function mismatch(accessKeyId: string, provided: string, policy: string): CofferError {
  return new CofferError('SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.', {
    OSSAccessKeyId: accessKeyId, SignatureProvided: provided, StringToSign: policy,
  });
}

/**
 * The request as PutObject's readers see it: the form's fields stand for the headers (names
 * lower-case, values the bytes sent, as Node gives header values), so the same validation
 * applies to ACL, storage class, metadata and SSE.
 */
function formAsHeaders(form: Form, partType: string | undefined): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of form.fields) {
    if (HEADER_FIELDS.includes(name) || name.startsWith('x-oss-')) headers[name] = value.toString('latin1');
  }
  // Not request headers of the upload: the form's own signing fields.
  for (const name of ['x-oss-signature-version', 'x-oss-credential', 'x-oss-date', 'x-oss-signature']) delete headers[name];
  if (headers['content-type'] === undefined && partType) headers['content-type'] = partType;
  return headers;
}

/** The file, failing at its end when it is smaller than the policy's content-length-range allows. */
function atLeast(data: Readable, min: number): Readable {
  return Readable.from((async function* () {
    let seen = 0;
    for await (const chunk of data) {
      seen += (chunk as Buffer).length;
      yield chunk as Buffer;
    }
    if (seen < min) throw new CofferError('EntityTooSmall', `Your proposed upload is smaller than the minimum the policy allows (${min} bytes).`);
  })(), { objectMode: false });
}

/** success_action_redirect (303 to the URL with bucket, key and etag), else success_action_status 200, 201 (PostResponse XML) or 204. */
function successResponse(req: OssRequest, form: Form, key: string, headers: Record<string, string | undefined>): OssResponse {
  const field = (name: string): string | undefined => form.fields.get(name)?.toString('utf8');
  const redirect = field('success_action_redirect');
  if (redirect) {
    let target: URL;
    try {
      target = new URL(redirect);
    } catch {
      throw malformedForm('success_action_redirect is not a URL');
    }
    target.searchParams.set('bucket', req.bucket!);
    target.searchParams.set('key', key);
    target.searchParams.set('etag', headers.ETag!);
    return { status: 303, headers: { ...headers, Location: target.toString() } };
  }
  const status = Number(field('success_action_status'));
  if (status === 201) {
    const host = header(req, 'host') ?? '';
    const virtual = host.toLowerCase().startsWith(`${req.bucket}.`);
    const location = `http://${host}/${virtual ? '' : `${req.bucket}/`}${encodeURIComponent(key).replace(/%2F/g, '/')}`;
    return { status: 201, headers, body: xmlDoc('PostResponse', { Bucket: req.bucket, Location: location, Key: key, ETag: headers.ETag }) };
  }
  return { status: status === 200 ? 200 : 204, headers };
}

