/**
 * The KMS audit trail: one ordered log for the whole cluster, kept in the metadata store (so
 * every node appends to the same log and `coffer admin audit` reads it from any of them).
 * Appends are group-committed: records arriving while a commit is under way go together in the
 * next one, so a burst of key uses costs a few transactions, not one each. append() resolves
 * once the record is committed; callers wait for it before using the key, so no key use escapes
 * the log.
 */
import type { AuditRecord, MetadataStore } from '../store/types';

/** Records per transaction at most. */
const MAX_BATCH = 500;

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
