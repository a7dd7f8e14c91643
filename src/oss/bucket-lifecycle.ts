/**
 * PutBucketLifecycle, GetBucketLifecycle, DeleteBucketLifecycle (?lifecycle): the
 * LifecycleConfiguration document read into core/lifecycle/rules.ts's model (which checks it as
 * OSS does) and written back from it. The rules run in core/lifecycle/job.ts.
 */
import { CofferError } from '../common/errors';
import { requireBucket, updateBucket } from '../core/buckets';
import type { Coffer } from '../core/coffer';
import {
  checkLifecycle, formatMidnight, parseDays, parseMidnight, TRANSITION_CLASSES, type Due, type LifecycleConfiguration, type RuleInput, type TransitionClass,
} from '../core/lifecycle/rules';
import type { ObjectTag } from '../store/types';
import { authorizeBucket } from './access';
import { readSmallBody } from './body';
import type { OssRequest, OssResponse } from './request';
import { elementOf, listOf, malformedXml, parseXml, textOf, tokenOf, xmlDoc, type XmlObject } from './xml';

type Fields = Record<string, unknown>;

/** OSS rule elements Coffer does not implement: refused, never ignored (a rule would act otherwise than asked). */
const UNIMPLEMENTED = new Set(['IsAccessTime', 'ReturnToStdWhenVisit', 'AllowSmallFile', 'ObjectSizeGreaterThan', 'ObjectSizeLessThan', 'AtimeBase']);

/** Throws unless every child of `f` is one of `known`: NotImplemented for OSS's that Coffer lacks, MalformedXML for the rest. */
function only(f: Fields, name: string, known: readonly string[]): void {
  for (const child of Object.keys(f)) {
    if (known.includes(child)) continue;
    if (UNIMPLEMENTED.has(child)) throw new CofferError('NotImplemented', `${child} in lifecycle rules is not implemented by Coffer.`);
    throw malformedXml(`<${name}> cannot contain <${child}>`);
  }
}

/** A single child element: repeating it is a schema fault. */
function one(content: Fields, name: string): Fields | undefined {
  const v = content[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) throw malformedXml(`<${name}> may appear only once`);
  return elementOf(v, name);
}

function tag(v: unknown): ObjectTag {
  const f = elementOf(v, 'Tag');
  return { key: textOf(f, 'Key') ?? '', value: textOf(f, 'Value') ?? '' };
}

function storageClass(f: Fields, name: string): TransitionClass {
  const v = tokenOf(f, 'StorageClass');
  if (v === undefined || !(TRANSITION_CLASSES as readonly string[]).includes(v)) {
    throw new CofferError('InvalidArgument', `${name} StorageClass must be one of ${TRANSITION_CLASSES.join(', ')}.`, { ArgumentName: `${name}.StorageClass`, ArgumentValue: v ?? '' });
  }
  return v as TransitionClass;
}

/** Days or CreatedBeforeDate, exactly one. */
function due(f: Fields, name: string): Due {
  const days = tokenOf(f, 'Days');
  const date = tokenOf(f, 'CreatedBeforeDate');
  if ((days === undefined) === (date === undefined)) throw malformedXml(`<${name}> needs exactly one of <Days> and <CreatedBeforeDate>`);
  return days !== undefined ? { days: parseDays(days, `${name}.Days`) } : { createdBefore: parseMidnight(date!, `${name}.CreatedBeforeDate`) };
}

function noncurrentDays(f: Fields, name: string): number {
  const v = tokenOf(f, 'NoncurrentDays');
  if (v === undefined) throw malformedXml(`<${name}> needs <NoncurrentDays>`);
  return parseDays(v, `${name}.NoncurrentDays`);
}

function expiration(f: Fields): RuleInput['expiration'] {
  const marker = tokenOf(f, 'ExpiredObjectDeleteMarker');
  if (marker === undefined) return due(f, 'Expiration');
  if (marker !== 'true' && marker !== 'false') throw malformedXml('<ExpiredObjectDeleteMarker> must be true or false');
  const rest = tokenOf(f, 'Days') !== undefined || tokenOf(f, 'CreatedBeforeDate') !== undefined ? due(f, 'Expiration') : {};
  return { ...rest, expiredObjectDeleteMarker: marker === 'true' };
}

