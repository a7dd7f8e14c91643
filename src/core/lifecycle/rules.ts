/**
 * Bucket lifecycle rules (PutBucketLifecycle): the model kept on the bucket record, the checks OSS
 * makes on a configuration, and which rules apply to an object. Dialect-free: the OSS and S3
 * documents are parsed into this at the edge.
 */
import { randomUUID } from 'node:crypto';
import { CofferError } from '../../common/errors';
import type { Due, LifecycleConfiguration, LifecycleRule, ObjectTag, TransitionClass } from '../../store/types';
import { checkTags } from '../tags';

/** The classes a rule may move objects to, warmest first: a rule's transitions follow this order. */
export const TRANSITION_CLASSES: readonly TransitionClass[] = ['IA', 'Archive', 'ColdArchive', 'DeepColdArchive'];
export type { Due, LifecycleConfiguration, LifecycleRule, TransitionClass };

export const MAX_LIFECYCLE_RULES = 1000;
export const MAX_RULE_ID_CHARS = 255;

/** A rule as a request states it: the id may be left out. */
export type RuleInput = Omit<LifecycleRule, 'id'> & { id?: string };

function invalid(message: string, name: string, value: string, ec?: string): CofferError {
  return new CofferError('InvalidArgument', message, { ArgumentName: name, ArgumentValue: value, ...(ec && { EC: ec }) });
}

/** A count of days: a positive integer. */
export function parseDays(text: string, name: string): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) throw invalid(`${name} must be a positive integer.`, name, text);
  return Number(text);
}

/** A CreatedBeforeDate / Date: ISO 8601 at midnight UTC (2023-01-31T00:00:00.000Z; S3 sends it without the milliseconds). */
export function parseMidnight(text: string, name: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})T00:00:00(?:\.000)?Z$/.exec(text);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : NaN;
  if (!m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== text.slice(0, 10)) {
    throw invalid(`${name} must be a date at midnight UTC in ISO 8601, e.g. 2023-01-31T00:00:00.000Z.`, name, text);
  }
  return ms;
}

export const formatMidnight = (ms: number): string => new Date(ms).toISOString();

const rank = (c: TransitionClass): number => TRANSITION_CLASSES.indexOf(c);

/** Whether `a` and `b` pick out the same objects by tag (the same set, in any order). */
function sameTags(a: readonly ObjectTag[], b: readonly ObjectTag[]): boolean {
  return a.length === b.length && a.every((t) => b.some((u) => u.key === t.key && u.value === t.value));
}

function checkRule(r: RuleInput): void {
  const id = r.id ?? '';
  if ([...id].length > MAX_RULE_ID_CHARS) throw invalid(`A rule ID can be at most ${MAX_RULE_ID_CHARS} characters long.`, 'ID', id);
  if (!r.expiration && !r.transitions.length && !r.abortMultipartUpload && !r.noncurrentVersionExpiration && !r.noncurrentVersionTransitions.length) {
    throw new CofferError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: a rule needs at least one action.');
  }
  checkTags(r.tags);
  if ((r.tags.length || r.not) && r.abortMultipartUpload) {
    throw invalid('A rule with tags or Not cannot abort multipart uploads: uploads have no tags.', 'AbortMultipartUpload', id);
  }
  if (r.not) {
    if (!r.not.prefix.startsWith(r.prefix) || r.not.prefix === r.prefix) {
      throw invalid("The Not prefix must start with the rule's prefix and be longer.", 'Not.Prefix', r.not.prefix);
    }
    if (r.not.tag) checkTags([r.not.tag]);
  }
  const e = r.expiration;
  if (e && e.expiredObjectDeleteMarker !== undefined && (e.days !== undefined || e.createdBefore !== undefined)) {
    throw invalid('ExpiredObjectDeleteMarker cannot be combined with Days or CreatedBeforeDate.', 'ExpiredObjectDeleteMarker', String(e.expiredObjectDeleteMarker));
  }
  if (e?.expiredObjectDeleteMarker !== undefined && r.tags.length) {
    throw invalid('ExpiredObjectDeleteMarker cannot be used in a rule with tags: delete markers have none.', 'ExpiredObjectDeleteMarker', 'true');
  }
  const byDate = r.transitions.filter((t) => t.days === undefined).length;
  if (byDate > 0 && byDate < r.transitions.length) {
    throw invalid('The transitions of a rule must all use Days or all use CreatedBeforeDate.', 'Transition', r.transitions.map((t) => t.storageClass).join(','));
  }
  checkTransitionOrder(r.transitions.map((t) => ({ ...t, when: t.days ?? t.createdBefore! })), 'Transition', byDate > 0);
  checkTransitionOrder(r.noncurrentVersionTransitions.map((t) => ({ ...t, when: t.noncurrentDays })), 'NoncurrentVersionTransition', false);
  const lastDays = r.transitions.at(-1)?.days;
  if (e?.days !== undefined && lastDays !== undefined && e.days <= lastDays) {
    throw invalid('Objects must expire later than their last transition.', 'Expiration.Days', String(e.days), '0014-00000082');
  }
  const lastNoncurrent = r.noncurrentVersionTransitions.at(-1)?.noncurrentDays;
  const nce = r.noncurrentVersionExpiration?.noncurrentDays;
  if (nce !== undefined && lastNoncurrent !== undefined && nce <= lastNoncurrent) {
    throw invalid('Noncurrent versions must expire later than their last transition.', 'NoncurrentVersionExpiration.NoncurrentDays', String(nce), '0014-00000082');
  }
}

