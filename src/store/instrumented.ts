/**
 * Store metrics: how long metadata transactions take (by backend and outcome) and how many bytes
 * the blob store reads and writes (by backend). The stores are instrumented in place, one method
 * each, so that every holder of the store object (the core, jobs, the admin API) is measured.
 */
import type { Readable } from 'node:stream';
import type { Labels, Metrics } from '../common/metrics';
import type { BlobStore, MetadataStore } from './types';

export const META_TX_DURATION = 'coffer_metadata_transaction_duration_seconds';
export const BLOB_READ_BYTES = 'coffer_blob_read_bytes_total';
export const BLOB_WRITTEN_BYTES = 'coffer_blob_written_bytes_total';

/**
 * Times every transaction, from the call to its commit or rollback, re-runs after a conflict
 * included (what the request waited for).
 */
export function instrumentMetadataStore(meta: MetadataStore, metrics: Metrics): void {
  metrics.histogram(META_TX_DURATION, 'Metadata store write transactions: seconds from start to commit or rollback (re-runs after conflicts included), by backend and outcome', ['backend', 'outcome']);
  const committed = metrics.histogramSeries(META_TX_DURATION, { backend: meta.backend, outcome: 'committed' });
  const failed = metrics.histogramSeries(META_TX_DURATION, { backend: meta.backend, outcome: 'failed' });
  const transaction = meta.transaction.bind(meta);
  meta.transaction = async (fn, opts) => {
    const started = performance.now();
    try {
      const result = await transaction(fn, opts);
      committed.observe((performance.now() - started) / 1000);
      return result;
    } catch (err) {
      failed.observe((performance.now() - started) / 1000);
      throw err;
    }
  };
}

/**
 * Counts the bytes of committed blobs (written) and the bytes every read stream delivers (read),
 * counted as the stream produces them, so a read cut short counts what was read.
 */
export function instrumentBlobStore(blobs: BlobStore, metrics: Metrics): void {
  metrics.counter(BLOB_READ_BYTES, 'Bytes read from the blob store, by backend', ['backend']);
  metrics.counter(BLOB_WRITTEN_BYTES, 'Bytes written to the blob store (committed blobs), by backend', ['backend']);
  const labels: Labels = { backend: blobs.backend };
  const read = metrics.series(BLOB_READ_BYTES, labels);
  const written = metrics.series(BLOB_WRITTEN_BYTES, labels);
  const create = blobs.create.bind(blobs);
  blobs.create = async (blobId) => {
    const writer = await create(blobId);
    const commit = writer.commit.bind(writer);
    writer.commit = async () => {
      const r = await commit();
      written.inc(r.size);
      return r;
    };
    return writer;
  };
  const open = blobs.read.bind(blobs);
  blobs.read = (blobId, range, chunkSize) => {
    const stream: Readable = open(blobId, range, chunkSize);
    // Every Readable delivers through push(): counting there neither reads nor changes the flow.
    const push = stream.push;
    stream.push = function countedPush(this: Readable, chunk: unknown, encoding?: BufferEncoding): boolean {
      if (chunk !== null && chunk !== undefined) read.inc(typeof chunk === 'string' ? Buffer.byteLength(chunk, encoding) : (chunk as Uint8Array).length);
      return push.call(this, chunk, encoding);
    };
    return stream;
  };
}