function parseRule(raw: unknown): RuleInput {
  const r = elementOf(raw, 'Rule');
  only(r, 'Rule', ['ID', 'Prefix', 'Status', 'Filter', 'Tag', 'Expiration', 'Transition', 'AbortMultipartUpload', 'NoncurrentVersionExpiration', 'NoncurrentVersionTransition']);
  const status = tokenOf(r, 'Status');
  if (status !== 'Enabled' && status !== 'Disabled') throw malformedXml('<Status> must be Enabled or Disabled');
  const filter = one(r, 'Filter');
  if (filter) only(filter, 'Filter', ['Not']);
  const not = filter ? one(filter, 'Not') : undefined;
  if (not) only(not, 'Not', ['Prefix', 'Tag']);
  const notTags = not ? listOf(not.Tag) : [];
  if (notTags.length > 1) throw malformedXml('<Not> may name one <Tag>');
  const exp = one(r, 'Expiration');
  const abort = one(r, 'AbortMultipartUpload');
  const nce = one(r, 'NoncurrentVersionExpiration');
  return {
    ...(textOf(r, 'ID') !== undefined && { id: textOf(r, 'ID') }),
    status,
    prefix: textOf(r, 'Prefix') ?? '',
    tags: listOf(r.Tag).map(tag),
    ...(not && { not: { prefix: textOf(not, 'Prefix') ?? '', ...(notTags.length && { tag: tag(notTags[0]) }) } }),
    ...(exp && { expiration: expiration(exp) }),
    transitions: listOf(r.Transition).map((t) => {
      const f = elementOf(t, 'Transition');
      only(f, 'Transition', ['Days', 'CreatedBeforeDate', 'StorageClass']);
      return { ...due(f, 'Transition'), storageClass: storageClass(f, 'Transition') };
    }),
    ...(abort && { abortMultipartUpload: due(abort, 'AbortMultipartUpload') }),
    ...(nce && { noncurrentVersionExpiration: { noncurrentDays: noncurrentDays(nce, 'NoncurrentVersionExpiration') } }),
    noncurrentVersionTransitions: listOf(r.NoncurrentVersionTransition).map((t) => {
      const f = elementOf(t, 'NoncurrentVersionTransition');
      only(f, 'NoncurrentVersionTransition', ['NoncurrentDays', 'StorageClass']);
      return { noncurrentDays: noncurrentDays(f, 'NoncurrentVersionTransition'), storageClass: storageClass(f, 'NoncurrentVersionTransition') };
    }),
  };
}

/** Parses and checks a PutBucketLifecycle body; throws the OSS error for the first fault. */
export function parseLifecycleConfiguration(body: string): LifecycleConfiguration {
  const doc = parseXml(body, 'LifecycleConfiguration', ['Rule']);
  return checkLifecycle(((doc.Rule ?? []) as unknown[]).map(parseRule));
}

function dueXml(d: Due): XmlObject {
  if (d.days !== undefined) return { Days: d.days };
  return d.createdBefore !== undefined ? { CreatedBeforeDate: formatMidnight(d.createdBefore) } : {};
}
const tagXml = (t: ObjectTag): XmlObject => ({ Key: t.key, Value: t.value });

/** The stored configuration as OSS's LifecycleConfiguration document. */
export function lifecycleDocument(conf: LifecycleConfiguration): XmlObject {
  return {
    Rule: conf.rules.map((r) => ({
      ID: r.id,
      Prefix: r.prefix,
      Status: r.status,
      Filter: r.not && { Not: { Prefix: r.not.prefix, Tag: r.not.tag && tagXml(r.not.tag) } },
      Tag: r.tags.length ? r.tags.map(tagXml) : undefined,
      Expiration: r.expiration && {
        ...dueXml(r.expiration),
        ...(r.expiration.expiredObjectDeleteMarker !== undefined && { ExpiredObjectDeleteMarker: r.expiration.expiredObjectDeleteMarker }),
      },
      Transition: r.transitions.length ? r.transitions.map((t) => ({ ...dueXml(t), StorageClass: t.storageClass })) : undefined,
      AbortMultipartUpload: r.abortMultipartUpload && dueXml(r.abortMultipartUpload),
      NoncurrentVersionExpiration: r.noncurrentVersionExpiration && { NoncurrentDays: r.noncurrentVersionExpiration.noncurrentDays },
      NoncurrentVersionTransition: r.noncurrentVersionTransitions.length
        ? r.noncurrentVersionTransitions.map((t) => ({ NoncurrentDays: t.noncurrentDays, StorageClass: t.storageClass }))
        : undefined,
    })),
  };
}

export async function PutBucketLifecycle(c: Coffer, req: OssRequest): Promise<OssResponse> {
  authorizeBucket(c, req, 'oss:PutBucketLifecycle', await requireBucket(c, req.bucket!));
  const lifecycle = parseLifecycleConfiguration(await readSmallBody(req));
  await updateBucket(c, req.bucket!, (b) => ({ ...b, lifecycle }));
  return { status: 200 };
}

export async function GetBucketLifecycle(c: Coffer, req: OssRequest): Promise<OssResponse> {
  const b = await requireBucket(c, req.bucket!);
  authorizeBucket(c, req, 'oss:GetBucketLifecycle', b);
  if (!b.lifecycle) throw new CofferError('NoSuchLifecycle', 'No Row found in Lifecycle Table.', { BucketName: b.name });
  return { status: 200, body: xmlDoc('LifecycleConfiguration', lifecycleDocument(b.lifecycle)) };
}

export async function DeleteBucketLifecycle(c: Coffer, req: OssRequest): Promise<OssResponse> {
  authorizeBucket(c, req, 'oss:DeleteBucketLifecycle', await requireBucket(c, req.bucket!));
  await updateBucket(c, req.bucket!, (b) => ({ ...b, lifecycle: null }));
  return { status: 204 };
}