/**
 * A rule's transitions, in the order given: each to a colder class than the one before, and later
 * (more days; or, by date, for objects created earlier).
 */
function checkTransitionOrder(ts: Array<{ storageClass: TransitionClass; when: number }>, name: string, byDate: boolean): void {
  for (let i = 1; i < ts.length; i++) {
    const [a, b] = [ts[i - 1], ts[i]];
    const later = byDate ? b.when < a.when : b.when > a.when;
    if (rank(b.storageClass) <= rank(a.storageClass) || !later) {
      throw invalid(`${name}s must go from IA to Archive to ColdArchive to DeepColdArchive, each later than the one before.`, `${name}.StorageClass`, b.storageClass, '0014-00000082');
    }
  }
}

/** Two rules that would act on the same objects: overlapping prefixes and the same tag filter. */
const overlap = (a: RuleInput, b: RuleInput): boolean =>
  (a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix)) && sameTags(a.tags, b.tags);

/**
 * What OSS refuses between rules that overlap: the same prefix (0014-00000085), the same kind of
 * deletion twice (0014-00000084), two transitions to one class (0014-00000079), and transitions or
 * an expiration out of order across the rules (0014-00000082).
 */
function checkOverlap(a: RuleInput, b: RuleInput): void {
  if (!overlap(a, b)) return;
  const which = b.id ?? b.prefix;
  if (a.prefix === b.prefix) throw invalid('Two rules cannot have the same prefix and tags.', 'Prefix', b.prefix, '0014-00000085');
  const both = (f: (r: RuleInput) => unknown): boolean => !!f(a) && !!f(b);
  if (both((r) => r.expiration && !r.expiration.expiredObjectDeleteMarker) || both((r) => r.noncurrentVersionExpiration) || both((r) => r.abortMultipartUpload)) {
    throw invalid('Rules with overlapping prefixes cannot both expire objects, noncurrent versions or multipart uploads.', 'Rule', which, '0014-00000084');
  }
  for (const t of a.transitions) {
    for (const u of b.transitions) {
      if (t.storageClass === u.storageClass) throw invalid('Rules with overlapping prefixes cannot both move objects to one storage class.', 'Transition.StorageClass', u.storageClass, '0014-00000079');
      if (t.days !== undefined && u.days !== undefined && (rank(t.storageClass) < rank(u.storageClass)) !== (t.days < u.days)) {
        throw invalid('Across rules with overlapping prefixes, colder classes must come later.', 'Transition.Days', String(u.days), '0014-00000082');
      }
    }
  }
  for (const [r, s] of [[a, b], [b, a]]) {
    const exp = r.expiration?.days;
    if (exp !== undefined && s.transitions.some((t) => t.days !== undefined && t.days >= exp)) {
      throw invalid('Objects must expire later than any transition of an overlapping rule.', 'Expiration.Days', String(exp), '0014-00000082');
    }
  }
}

/** Checks a configuration as OSS does; answers it with every rule's id (generated where absent). */
export function checkLifecycle(rules: RuleInput[]): LifecycleConfiguration {
  if (rules.length === 0) throw new CofferError('MalformedXML', 'The XML you provided was not well-formed or did not validate against our published schema: at least one <Rule> is required.');
  if (rules.length > MAX_LIFECYCLE_RULES) throw invalid(`A bucket can have at most ${MAX_LIFECYCLE_RULES} lifecycle rules.`, 'Rule', String(rules.length));
  const ids = new Set<string>();
  for (const r of rules) {
    checkRule(r);
    if (r.id !== undefined && r.id !== '') {
      if (ids.has(r.id)) throw invalid('Rule IDs must be unique.', 'ID', r.id);
      ids.add(r.id);
    }
  }
  for (let i = 0; i < rules.length; i++) for (let j = i + 1; j < rules.length; j++) checkOverlap(rules[i], rules[j]);
  return { rules: rules.map((r) => ({ ...r, id: r.id || randomUUID() })) };
}

/** Whether a rule (Enabled or not) selects an object by its key and tags. */
export function ruleSelects(rule: LifecycleRule, key: string, tags: readonly ObjectTag[] | undefined): boolean {
  if (!key.startsWith(rule.prefix)) return false;
  const has = (t: ObjectTag): boolean => !!tags?.some((u) => u.key === t.key && u.value === t.value);
  if (!rule.tags.every(has)) return false;
  if (rule.not && key.startsWith(rule.not.prefix) && (!rule.not.tag || has(rule.not.tag))) return false;
  return true;
}

/** Whether an action is due for something last modified (or made noncurrent) at `since`, at `now`, `dayMs` being a day. */
export function isDue(due: Due, since: number, now: number, dayMs: number): boolean {
  if (due.days !== undefined) return now - since >= due.days * dayMs;
  return due.createdBefore !== undefined && since < due.createdBefore;
}
