/** DeleteObject, DeleteMultipleObjects. */
import { requireBucket } from '../core/buckets';
import { LIMITS, type Coffer } from '../core/coffer';
import { CofferError } from '../common/errors';
import { deleteObject, deleteObjects } from '../core/objects';
import { authorizeStoredObject } from './access';
import { readSmallBody } from './body';
import { keyEncoding } from './format';
import { param, type OssRequest, type OssResponse } from './request';
import { parseXml, textOf, xmlDoc, tokenOf } from './xml';

export async function DeleteObject(c: Coffer, req: OssRequest): Promise<OssResponse> {
  await authorizeStoredObject(c, req, 'oss:DeleteObject', await requireBucket(c, req.bucket!), req.key!);
  await deleteObject(c, req.bucket!, req.key!);
  return { status: 204 };
}

export async function DeleteMultipleObjects(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const bucket = await requireBucket(c, req.bucket!);
  const doc = parseXml(await readSmallBody(req, { requireMd5: true }), 'Delete', ['Object']);
  const quiet = (tokenOf(doc, 'Quiet') ?? 'false').toLowerCase() === 'true';
  const keys = ((doc.Object ?? []) as unknown[]).map((o) => {
    const key = typeof o === 'object' && o !== null ? textOf(o as Record<string, unknown>, 'Key') : undefined;
    if (!key) throw new CofferError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: every <Object> needs a <Key>.');
    return key;
  });
  if (keys.length === 0) throw new CofferError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: no <Object> to delete.');
  // Before the per-key lookups below, so an oversized body costs nothing.
  if (keys.length > LIMITS.maxDeleteKeys) throw new CofferError('MalformedXML', `The number of keys in a delete request must not exceed ${LIMITS.maxDeleteKeys}.`);
  // Every key is a resource of its own, decided exactly as DeleteObject decides it (its own ACL
  // included); one refused key refuses the whole request, before anything is deleted.
  for (const key of keys) await authorizeStoredObject(c, req, 'oss:DeleteObject', bucket, key);
  const { deleted, refused } = await deleteObjects(c, req.bucket!, keys);
  const { encodingType, encode } = keyEncoding(param(req, 'encoding-type'), keys);
  return {
    status: 200,
    body: xmlDoc('DeleteResult', {
      EncodingType: encodingType,
      Deleted: quiet ? undefined : deleted.map((k) => ({ Key: encode(k) })),
      // Keys a retention policy keeps, reported in quiet mode too (S3's form: S3 clients read it).
      Error: refused.length ? refused.map((r) => ({ Key: encode(r.key), Code: r.error.code, Message: r.error.message })) : undefined,
    }),
  };
}
