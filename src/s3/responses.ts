/**
 * An OSS operation's answer as S3 answers it: x-oss-* headers under their x-amz-* names (values
 * translated, OSS-only ones dropped), and each response document in S3's shape and namespace.
 * The data, ETags, times and metadata are the operation's own, so both dialects report one object
 * identically.
 */
import type { OssResponse } from '../oss/request';
import { isXmlDoc, xmlDoc, type XmlDoc, type XmlObject, type XmlValue } from '../oss/xml';
import { s3SseAlgorithm, s3StorageClass } from './names';

export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';

/** OSS response headers S3 has under another name; every other x-oss-* header is OSS's alone and dropped. */
const HEADER_NAMES: Record<string, string> = {
  'x-oss-server-side-encryption': 'x-amz-server-side-encryption',
  'x-oss-server-side-encryption-key-id': 'x-amz-server-side-encryption-aws-kms-key-id',
  'x-oss-server-side-encryption-context': 'x-amz-server-side-encryption-context',
  'x-oss-server-side-encryption-customer-algorithm': 'x-amz-server-side-encryption-customer-algorithm',
  'x-oss-server-side-encryption-customer-key-md5': 'x-amz-server-side-encryption-customer-key-MD5',
  'x-oss-storage-class': 'x-amz-storage-class',
  'x-oss-tagging-count': 'x-amz-tagging-count',
  'x-oss-restore': 'x-amz-restore',
  'x-oss-checksum-type': 'x-amz-checksum-type',
  'x-oss-version-id': 'x-amz-version-id',
  'x-oss-delete-marker': 'x-amz-delete-marker',
  'x-oss-copy-source-version-id': 'x-amz-copy-source-version-id',
};

type Headers = Record<string, string | number | undefined>;

export function s3Headers(headers: Headers): Headers {
  const out: Headers = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    if (lower.startsWith('x-oss-meta-')) out[`x-amz-meta-${name.slice('x-oss-meta-'.length)}`] = value;
    else if (lower.startsWith('x-oss-checksum-') && lower !== 'x-oss-checksum-type') out[`x-amz-checksum-${lower.slice('x-oss-checksum-'.length)}`] = value;
    else if (lower === 'x-oss-server-side-encryption') out[HEADER_NAMES[lower]] = s3SseAlgorithm(String(value));
    else if (lower === 'etag') out[name] = String(value).toLowerCase();
    // S3 leaves the class out for STANDARD objects.
    else if (lower === 'x-oss-storage-class') { if (value !== 'Standard') out[HEADER_NAMES[lower]] = s3StorageClass(String(value)); }
    else if (HEADER_NAMES[lower]) out[HEADER_NAMES[lower]] = value;
    // OSS reports the body's MD5 on reads; S3 does not (its checksums are x-amz-checksum-*).
    else if (!lower.startsWith('x-oss-') && lower !== 'content-md5') out[name] = value;
  }
  return out;
}

