/**
 * The lifecycle pass: once a "day", every bucket with Enabled rules is walked (every version of
 * every key, then the unfinished multipart uploads) and what its rules make due is done. It runs
 * as a cluster job (one process at a time, server/app.ts) in bounded steps: each step handles about
 * `batch` versions or uploads, ends between two keys, and stores where it ended, so a restart or a
 * new lease holder carries on from there instead of starting over.
 *
 * Every change goes through the functions the API uses: deleteObject (a delete marker in a
 * versioned bucket, as DeleteObject makes; blobs retired, statistics and posture counted),
 * abortUpload, and transitionVersion (metadata only). None needs a key: no data is read.
 *
 * A noncurrent version's age counts from when it stopped being current, which is when its
 * successor (the next newer version or delete marker of the key) was written: versions are listed
 * newest first, so that is the entry just before it.
 */
import { isCofferError } from '../../common/errors';
import { CURRENT_SEQ, isDeleteMarker, versionIdOf, type LifecycleRule, type MetadataReader, type ObjectRecord, type VersionEntry } from '../../store/types';
import type { Coffer } from '../coffer';
import { abortUpload } from '../multipart';
import { deleteObject } from '../objects';
import { classAllows, STORAGE_CLASSES, transitionVersion } from '../storage-class';
import { isDue, ruleSelects } from './rules';

export const LIFECYCLE_ACTIONS = ['expire', 'transition', 'expire-noncurrent', 'transition-noncurrent', 'remove-delete-marker', 'abort-upload'] as const;
export type LifecycleAction = typeof LIFECYCLE_ACTIONS[number];
export type ActionCounts = Partial<Record<LifecycleAction, number>>;

const KIND = 'lifecycle';
const STATE = 'pass';
const PAGE = 1000;

/** Where the pass of `day` is; `at` absent once it is over. Stored after every step. */
interface PassState {
  day: number;
  at?: { bucket: string; phase: 'versions'; afterKey?: string } | { bucket: string; phase: 'uploads'; after?: { key: string; uploadId: string } };
  /** What the pass did so far (for its log line at the end). */
  done: ActionCounts;
  startedAt: number;
}

export interface LifecycleOptions {
  /** How long a lifecycle "day" is (ms): rules' Days count in these, and one pass starts per day. */
  dayMs: number;
  /** Versions and uploads per step. */
  batch: number;
}

/** An action the API refused (the object stays until the next pass). */
export interface Refusal { bucket: string; key: string; action: LifecycleAction; code: string }

/** What one step did; `finished` when it ended the day's pass (with the pass's totals). */
export interface StepReport {
  day: number;
  started: boolean;
  actions: ActionCounts;
  refused: Refusal[];
  finished?: { done: ActionCounts; ms: number };
}

const add = (counts: ActionCounts, action: LifecycleAction): void => { counts[action] = (counts[action] ?? 0) + 1; };

/** Runs one step of the current pass; null when today's pass is already over. */
export async function lifecycleStep(c: Coffer, opts: LifecycleOptions): Promise<StepReport | null> {
  const now = c.now();
  const today = Math.floor(now / opts.dayMs);
  const saved = await c.meta.getDoc<PassState>(KIND, STATE);
  let state: PassState;
  let started = false;
  if (saved && (saved.at || saved.day >= today)) {
    if (!saved.at) return null;
    state = saved;
  } else {
    state = { day: today, at: await nextBucket(c.meta, undefined), done: {}, startedAt: now };
    started = true;
  }
  const step = new Step(c, opts, now);
  while (state.at && !step.spent()) {
    const { bucket } = state.at;
    const rules = (await c.meta.getBucket(bucket))?.lifecycle?.rules.filter((r) => r.status === 'Enabled') ?? [];
    if (rules.length === 0) {
      state.at = await nextBucket(c.meta, bucket);
    } else if (state.at.phase === 'versions') {
      const last = await step.versions(bucket, rules, state.at.afterKey);
      state.at = last === null ? { bucket, phase: 'uploads' } : { bucket, phase: 'versions', afterKey: last };
    } else {
      const last = await step.uploads(bucket, rules, state.at.after);
      state.at = last === null ? await nextBucket(c.meta, bucket) : { bucket, phase: 'uploads', after: last };
    }
  }
  for (const [a, n] of Object.entries(step.actions) as Array<[LifecycleAction, number]>) state.done[a] = (state.done[a] ?? 0) + n;
  const next = state.at ? state : { day: state.day, done: state.done, startedAt: state.startedAt };
  await c.meta.transaction((tx) => tx.putDoc(KIND, STATE, next));
  return {
    day: state.day, started, actions: step.actions, refused: step.refused,
    ...(!state.at && { finished: { done: state.done, ms: c.now() - state.startedAt } }),
  };
}

