/**
 * S3's LifecycleConfiguration ↔ OSS's, for Put/GetBucketLifecycleConfiguration: the OSS operation
 * then checks and keeps the rules, so both dialects share one model and one set of refusals.
 * S3's Filter (Prefix, Tag, or And of both) becomes OSS's Prefix and Tags; Expiration.Date becomes
 * CreatedBeforeDate (objects last modified before that date); AbortIncompleteMultipartUpload is
 * AbortMultipartUpload by days. Filters on object size and NewerNoncurrentVersions have no OSS
 * counterpart and are NotImplemented rather than ignored.
 */
import { CofferError } from '../common/errors';
import { malformedXml, parseXml, textOf, tokenOf, toXml, type XmlObject, type XmlValue } from '../oss/xml';
import { ossStorageClass, s3StorageClass } from './names';

type Fields = Record<string, unknown>;

function fields(v: unknown, name: string): Fields {
  if (v === '') return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformedXml(`<${name}> must contain elements`);
  return v as Fields;
}

const many = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

const notImplemented = (what: string): CofferError => new CofferError('NotImplemented', `${what} in lifecycle rules is not implemented by Coffer.`);

/** Filter → OSS Prefix and Tags. */
function filterOf(rule: Fields): { Prefix: string; Tag: XmlObject[] } {
  const legacy = textOf(rule, 'Prefix');
  if (rule.Filter === undefined) return { Prefix: legacy ?? '', Tag: [] };
  if (legacy !== undefined) throw malformedXml('a rule has either <Prefix> or <Filter>, not both');
  const filter = fields(rule.Filter, 'Filter');
  const and = filter.And === undefined ? filter : fields(filter.And, 'And');
  if (and.ObjectSizeGreaterThan !== undefined || and.ObjectSizeLessThan !== undefined) throw notImplemented('Filtering by object size');
  const tags = many(and.Tag).map((t) => {
    const f = fields(t, 'Tag');
    return { Key: textOf(f, 'Key') ?? '', Value: textOf(f, 'Value') ?? '' };
  });
  return { Prefix: textOf(and, 'Prefix') ?? '', Tag: tags };
}

/** Days or Date (S3) → Days or CreatedBeforeDate (OSS). */
function due(f: Fields): XmlObject {
  return { Days: tokenOf(f, 'Days'), CreatedBeforeDate: tokenOf(f, 'Date') };
}

function transition(v: unknown, name: string, days: 'Days' | 'NoncurrentDays'): XmlObject {
  const f = fields(v, name);
  const storage = tokenOf(f, 'StorageClass');
  if (storage === undefined) throw malformedXml(`<${name}> needs <StorageClass>`);
  if (f.NewerNoncurrentVersions !== undefined) throw notImplemented('NewerNoncurrentVersions');
  return { ...(days === 'Days' ? due(f) : { NoncurrentDays: tokenOf(f, 'NoncurrentDays') }), StorageClass: ossStorageClass(storage) };
}

function ossRule(raw: unknown): XmlObject {
  const r = fields(raw, 'Rule');
  const { Prefix, Tag } = filterOf(r);
  const exp = r.Expiration === undefined ? undefined : fields(r.Expiration, 'Expiration');
  const nce = r.NoncurrentVersionExpiration === undefined ? undefined : fields(r.NoncurrentVersionExpiration, 'NoncurrentVersionExpiration');
  if (nce?.NewerNoncurrentVersions !== undefined) throw notImplemented('NewerNoncurrentVersions');
  const abort = r.AbortIncompleteMultipartUpload === undefined ? undefined : fields(r.AbortIncompleteMultipartUpload, 'AbortIncompleteMultipartUpload');
  return {
    ID: textOf(r, 'ID'),
    Prefix,
    Status: tokenOf(r, 'Status'),
    Tag,
    Expiration: exp && { ...due(exp), ExpiredObjectDeleteMarker: tokenOf(exp, 'ExpiredObjectDeleteMarker') },
    Transition: many(r.Transition).map((t) => transition(t, 'Transition', 'Days')),
    AbortMultipartUpload: abort && { Days: tokenOf(abort, 'DaysAfterInitiation') },
    NoncurrentVersionExpiration: nce && { NoncurrentDays: tokenOf(nce, 'NoncurrentDays') },
    NoncurrentVersionTransition: many(r.NoncurrentVersionTransition).map((t) => transition(t, 'NoncurrentVersionTransition', 'NoncurrentDays')),
  };
}

/** S3's LifecycleConfiguration → OSS's document. */
export function ossLifecycleDocument(body: string): string {
  const conf = parseXml(body, 'LifecycleConfiguration', ['Rule']);
  return toXml('LifecycleConfiguration', { Rule: ((conf.Rule ?? []) as unknown[]).map(ossRule) });
}

const obj = (v: XmlValue | undefined): XmlObject => (typeof v === 'object' && v !== null && !Array.isArray(v) ? v : {});
const list = (v: XmlValue | undefined): XmlValue[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

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

/** OSS's LifecycleConfiguration document (its value) as S3's. */
export const s3LifecycleRules = (value: XmlObject): XmlValue[] => list(value.Rule).map(s3Rule);
