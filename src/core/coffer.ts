/** Everything the object service needs, wired once at start-up and passed to each operation. */
import type { HashPool } from '../crypto/hash-pool';
import type { BlobStore, MetadataStore, TransactionOptions } from '../store/types';
import type { BlobCollector } from './blob-collector';
import type { Encryption } from './encryption';

export interface Coffer {
  meta: MetadataStore;
  blobs: BlobStore;
  collector: BlobCollector;
  encryption: Encryption;
  region: string;
  /** Numeric account id: bucket owner and the <account> of ARNs. */
  accountId: string;
  /** How long RestoreObject takes before an archive-class object can be read (ms). */
  restoreDelayMs: number;
  /** The clock of restores and their expiry (Unix ms); tests set it. */
  now: () => number;
  /**
   * How long "a day" is (ms) wherever the API counts in days: restored copies' lifetime, WORM
   * retention periods and the one day an unlocked WORM configuration lasts. 86 400 000 but in
   * tests (`--day-seconds`).
   */
  dayMs: number;
  /** Threads that hash large bodies; without it every body is hashed on the event loop. */
  hashing?: HashPool;
}

/** OSS limits (see the reference, section 7). */
export const LIMITS = {
  maxObjectSize: 5 * 1024 ** 3,
  maxBuckets: 100,
  maxPartNumber: 10_000,
  minPartSize: 100 * 1024,
  maxKeyBytes: 1023,
  maxUserMetaBytes: 8 * 1024,
  maxDeleteKeys: 1000,
  maxListKeys: 1000,
} as const;

/** For transactions that delete: on a full disk they may use the store's reserved space. */
export const FREES_SPACE: TransactionOptions = { freesSpace: true };