/** The first bucket after `after` (the pass's start: undefined) with a lifecycle configuration. */
async function nextBucket(meta: MetadataReader, after: string | undefined): Promise<PassState['at']> {
  for (;;) {
    const page = await meta.listBuckets({ after, limit: PAGE });
    const found = page.find((b) => b.lifecycle?.rules.some((r) => r.status === 'Enabled'));
    if (found) return { bucket: found.name, phase: 'versions' };
    if (page.length < PAGE) return undefined;
    after = page.at(-1)!.name;
  }
}

/** Every version of each key after `afterKey`, one key at a time (newest first). */
async function* keysAfter(meta: MetadataReader, bucket: string, afterKey: string | undefined): AsyncGenerator<VersionEntry[]> {
  let after: { key: string; seq?: number } | undefined = afterKey === undefined ? undefined : { key: afterKey };
  let group: VersionEntry[] = [];
  for (;;) {
    const page = await meta.listVersions(bucket, { after, limit: PAGE });
    for (const e of page) {
      if (group.length && group[0].record.key !== e.record.key) {
        yield group;
        group = [];
      }
      group.push(e);
    }
    if (page.length < PAGE) break;
    after = { key: page.at(-1)!.record.key, seq: page.at(-1)!.seq };
  }
  if (group.length) yield group;
}

const classRank = (storageClass: string): number => STORAGE_CLASSES.indexOf(storageClass);

/** The coldest class among `targets` that is due and colder than the object's, if the object may go there. */
function transitionTarget(obj: ObjectRecord, targets: Array<{ storageClass: string; due: boolean }>): string | undefined {
  let best: string | undefined;
  for (const t of targets) {
    if (t.due && classRank(t.storageClass) > classRank(best ?? obj.storageClass) && classAllows(obj, t.storageClass)) best = t.storageClass;
  }
  return best;
}

class Step {
  readonly actions: ActionCounts = {};
  readonly refused: Refusal[] = [];
  private visited = 0;

  constructor(private readonly c: Coffer, private readonly opts: LifecycleOptions, private readonly now: number) {}

  spent(): boolean {
    return this.visited >= this.opts.batch;
  }

  /** Keys after `afterKey` until the budget is spent: the last key done, or null when the bucket's versions are done. */
  async versions(bucket: string, rules: LifecycleRule[], afterKey: string | undefined): Promise<string | null> {
    for await (const group of keysAfter(this.c.meta, bucket, afterKey)) {
      await this.key(bucket, rules, group);
      this.visited += group.length;
      if (this.spent()) return group[0].record.key;
    }
    return null;
  }

  /** Uploads after `after` until the budget is spent: the last one looked at, or null when the bucket's are done. */
  async uploads(bucket: string, rules: LifecycleRule[], after: { key: string; uploadId: string } | undefined): Promise<{ key: string; uploadId: string } | null> {
    const aborting = rules.filter((r) => r.abortMultipartUpload);
    if (aborting.length === 0) return null;
    for (let from = after; ;) {
      const page = await this.c.meta.listUploads(bucket, { keyMarker: from?.key, uploadIdMarker: from?.uploadId, limit: Math.min(PAGE, this.opts.batch) });
      for (const u of page) {
        this.visited++;
        if (aborting.some((r) => ruleSelects(r, u.key, undefined) && isDue(r.abortMultipartUpload!, u.initiated, this.now, this.opts.dayMs))) {
          await this.tolerate(abortUpload(this.c, bucket, u.key, u.uploadId), { bucket, key: u.key, action: 'abort-upload' });
        }
        from = { key: u.key, uploadId: u.uploadId };
        if (this.spent()) return from;
      }
      if (page.length === 0 || page.length < Math.min(PAGE, this.opts.batch)) return null;
    }
  }

