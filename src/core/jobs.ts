/**
 * Background jobs that must run once for the whole cluster (master-key rotation, KMS
 * housekeeping, blob collection, console session sweeps), however many processes share the
 * store. Each job holds a lease: a document in the metadata store naming its holder and expiry,
 * taken and renewed in a serializable transaction, so no lock service or consensus of our own is
 * needed. A holder that dies stops renewing and another process takes over when the lease runs out.
 */
import type { MetadataStore } from '../store/types';

const KIND = 'job-lease';

interface Lease { holder: string; until: number }

export interface JobLog {
  (msg: string, fields: Record<string, unknown>): void;
}

/** Holders are "<node>/<pid>/<start ms>". */
export const holderName = (node: string, pid: number, startedAt: number): string => `${node}/${pid}/${startedAt}`;

/**
 * Whether `holder` is a process of this node that no longer runs (killed, crashed): its lease
 * need not be waited out. Another node's holder is never judged from here.
 */
function goneFromThisNode(holder: string, mine: string): boolean {
  const [node, pid] = holder.split('/');
  const [myNode, myPid] = mine.split('/');
  if (node !== myNode || pid === myPid || !/^\d+$/.test(pid)) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Takes or renews the named lease for `holder`; false while another live holder has it. */
export async function takeLease(meta: MetadataStore, name: string, holder: string, ttlMs: number, now = Date.now()): Promise<boolean> {
  const cur = await meta.getDoc<Lease>(KIND, name);
  // Looked at before the transaction: it runs no system calls, and may run more than once.
  const orphanedHolder = cur?.holder;
  const orphaned = !!cur && goneFromThisNode(cur.holder, holder);
  return meta.transaction(async (tx) => {
    const cur = await tx.getDoc<Lease>(KIND, name);
    if (cur && cur.holder !== holder && cur.until > now && !(orphaned && cur.holder === orphanedHolder)) return false;
    await tx.putDoc<Lease>(KIND, name, { holder, until: now + ttlMs });
    return true;
  });
}

/** Gives the lease up (at shutdown), so another process need not wait for it to expire. */
export async function releaseLease(meta: MetadataStore, name: string, holder: string): Promise<void> {
  await meta.transaction(async (tx) => {
    const cur = await tx.getDoc<Lease>(KIND, name);
    if (cur?.holder === holder) await tx.deleteDoc(KIND, name);
  });
}

interface Job { name: string; timer: NodeJS.Timeout; running: Promise<void> | null; held: boolean }

export class ClusterJobs {
  private readonly jobs: Job[] = [];
  private stopped = false;

  /** `holder` names this process uniquely in the cluster (holderName: node name, pid, start time). */
  constructor(private readonly meta: MetadataStore, readonly holder: string, private readonly onError: JobLog) {}

  /**
   * Runs fn every intervalMs (and once soon after start) on whichever process holds the job's
   * lease. The lease lasts three intervals, renewed at each run, so a holder that stalls or dies
   * is replaced within that time. fn should do bounded work per run.
   */
  every(name: string, intervalMs: number, fn: () => Promise<void>, firstRunMs = Math.min(intervalMs, 1_000)): void {
    const job: Job = { name, timer: undefined as unknown as NodeJS.Timeout, running: null, held: false };
    const tick = (): void => {
      if (this.stopped || job.running) return;
      job.running = (async () => {
        try {
          job.held = await takeLease(this.meta, name, this.holder, intervalMs * 3);
          if (job.held) await fn();
        } catch (err) {
          this.onError('background job failed', { job: name, error: String(err) });
        } finally {
          job.running = null;
        }
      })();
    };
    job.timer = setInterval(tick, intervalMs);
    job.timer.unref();
    const first = setTimeout(tick, firstRunMs);
    first.unref();
    this.jobs.push(job);
  }

  /** Whether this process currently holds the named job's lease (for tests and status). */
  holds(name: string): boolean {
    return this.jobs.some((j) => j.name === name && j.held);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const j of this.jobs) clearInterval(j.timer);
    await Promise.all(this.jobs.map((j) => j.running));
    await Promise.all(this.jobs.filter((j) => j.held).map((j) => releaseLease(this.meta, j.name, this.holder).catch(() => undefined)));
  }
}
