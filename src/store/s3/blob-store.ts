/**
 * BlobStore on an S3-compatible object store (Ceph RGW, MinIO, AWS S3): one object per blob,
 * PREFIX/blobs/<2 hex>/<id>, so the store's key order is blob id order and list() can resume.
 *
 * Writes keep memory bounded: a blob below one part (8 MiB) is buffered and stored by one PUT
 * with If-None-Match: * (a random name must never replace anything); a larger one becomes a
 * multipart upload whose parts go out as they fill, with at most two parts held at once (one
 * filling, one uploading; the writer's callback waits otherwise). commit() returns once the PUT
 * or the multipart completion is acknowledged. A write that never reaches commit() or abort()
 * leaves an incomplete multipart upload, which collectPartial() removes.
 *
 * Reads are one GetObject, with a Range header for a range, re-cut into chunks of exactly the
 * size the caller asks for (whole encrypted packages). A missing blob fails with code ENOENT, as
 * on the file system, so callers need not know the backend.
 */
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateBucketCommand, CreateMultipartUploadCommand,
  DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListBucketsCommand,
  ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand, S3Client, UploadPartCommand,
  type BucketLocationConstraint, type CompletedPart,
} from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { Readable, Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { BlobStore, BlobWriter, ListedBlob } from '../types';
import { parseS3Url, type S3Location } from './url';

export { parseS3Url, type S3Location } from './url';

const ID = /^[0-9a-f]{32}$/;
/** Bytes per multipart part; also the largest blob stored by a single PUT. S3's minimum is 5 MiB. */
export const PART_SIZE = 8 * 1024 * 1024;
/** Past this many buffered bytes, a write copies into a part buffer instead of keeping its chunks. */
const COPY_FROM = 1024 * 1024;
/** Read-side buffering per stream before the HTTP body is paused. */
const READ_BUFFER = 1024 * 1024;
/** Sockets per store: comfortably above the server's request concurrency (16+), each kept alive. */
const MAX_SOCKETS = 64;

type Callback = (err?: Error | null) => void;

interface S3Failure {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const status = (err: unknown): number | undefined => (err as S3Failure)?.$metadata?.httpStatusCode;

function isNotFound(err: unknown): boolean {
  const name = (err as S3Failure)?.name;
  return status(err) === 404 || name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchBucket';
}

function missing(blobId: string, cause?: unknown): NodeJS.ErrnoException {
  return Object.assign(new Error(`blob ${blobId} does not exist`, { cause }), { code: 'ENOENT' });
}

/** Connection-level failures: nothing answered at the endpoint. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH',
  'ENETUNREACH', 'EPIPE', 'ECONNABORTED']);

function isNetworkError(err: unknown): boolean {
  const e = err as S3Failure;
  return (e?.code !== undefined && NETWORK_CODES.has(e.code)) || e?.name === 'TimeoutError' || (status(err) === undefined && e?.name === 'AbortError');
}

/** "Code: message", without repeating a code the message already names. */
const describe = (err: unknown): string => {
  const e = err as S3Failure;
  const code = e?.code ?? (e?.name !== 'Error' && e?.name !== 'UnknownError' ? e?.name : undefined);
  const message = e?.message && e.message !== 'UnknownError' ? e.message : undefined;
  if (code && message && !message.includes(code)) return `${code}: ${message}`;
  return message ?? code ?? String(err);
};

/**
 * `call`'s failure with the operation and key in its message ("UnknownError" alone, the SDK's
 * word for an error response without a body, tells an operator nothing); name, code and
 * $metadata stay, so the checks above still apply.
 */
async function s3<T>(call: Promise<T>, what: string): Promise<T> {
  try {
    return await call;
  } catch (err) {
    const e = err as S3Failure;
    const suffix = status(err) ? ` (HTTP ${status(err)})` : '';
    throw Object.assign(new Error(`S3 ${what} failed: ${describe(err)}${suffix}`, { cause: err }),
      { name: e?.name ?? 'Error', code: e?.code, $metadata: e?.$metadata });
  }
}

export class S3BlobStore implements BlobStore {
  readonly backend = 's3';
  private readonly keyPrefix: string;

  private constructor(private readonly client: S3Client, readonly location: S3Location, private readonly accessKeyId?: string) {
    this.keyPrefix = `${location.prefix ? `${location.prefix}/` : ''}blobs/`;
  }

  /**
   * Connects to the bucket named by `url` (see parseS3Url), creating it when it does not exist.
   * Credentials come from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN) in
   * `env`, else from the SDK's default chain (shared config files, instance roles).
   */
  static async open(url: string, env: NodeJS.ProcessEnv = process.env): Promise<S3BlobStore> {
    const location = parseS3Url(url, env);
    const keepAlive = { keepAlive: true, maxSockets: MAX_SOCKETS };
    const client = new S3Client({
      region: location.region,
      endpoint: location.endpoint,
      forcePathStyle: location.forcePathStyle,
      credentials: env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
        ? { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN || undefined }
        : undefined,
      // The SDK's default sends streamed bodies as aws-chunked with a checksum trailer, which
      // RGW 16 rejects (411 MissingContentLength); bodies here are buffers of known length.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        httpAgent: new http.Agent(keepAlive),
        httpsAgent: new https.Agent(keepAlive),
        // An unreachable endpoint fails in seconds, not at the OS's TCP timeout. No request or
        // idle timeout: a GET body may rightly wait for a slow downstream client.
        connectionTimeout: 5000,
      },
    });
    const store = new S3BlobStore(client, location, env.AWS_ACCESS_KEY_ID);
    try {
      await store.ensureBucket();
    } catch (err) {
      client.destroy();
      throw err;
    }
    return store;
  }

  private get endpointName(): string {
    return this.location.endpoint ?? `https://s3.${this.location.region}.amazonaws.com`;
  }

  private async ensureBucket(): Promise<void> {
    const Bucket = this.location.bucket;
    try {
      await this.client.send(new HeadBucketCommand({ Bucket }));
      return;
    } catch (err) {
      if (!isNotFound(err)) throw await this.explain(err, `HeadBucket ${Bucket}`);
    }
    try {
      await this.client.send(new CreateBucketCommand({
        Bucket,
        // AWS wants the region named outside us-east-1; other stores have their own notion of it.
        CreateBucketConfiguration: !this.location.endpoint && this.location.region !== 'us-east-1'
          ? { LocationConstraint: this.location.region as BucketLocationConstraint }
          : undefined,
      }));
    } catch (err) {
      // Another node may have created it a moment ago.
      if ((err as S3Failure)?.name === 'BucketAlreadyOwnedByYou') return;
      if ((err as S3Failure)?.name === 'BucketAlreadyExists') {
        throw new Error(`the S3 bucket ${Bucket} at ${this.endpointName} belongs to another account; choose another bucket name in --blobs`);
      }
      throw await this.explain(err, `CreateBucket ${Bucket}`);
    }
  }

  /** What an operator should read when the first call to the store fails. */
  private async explain(err: unknown, call: string): Promise<Error> {
    const e = err as S3Failure;
    const endpoint = this.endpointName;
    if (isNetworkError(err)) return new Error(`cannot reach the S3 endpoint ${endpoint}: ${describe(err)}`, { cause: err });
    if (e?.name === 'CredentialsProviderError') {
      return new Error(`no credentials for the S3 endpoint ${endpoint}: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY`, { cause: err });
    }
    if (status(err) === 403) {
      // A HEAD's 403 has no body to say why: ask a call that needs nothing but valid credentials.
      let credentialsWork = false;
      let why = describe(err);
      try {
        await this.client.send(new ListBucketsCommand({}));
        credentialsWork = true;
      } catch (listErr) {
        if (status(listErr) !== 403) credentialsWork = true; // e.g. ListBuckets not allowed at all
        else why = describe(listErr);
      }
      if (!credentialsWork) {
        const key = this.accessKeyId ? ` for access key ${this.accessKeyHint()}` : '';
        return new Error(`the S3 endpoint ${endpoint} refused the credentials (${why}${key}, HTTP 403 on ${call}); ` +
          'set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY to a valid access key', { cause: err });
      }
      return new Error(`the S3 endpoint ${endpoint} accepted the credentials but refused ${call} (HTTP 403): ` +
        `the access key${this.accessKeyId ? ` ${this.accessKeyHint()}` : ''} may not use bucket ${this.location.bucket}`, { cause: err });
    }
    if (status(err) === 301 || e?.name === 'PermanentRedirect') {
      return new Error(`the S3 bucket ${this.location.bucket} is not in region ${this.location.region} at ${endpoint}; set region= in --blobs`, { cause: err });
    }
    // A bare status without an S3 error code: likely some other HTTP server at that address.
    const bare = e?.name === 'NotFound' || e?.name === 'UnknownError' || e?.name === 'MethodNotAllowed' || status(err) === 405;
    return new Error(`the S3 endpoint ${endpoint} failed ${call}: ${describe(err)}` +
      (status(err) ? ` (HTTP ${status(err)})` : '') + (bare ? `; is ${endpoint} an S3 API endpoint?` : ''), { cause: err });
  }

  /** The access key id's first characters, enough to recognize it without printing it. */
  private accessKeyHint(): string {
    return this.accessKeyId ? `${this.accessKeyId.slice(0, 4)}…` : '';
  }

  private key(blobId: string): string {
    if (!ID.test(blobId)) throw new Error(`invalid blob id ${JSON.stringify(blobId)}`);
    return `${this.keyPrefix}${blobId.slice(0, 2)}/${blobId}`;
  }

  async create(blobId?: string): Promise<BlobWriter> {
    if (blobId !== undefined) {
      // Copying a store: a multipart completion cannot be made conditional on RGW, so look first.
      const exists = await this.size(blobId).then(() => true, (err) => {
        if (err?.code === 'ENOENT') return false;
        throw err;
      });
      if (exists) throw Object.assign(new Error(`blob ${blobId} already exists`), { code: 'EEXIST' });
    }
    const id = blobId ?? randomBytes(16).toString('hex');
    const upload = new S3Upload(this.client, this.location.bucket, this.key(id));
    let committing: Promise<{ size: number }> | null = null;
    let aborting: Promise<void> | null = null;
    return {
      blobId: id,
      stream: upload,
      commit: () => (committing ??= upload.commit()),
      abort: () => (aborting ??= upload.abort()),
    };
  }

  read(blobId: string, range?: { start: number; end: number }, chunkSize?: number): Readable {
    const key = this.key(blobId);
    if (chunkSize !== undefined && !(Number.isInteger(chunkSize) && chunkSize > 0)) throw new Error(`invalid chunk size ${chunkSize}`);
    return new S3Download(this.client, this.location.bucket, key, blobId, range, chunkSize);
  }

  async size(blobId: string): Promise<number> {
    try {
      const Key = this.key(blobId);
      const head = await s3(this.client.send(new HeadObjectCommand({ Bucket: this.location.bucket, Key })), `HeadObject ${Key}`);
      return head.ContentLength ?? 0;
    } catch (err) {
      throw isNotFound(err) ? missing(blobId, err) : err;
    }
  }

  async delete(blobId: string): Promise<void> {
    try {
      const Key = this.key(blobId);
      await s3(this.client.send(new DeleteObjectCommand({ Bucket: this.location.bucket, Key })), `DeleteObject ${Key}`);
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  async *list(after?: string): AsyncIterable<ListedBlob> {
    let ContinuationToken: string | undefined;
    const StartAfter = after === undefined ? undefined : this.key(after);
    do {
      const page = await s3(this.client.send(new ListObjectsV2Command({
        Bucket: this.location.bucket, Prefix: this.keyPrefix, StartAfter, ContinuationToken,
      })), `ListObjectsV2 ${this.keyPrefix}`);
      for (const o of page.Contents ?? []) {
        const rest = o.Key?.slice(this.keyPrefix.length) ?? '';
        const id = rest.slice(3);
        // Only blobs/<2 hex>/<id> with matching fan-out: anything else in the prefix is not ours.
        if (rest.length === 35 && rest[2] === '/' && ID.test(id) && rest.startsWith(id.slice(0, 2))) {
          yield { blobId: id, modifiedAt: o.LastModified?.getTime() ?? 0 };
        }
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  async collectPartial(startedBefore: number): Promise<number> {
    const Bucket = this.location.bucket;
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    let aborted = 0;
    do {
      const page = await s3(this.client.send(new ListMultipartUploadsCommand({
        Bucket, Prefix: this.keyPrefix, KeyMarker, UploadIdMarker,
      })), `ListMultipartUploads ${this.keyPrefix}`);
      const due = (page.Uploads ?? []).filter((u) => u.Key && u.UploadId && u.Initiated && u.Initiated.getTime() < startedBefore);
      await Promise.all(due.map(async (u) => {
        try {
          const abort = new AbortMultipartUploadCommand({ Bucket, Key: u.Key, UploadId: u.UploadId });
          await s3(this.client.send(abort), `AbortMultipartUpload ${u.Key}`);
          aborted++;
        } catch (err) {
          // Completed or aborted by its writer (or another sweeper) since the listing.
          if (!isNotFound(err) && (err as S3Failure)?.name !== 'NoSuchUpload') throw err;
        }
      }));
      // Stop also when a store does not advance the markers, rather than loop forever.
      const more = page.IsTruncated && (page.NextKeyMarker !== KeyMarker || page.NextUploadIdMarker !== UploadIdMarker);
      KeyMarker = page.NextKeyMarker;
      UploadIdMarker = page.NextUploadIdMarker;
      if (!more) break;
    } while (KeyMarker !== undefined);
    return aborted;
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}

/**
 * The write side of one blob. Holds at most two parts: the one filling and the one uploading;
 * a write that fills a part while the previous one is still uploading waits for it. The two part
 * buffers are reused, so a long upload makes no garbage of its own. Small writes (the usual
 * 4 KiB object) are kept as the chunks they came in and never cost a part buffer.
 */
class S3Upload extends Writable {
  private size = 0;
  /** Below COPY_FROM bytes: the chunks as written (no copy). */
  private chunks: Buffer[] = [];
  /** From COPY_FROM bytes on: the part being filled, chunks copied in. */
  private current: Buffer | null = null;
  /** Bytes in `chunks` or `current`. */
  private buffered = 0;
  /** Part buffers whose upload finished, for the next part. */
  private spare: Buffer[] = [];
  private uploadId: Promise<string> | null = null;
  private readonly parts: CompletedPart[] = [];
  private inFlight: Promise<void> | null = null;
  private failure: Error | null = null;
  /** Set once a PUT or completion was sent and not definitely refused: abort must delete. */
  private mayExist = false;

  constructor(private readonly client: S3Client, private readonly bucket: string, private readonly key: string) {
    super({ highWaterMark: 256 * 1024 });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: Callback): void {
    this.take(chunk).then(() => callback(), callback);
  }

  override _final(callback: Callback): void {
    // The tail stays buffered for commit(); here only the parts already sent must have succeeded.
    Promise.resolve(this.inFlight).then(() => callback(this.failure), callback);
  }

  private async take(chunk: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    let at = 0;
    while (at < chunk.length) {
      const n = Math.min(PART_SIZE - this.buffered, chunk.length - at);
      if (this.current) chunk.copy(this.current, this.buffered, at, at + n);
      else this.chunks.push(at === 0 && n === chunk.length ? chunk : chunk.subarray(at, at + n));
      this.buffered += n;
      this.size += n;
      at += n;
      if (!this.current && this.buffered >= COPY_FROM) this.current = this.gather();
      if (this.buffered === PART_SIZE) await this.sendPart();
    }
  }

  /** The buffered chunks copied into a part buffer. */
  private gather(): Buffer {
    const part = this.spare.pop() ?? Buffer.allocUnsafe(PART_SIZE);
    let at = 0;
    for (const c of this.chunks) at += c.copy(part, at);
    this.chunks = [];
    return part;
  }

  /** Starts uploading the buffered part once the previous one is done; resolves when it started. */
  private async sendPart(): Promise<void> {
    const part = this.current ?? this.gather();
    const body = part.subarray(0, this.buffered);
    this.current = null;
    this.buffered = 0;
    await this.inFlight;
    if (this.failure) throw this.failure;
    const create = new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key });
    this.uploadId ??= s3(this.client.send(create), `CreateMultipartUpload ${this.key}`)
      .then((r) => {
        if (!r.UploadId) throw new Error(`CreateMultipartUpload for ${this.key} returned no UploadId`);
        return r.UploadId;
      });
    const UploadId = await this.uploadId;
    const PartNumber = this.parts.length + 1;
    this.parts.push({ PartNumber });
    const sent = s3(this.client.send(new UploadPartCommand({
      Bucket: this.bucket, Key: this.key, UploadId, PartNumber, Body: body, ContentLength: body.length,
    })), `UploadPart ${PartNumber} of ${this.key}`).then((r) => {
      this.parts[PartNumber - 1].ETag = r.ETag;
      this.spare.push(part);
    });
    // Handled here, so a failure while the writer is idle fails the stream at once and never
    // goes unhandled; whoever awaits inFlight next sees it too.
    sent.catch((err: Error) => {
      this.failure ??= err;
      this.destroy(err);
    });
    this.inFlight = sent;
  }

  /** Lets go of every buffer. */
  private release(): void {
    this.chunks = [];
    this.current = null;
    this.spare = [];
    this.buffered = 0;
  }

  async commit(): Promise<{ size: number }> {
    if (!this.writableFinished) await finished(this);
    if (this.failure) throw this.failure;
    try {
      if (this.uploadId === null) {
        const body = this.current ? this.current.subarray(0, this.buffered)
          : this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
        this.mayExist = true;
        await s3(this.client.send(new PutObjectCommand({
          Bucket: this.bucket, Key: this.key, Body: body, ContentLength: body.length, IfNoneMatch: '*',
        })), `PutObject ${this.key}`);
      } else {
        if (this.buffered > 0) await this.sendPart();
        await this.inFlight;
        if (this.failure) throw this.failure;
        this.mayExist = true;
        await s3(this.client.send(new CompleteMultipartUploadCommand({
          Bucket: this.bucket, Key: this.key, UploadId: await this.uploadId, MultipartUpload: { Parts: this.parts },
        })), `CompleteMultipartUpload ${this.key}`);
      }
    } catch (err) {
      this.release();
      // A definite refusal (e.g. 412: the name exists) wrote nothing that abort should delete.
      const code = status(err);
      if (code !== undefined && code >= 400 && code < 500) this.mayExist = false;
      this.failure ??= err as Error;
      throw err;
    }
    this.release();
    return { size: this.size };
  }

  async abort(): Promise<void> {
    this.failure ??= new Error('the blob write was aborted');
    this.destroy();
    this.release();
    // Parts still arriving would otherwise outlive the abort (S3 asks to abort again then).
    await Promise.resolve(this.inFlight).catch(() => undefined);
    const uploadId = await Promise.resolve(this.uploadId).catch(() => null);
    if (uploadId) {
      const cancel = new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: this.key, UploadId: uploadId });
      await s3(this.client.send(cancel), `AbortMultipartUpload ${this.key}`)
        .catch((err) => {
          if (!isNotFound(err) && (err as S3Failure)?.name !== 'NoSuchUpload') throw err;
        });
    }
    if (this.mayExist) {
      const remove = new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key });
      await s3(this.client.send(remove), `DeleteObject ${this.key}`).catch((err) => {
        if (!isNotFound(err)) throw err;
      });
    }
  }
}

/** The read side: one GetObject, its body re-cut into chunks of `chunkSize` when one is asked for. */
class S3Download extends Readable {
  private readonly controller = new AbortController();
  private body: Readable | null = null;
  private started = false;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private received = 0;
  private expected = -1;

  constructor(
    private readonly client: S3Client, private readonly bucket: string, private readonly key: string,
    private readonly blobId: string, private readonly range: { start: number; end: number } | undefined,
    private readonly chunkSize: number | undefined,
  ) {
    super({ highWaterMark: Math.max(READ_BUFFER, chunkSize ?? 0) });
  }

  override _read(): void {
    if (!this.started) {
      this.started = true;
      this.open().catch((err) => this.destroy(err));
    } else {
      this.body?.resume();
    }
  }

  private async open(): Promise<void> {
    if (this.range && this.range.end < this.range.start) {
      this.push(null);
      return;
    }
    let res;
    try {
      res = await s3(this.client.send(new GetObjectCommand({
        Bucket: this.bucket, Key: this.key, Range: this.range ? `bytes=${this.range.start}-${this.range.end}` : undefined,
      }), { abortSignal: this.controller.signal }), `GetObject ${this.key}`);
    } catch (err) {
      if (this.destroyed) return;
      if (isNotFound(err)) throw missing(this.blobId, err);
      // A range starting at or past the end: nothing to read, as a file read gives.
      if (status(err) === 416 || (err as S3Failure)?.name === 'InvalidRange') {
        this.push(null);
        return;
      }
      throw err;
    }
    const body = res.Body as Readable | undefined;
    if (!body) throw new Error(`GetObject for ${this.key} returned no body`);
    if (this.destroyed) {
      body.destroy();
      return;
    }
    this.body = body;
    this.expected = res.ContentLength ?? -1;
    body.on('data', (chunk: Buffer) => this.onData(chunk));
    body.on('end', () => this.onEnd());
    body.on('error', (err) => this.destroy(err));
    body.on('aborted', () => this.destroy(new Error(`the S3 response for ${this.key} was cut off`)));
  }

  private onData(chunk: Buffer): void {
    this.received += chunk.length;
    let more = true;
    if (this.chunkSize === undefined) {
      more = this.push(chunk);
    } else {
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      while (this.pendingBytes >= this.chunkSize) more = this.push(this.cut(this.chunkSize));
    }
    if (!more) this.body?.pause();
  }

  /** The first n pending bytes as one buffer, without a copy when one chunk holds them. */
  private cut(n: number): Buffer {
    const first = this.pending[0];
    if (first.length >= n) {
      if (first.length === n) this.pending.shift();
      else this.pending[0] = first.subarray(n);
      this.pendingBytes -= n;
      return first.subarray(0, n);
    }
    const out = Buffer.allocUnsafe(n);
    let at = 0;
    while (at < n) {
      const b = this.pending[0];
      const k = Math.min(b.length, n - at);
      b.copy(out, at, 0, k);
      at += k;
      if (k === b.length) this.pending.shift();
      else this.pending[0] = b.subarray(k);
    }
    this.pendingBytes -= n;
    return out;
  }

  private onEnd(): void {
    if (this.expected >= 0 && this.received !== this.expected) {
      this.destroy(new Error(`the S3 response for ${this.key} ended after ${this.received} of ${this.expected} bytes`));
      return;
    }
    if (this.pendingBytes > 0) this.push(this.cut(this.pendingBytes));
    this.push(null);
  }

  override _destroy(err: Error | null, callback: Callback): void {
    this.controller.abort();
    this.body?.destroy();
    this.pending = [];
    callback(err);
  }
}
