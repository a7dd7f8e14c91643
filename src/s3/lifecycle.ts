/**
 * S3's LifecycleConfiguration → OSS's, for PutBucketLifecycleConfiguration: the OSS operation
 * then checks and keeps the rules, so both dialects share one model and one set of refusals (the
 * answer of GetBucketLifecycleConfiguration is reshaped in responses.ts).
 * S3's Filter (Prefix, Tag, or And of both) becomes OSS's Prefix and Tags; Expiration.Date becomes
 * CreatedBeforeDate (objects last modified before that date); AbortIncompleteMultipartUpload is
 * AbortMultipartUpload by days. Filters on object size and NewerNoncurrentVersions have no OSS
 * counterpart and are NotImplemented rather than ignored.
 */
import { CofferError } from '../common/errors';
import { elementOf, listOf, malformedXml, parseXml, textOf, tokenOf, toXml, type XmlObject } from '../oss/xml';
import { ossStorageClass } from './names';

type Fields = Record<string, unknown>;

const notImplemented = (what: string): CofferError => new CofferError('NotImplemented', `${what} in lifecycle rules is not implemented by Coffer.`);

/** Filter → OSS Prefix and Tags. */
function filterOf(rule: Fields): { Prefix: string; Tag: XmlObject[] } {
  const legacy = textOf(rule, 'Prefix');
  if (rule.Filter === undefined) return { Prefix: legacy ?? '', Tag: [] };
  if (legacy !== undefined) throw malformedXml('a rule has either <Prefix> or <Filter>, not both');
  const filter = elementOf(rule.Filter, 'Filter');
  const and = filter.And === undefined ? filter : elementOf(filter.And, 'And');
  if (and.ObjectSizeGreaterThan !== undefined || and.ObjectSizeLessThan !== undefined) throw notImplemented('Filtering by object size');
  const tags = listOf(and.Tag).map((t) => {
    const f = elementOf(t, 'Tag');
    return { Key: textOf(f, 'Key') ?? '', Value: textOf(f, 'Value') ?? '' };
  });
  return { Prefix: textOf(and, 'Prefix') ?? '', Tag: tags };
}

/** Days or Date (S3) → Days or CreatedBeforeDate (OSS). */
function due(f: Fields): XmlObject {
  return { Days: tokenOf(f, 'Days'), CreatedBeforeDate: tokenOf(f, 'Date') };
}

function transition(v: unknown, name: string, days: 'Days' | 'NoncurrentDays'): XmlObject {
  const f = elementOf(v, name);
  const storage = tokenOf(f, 'StorageClass');
  if (storage === undefined) throw malformedXml(`<${name}> needs <StorageClass>`);
  if (f.NewerNoncurrentVersions !== undefined) throw notImplemented('NewerNoncurrentVersions');
  return { ...(days === 'Days' ? due(f) : { NoncurrentDays: tokenOf(f, 'NoncurrentDays') }), StorageClass: ossStorageClass(storage) };
}

function ossRule(raw: unknown): XmlObject {
  const r = elementOf(raw, 'Rule');
  const { Prefix, Tag } = filterOf(r);
  const exp = r.Expiration === undefined ? undefined : elementOf(r.Expiration, 'Expiration');
  const nce = r.NoncurrentVersionExpiration === undefined ? undefined : elementOf(r.NoncurrentVersionExpiration, 'NoncurrentVersionExpiration');
  if (nce?.NewerNoncurrentVersions !== undefined) throw notImplemented('NewerNoncurrentVersions');
  const abort = r.AbortIncompleteMultipartUpload === undefined ? undefined : elementOf(r.AbortIncompleteMultipartUpload, 'AbortIncompleteMultipartUpload');
  return {
    ID: textOf(r, 'ID'),
    Prefix,
    Status: tokenOf(r, 'Status'),
    Tag,
    Expiration: exp && { ...due(exp), ExpiredObjectDeleteMarker: tokenOf(exp, 'ExpiredObjectDeleteMarker') },
    Transition: listOf(r.Transition).map((t) => transition(t, 'Transition', 'Days')),
    AbortMultipartUpload: abort && { Days: tokenOf(abort, 'DaysAfterInitiation') },
    NoncurrentVersionExpiration: nce && { NoncurrentDays: tokenOf(nce, 'NoncurrentDays') },
    NoncurrentVersionTransition: listOf(r.NoncurrentVersionTransition).map((t) => transition(t, 'NoncurrentVersionTransition', 'NoncurrentDays')),
  };
}

/** S3's LifecycleConfiguration → OSS's document. */
export function ossLifecycleDocument(body: string): string {
  const conf = parseXml(body, 'LifecycleConfiguration', ['Rule']);
  return toXml('LifecycleConfiguration', { Rule: ((conf.Rule ?? []) as unknown[]).map(ossRule) });
}