const obj = (v: XmlValue): XmlObject => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {});
const list = (v: XmlValue): XmlValue[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const ns = (value: XmlObject): XmlObject => ({ $: { xmlns: S3_NAMESPACE }, ...value });

/** Drops `names` from each of `items` and gives StorageClass its S3 spelling. */
function entries(items: XmlValue, drop: string[]): XmlObject[] {
  return list(items).map((item) => {
    const o = { ...obj(item) };
    for (const d of drop) delete o[d];
    if (typeof o.StorageClass === 'string') o.StorageClass = s3StorageClass(o.StorageClass);
    return o;
  });
}

const grant = (grantee: XmlObject, permission: string): XmlObject => ({ Grantee: { $: { 'xmlns:xsi': XSI, 'xsi:type': grantee.URI ? 'Group' : 'CanonicalUser' }, ...grantee }, Permission: permission });
const ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers';

/** An OSS canned ACL as S3 grants: the owner's FULL_CONTROL, and what the ACL gives everyone. */
export function aclGrants(acl: string, owner: XmlObject): XmlObject[] {
  const grants = [grant(owner, 'FULL_CONTROL')];
  if (acl === 'public-read' || acl === 'public-read-write') grants.push(grant({ URI: ALL_USERS }, 'READ'));
  if (acl === 'public-read-write') grants.push(grant({ URI: ALL_USERS }, 'WRITE'));
  return grants;
}

/** OSS's Days or CreatedBeforeDate → S3's Days or Date. */
const s3Due = (d: XmlObject): XmlObject => ({ Days: d.Days, Date: d.CreatedBeforeDate });

/** One OSS rule (as lifecycleDocument writes it) in S3's shape. OSS's Not filter has no S3 form and is not shown. */
function s3Rule(v: XmlValue): XmlObject {
  const r = obj(v);
  const tags = list(r.Tag);
  const exp = r.Expiration && obj(r.Expiration);
  const abortDays = r.AbortMultipartUpload && obj(r.AbortMultipartUpload).Days;
  return {
    ID: r.ID,
    Filter: tags.length === 0 ? { Prefix: r.Prefix } : tags.length === 1 && r.Prefix === '' ? { Tag: tags[0] } : { And: { Prefix: r.Prefix, Tag: tags } },
    Status: r.Status,
    Transition: list(r.Transition).map((t) => ({ ...s3Due(obj(t)), StorageClass: s3StorageClass(String(obj(t).StorageClass)) })),
    Expiration: exp && { ...s3Due(exp), ExpiredObjectDeleteMarker: exp.ExpiredObjectDeleteMarker },
    NoncurrentVersionTransition: list(r.NoncurrentVersionTransition).map((t) => ({ NoncurrentDays: obj(t).NoncurrentDays, StorageClass: s3StorageClass(String(obj(t).StorageClass)) })),
    NoncurrentVersionExpiration: r.NoncurrentVersionExpiration,
    AbortIncompleteMultipartUpload: abortDays === undefined ? undefined : { DaysAfterInitiation: abortDays },
  };
}

/** The S3 document for an OSS one. */
function s3Document(doc: XmlDoc): XmlDoc {
  const v = obj(doc.value);
  switch (doc.root) {
    case 'ListAllMyBucketsResult':
      return xmlDoc(doc.root, ns({
        Owner: v.Owner,
        Buckets: { Bucket: list(obj(v.Buckets).Bucket).map((b) => ({ Name: obj(b).Name, CreationDate: obj(b).CreationDate, BucketRegion: obj(b).Region })) },
      }));
    case 'ListBucketResult':
      return xmlDoc(doc.root, ns({ ...v, Contents: entries(v.Contents, ['Type', 'RestoreInfo']) }));
    case 'ListVersionsResult':
      return xmlDoc(doc.root, ns({ ...v, Version: entries(v.Version, ['Type', 'RestoreInfo']) }));
    case 'ListMultipartUploadsResult':
      return xmlDoc(doc.root, ns({ ...v, Upload: entries(v.Upload, []) }));
    case 'ListPartsResult':
      return xmlDoc(doc.root, ns({ ...v, Part: entries(v.Part, ['HashCrc64ecma']) }));
    case 'LocationConstraint':
      // OSS writes oss-<region>; S3 the region itself.
      return xmlDoc(doc.root, { $: { xmlns: S3_NAMESPACE }, _: String(doc.value).replace(/^oss-/, '') });
    case 'AccessControlPolicy': {
      const owner = obj(v.Owner);
      return xmlDoc(doc.root, ns({ Owner: owner, AccessControlList: { Grant: aclGrants(String(obj(v.AccessControlList).Grant), owner) } }));
    }
    case 'ServerSideEncryptionRule': {
      const rule = obj(v.ApplyServerSideEncryptionByDefault);
      return xmlDoc('ServerSideEncryptionConfiguration', ns({
        Rule: {
          ApplyServerSideEncryptionByDefault: { SSEAlgorithm: s3SseAlgorithm(String(rule.SSEAlgorithm)), KMSMasterKeyID: rule.KMSMasterKeyID },
          BucketKeyEnabled: false,
        },
      }));
    }
    case 'LifecycleConfiguration':
      return xmlDoc(doc.root, ns({ Rule: list(v.Rule).map(s3Rule) }));
    case 'CORSConfiguration':
      return xmlDoc(doc.root, ns({ CORSRule: v.CORSRule }));
    default:
      return xmlDoc(doc.root, ns(v));
  }
}

/**
 * ETags in S3's spelling: lower-case hex (OSS writes upper case). Both are the same MD5; conditions
 * (If-Match, CopySourceIfMatch) compare them without regard to case, in either dialect.
 */
function lowerEtags(v: XmlValue): XmlValue {
  if (Array.isArray(v)) return v.map(lowerEtags);
  if (typeof v !== 'object' || v === null) return v;
  const out: XmlObject = {};
  for (const [k, child] of Object.entries(v)) {
    out[k] = k === 'ETag' && typeof child === 'string' ? child.toLowerCase() : k === '$' ? child : lowerEtags(child as XmlValue);
  }
  return out;
}

export function s3Response(r: OssResponse): OssResponse {
  const body = isXmlDoc(r.body) ? s3Document(r.body) : r.body;
  return { status: r.status, headers: s3Headers(r.headers ?? {}), body: isXmlDoc(body) ? xmlDoc(body.root, lowerEtags(body.value)) : body };
}
