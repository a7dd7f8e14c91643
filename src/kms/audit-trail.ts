/**
 * The KMS audit trail: one ordered log for the whole cluster, kept in the metadata store (so
 * every node appends to the same log and `coffer admin audit` reads it from any of them).
 * Appends are group-committed: records arriving while a commit is under way go together in the
 * next one, so a burst of key uses costs a few transactions, not one each. append() resolves
 * once the record is committed; callers wait for it before using the key, so no key use escapes
 * the log.
 *
 * Each batch is taken one event-loop turn after its first record (setImmediate): SQLite commits
 * synchronously, so without that wait every commit finished before the next request could append
 * and each record cost a transaction of its own (and invalidated the readers' page caches). The
 * wait adds no delay to an idle server: the turn ends as soon as nothing else is ready to run.
 */
import type { AuditRecord, MetadataStore } from '../store/types';

/** Records per transaction at most. */
const MAX_BATCH = 500;

/** Resolves after the I/O callbacks already due in this event-loop turn have run (and appended). */
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class AuditTrail {
  private pending: Array<{ record: AuditRecord; done: (err?: unknown) => void }> = [];
  private flushing: Promise<void> | null = null;

  constructor(private readonly meta: MetadataStore, readonly node: string) {}

  append(record: Omit<AuditRecord, 'node'>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ record: { ...record, node: this.node }, done: (err) => (err ? reject(err) : resolve()) });
      this.flushing ??= this.flush();
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length) {
      await nextTurn();
      const batch = this.pending.splice(0, MAX_BATCH);
      try {
        await this.meta.transaction((tx) => tx.appendAudit(batch.map((b) => b.record)));
        for (const b of batch) b.done();
      } catch (err) {
        for (const b of batch) b.done(err);
      }
    }
    this.flushing = null;
  }

  /** Waits for what was appended so far. */
  async close(): Promise<void> {
    await this.flushing;
  }
}
