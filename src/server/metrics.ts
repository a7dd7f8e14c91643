/**
 * The storage gauges of /metrics: objects, bytes and unfinished multipart uploads per bucket, read
 * from the GetBucketStat counters (src/core/bucket-stats.ts) when /metrics is scraped. The counters
 * are kept per storage class, not per encryption mode, so that is the breakdown there is.
 *
 * Cost per scrape: at most MAX_BUCKETS buckets' counter documents, read in pages; one read serves
 * every gauge of a scrape, and scrapes that overlap share it.
 */
import type { Logger } from '../common/log';
import type { Labels, Metrics } from '../common/metrics';
import { listBucketStats, type StatCounters } from '../core/bucket-stats';
import type { MetadataReader } from '../store/types';

/** Buckets reported per scrape; past it, coffer_bucket_stats_truncated is 1. */
export const MAX_BUCKETS = 1000;

export const BUCKET_OBJECTS = 'coffer_bucket_objects';
export const BUCKET_BYTES = 'coffer_bucket_bytes';

interface Snapshot { buckets: Map<string, StatCounters>; truncated: boolean }

export function registerStorageMetrics(metrics: Metrics, meta: MetadataReader, logger: Logger, maxBuckets = MAX_BUCKETS): void {
  // The read in progress: every gauge's collect of one scrape (they run together) waits for the same one.
  let reading: Promise<Snapshot | null> | null = null;
  const snapshot = (): Promise<Snapshot | null> => {
    reading ??= listBucketStats(meta, maxBuckets)
      .catch((err: unknown) => {
        logger.log('warn', 'could not read the bucket statistics for /metrics', { error: err instanceof Error ? err.message : String(err) });
        return null;
      })
      .finally(() => { reading = null; });
    return reading;
  };
  // Label objects per bucket, made once and reused across scrapes.
  const labelsOf = new Map<string, Labels>();
  const bucketLabels = (bucket: string): Labels => {
    let l = labelsOf.get(bucket);
    if (!l) labelsOf.set(bucket, (l = { bucket }));
    return l;
  };
  const perBucket = (name: string, help: string, value: (s: StatCounters) => number): void => {
    metrics.gauge(name, help, ['bucket'], 'max', async (g) => {
      const s = await snapshot();
      if (!s) return;
      for (const [bucket, stats] of s.buckets) g.set(bucketLabels(bucket), value(stats));
      for (const bucket of labelsOf.keys()) if (!s.buckets.has(bucket)) labelsOf.delete(bucket);
    });
  };
  perBucket(BUCKET_OBJECTS, 'Objects stored, per bucket (GetBucketStat\'s ObjectCount)', (s) => s.objects);
  perBucket(BUCKET_BYTES, 'Bytes of object data stored, per bucket (plaintext sizes; GetBucketStat\'s Storage)', (s) => s.bytes);
  perBucket('coffer_bucket_multipart_uploads', 'Unfinished multipart uploads, per bucket', (s) => s.uploads);
  perBucket('coffer_bucket_multipart_bytes', 'Bytes of the parts of unfinished multipart uploads, per bucket', (s) => s.partBytes);
  const perClass = (name: string, help: string, value: (c: StatCounters['classes'][string]) => number): void => {
    metrics.gauge(name, help, ['bucket', 'storage_class'], 'max', async (g) => {
      const s = await snapshot();
      if (!s) return;
      for (const [bucket, stats] of s.buckets) {
        for (const [storageClass, c] of Object.entries(stats.classes)) if (c.count || c.bytes) g.set({ bucket, storage_class: storageClass }, value(c));
      }
    });
  };
  perClass('coffer_bucket_class_objects', 'Objects stored, per bucket and storage class', (c) => c.count);
  perClass('coffer_bucket_class_bytes', 'Bytes of object data stored, per bucket and storage class', (c) => c.bytes);
  metrics.gauge('coffer_bucket_stats_truncated', `1 when more buckets exist than the ${maxBuckets} the per-bucket gauges report`, [], 'max', async (g) => {
    const s = await snapshot();
    if (s) g.set({}, s.truncated ? 1 : 0);
  });
}