  /** One key's versions, newest first. */
  private async key(bucket: string, rules: LifecycleRule[], group: VersionEntry[]): Promise<void> {
    const key = group[0].record.key;
    let removed = 0;
    for (let i = 0; i < group.length; i++) {
      const { seq, record } = group[i];
      if (isDeleteMarker(record)) continue;
      const applying = rules.filter((r) => ruleSelects(r, key, record.tags));
      if (applying.length === 0) continue;
      if (seq === CURRENT_SEQ) {
        if (applying.some((r) => r.expiration && isDue(r.expiration, record.lastModified, this.now, this.opts.dayMs))) {
          if (await this.delete(bucket, { key, ifLastModified: record.lastModified }, 'expire')) continue;
        }
        const to = transitionTarget(record, applying.flatMap((r) => r.transitions.map((t) => ({
          storageClass: t.storageClass, due: isDue(t, record.lastModified, this.now, this.opts.dayMs),
        }))));
        if (to && (await transitionVersion(this.c, bucket, key, undefined, record.lastModified, to))) add(this.actions, 'transition');
        continue;
      }
      // Noncurrent: listed after its successor, whose writing made it noncurrent.
      const since = group[i - 1]?.record.lastModified ?? record.lastModified;
      const noncurrentDue = (days: number): boolean => isDue({ days }, since, this.now, this.opts.dayMs);
      const versionId = versionIdOf(record);
      if (applying.some((r) => r.noncurrentVersionExpiration && noncurrentDue(r.noncurrentVersionExpiration.noncurrentDays))) {
        if (await this.delete(bucket, { key, versionId, ifLastModified: record.lastModified }, 'expire-noncurrent')) {
          removed++;
          continue;
        }
      }
      const to = transitionTarget(record, applying.flatMap((r) => r.noncurrentVersionTransitions.map((t) => ({
        storageClass: t.storageClass, due: noncurrentDue(t.noncurrentDays),
      }))));
      if (to && (await transitionVersion(this.c, bucket, key, versionId, record.lastModified, to))) add(this.actions, 'transition-noncurrent');
    }
    // An expired delete marker: the newest version, with every older one gone (before or by this pass).
    const newest = group[0].record;
    if (isDeleteMarker(newest) && removed === group.length - 1 && rules.some((r) => r.expiration?.expiredObjectDeleteMarker && ruleSelects(r, key, undefined))) {
      await this.delete(bucket, { key, versionId: versionIdOf(newest), ifLastModified: newest.lastModified }, 'remove-delete-marker');
    }
  }

  /** A delete as DeleteObject (or DeleteObject with a versionId) does it; false when the object changed meanwhile. */
  private async delete(bucket: string, target: { key: string; versionId?: string; ifLastModified: number }, action: LifecycleAction): Promise<boolean> {
    // deleteObject throws a retention refusal, which tolerate() reports.
    return this.tolerate(deleteObject(this.c, bucket, target).then((o) => !o.skipped), { bucket, key: target.key, action });
  }

  /**
   * Counts an action that was done. A refusal (the bucket went meanwhile, an upload was completed,
   * a retention rule forbids the delete) leaves the object as it is until the next pass, and is
   * reported; anything else fails the step, which the next one repeats.
   */
  private async tolerate(p: Promise<unknown>, what: Omit<Refusal, 'code'>): Promise<boolean> {
    try {
      if ((await p) === false) return false;
      add(this.actions, what.action);
      return true;
    } catch (err) {
      if (!isCofferError(err)) throw err;
      this.refused.push({ ...what, code: err.code });
      return false;
    }
  }
}
