/**
 * Coffer's own administration API, served on the RPC port next to KMS under ADMIN_VERSION:
 *   RotateMasterKey — adds an SSE-OSS master-key version and makes it current;
 *   RewrapMasterKeys — re-seals, in bounded steps, the object keys an older master-key version sealed
 *                      under the current one (src/core/keys/rewrap.ts);
 *   DescribeStatus  — server version, node, backends, uptime, storage use, master-key versions;
 *   DescribeEncryptionPosture — per bucket, objects, bytes and unfinished uploads by encryption
 *                     mode, data cipher, master-key version and KMS key; what still depends on an
 *                     older master-key version; what depends on each KMS key (src/core/encryption-posture.ts);
 *   CollectBlobs    — collects, now, the blobs whose grace has passed (retired and orphaned);
 *   CheckObjects    — a scrub in bounded steps: every object and unfinished upload part read and
 *                     verified, missing or damaged blobs reported (src/core/scrub.ts);
 *   ExportAuditLog  — the KMS audit trail of the whole cluster, in order, page by page;
 *   BackupStore     — starts an online backup of the embedded store into a directory on the
 *                     server (src/server/backup.ts); DescribeBackup follows it.
 * The CLI (`coffer admin`) and the console's Server page drive it.
 * All are for the account root until RAM policies can grant them.
 */
import type { BlobCollector } from '../core/blob-collector';
import type { Coffer } from '../core/coffer';
import { scrubStep, type ScrubLocation } from '../core/scrub';
import { encryptionPosture, type PostureRow } from '../core/encryption-posture';
import type { PostureCounters } from '../core/bucket-stats';
import type { MasterKeys, MasterKeyVersionInfo } from '../core/keys/master-keys';
import { CofferError } from '../common/errors';
import { rewrapObjectKeys } from '../core/keys/rewrap';
import type { RpcContext, RpcService } from '../rpc';
import { integerParam, invalidParameter, requiredParam } from '../rpc/params';
import type { BlobStore, MetadataStore } from '../store/types';

export const ADMIN_VERSION = '2026-11-01';

/** A store backup as DescribeBackup reports it. */
export interface BackupStatus {
  id: string;
  /** Where it is written, on the server's machine. */
  directory: string;
  state: 'Running' | 'Done' | 'Failed';
  startedAt: number;
  /** When the metadata snapshot was pinned: every object committed before is in the backup. */
  snapshotAt?: number;
  finishedAt?: number;
  blobs: { total: number; copied: number };
  bytes: { total: number; copied: number };
  error?: string;
}

/** Online backups of the embedded store; absent when the server runs on cluster stores. */
export interface StoreBackups {
  start(directory: string): Promise<BackupStatus>;
  describe(id: string): Promise<BackupStatus | null>;
}

export interface AdminDeps {
  /** The object service, whose read path the scrub uses. */
  coffer: Coffer;
  meta: MetadataStore;
  masterKeys: MasterKeys;
  blobs: BlobStore;
  collector: BlobCollector;
  /** This node's name. */
  node: string;
  /** When the server started (ms since the epoch). */
  startedAt: number;
  backups?: StoreBackups;
}

/** Data read per CheckObjects step by default: a second or two of reading, so progress moves. */
const DEFAULT_CHECK_BYTES = 256 * 1024 * 1024;

const SERVER_VERSION: string = require('../../../package.json').version;

/** KMS-style time: UTC, whole seconds. */
const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function requireRoot(ctx: RpcContext): void {
  if (ctx.caller.principal.kind !== 'root') {
    throw new CofferError('Forbidden.NoPermission', `Only the account root may call ${ctx.action}.`);
  }
}

/** A Marker parameter: bucket/key, as a previous step's NextMarker gives it; undefined when absent. */
function markerParam(ctx: RpcContext): string | undefined {
  const marker = ctx.params.get('Marker') || undefined;
  if (marker !== undefined && !(marker.indexOf('/') > 0)) throw invalidParameter('Marker', 'expected bucket/key, as a previous NextMarker gives it');
  return marker;
}

/** Where a scrub finding is, in the API's field names. */
const locationView = (l: ScrubLocation): Record<string, string | number> => ({
  Bucket: l.bucket, Key: l.key, ...(l.versionId !== undefined ? { VersionId: l.versionId } : {}),
  ...(l.uploadId !== undefined ? { UploadId: l.uploadId, PartNumber: l.partNumber! } : {}),
});

function backupView(b: BackupStatus): Record<string, unknown> {
  return {
    BackupId: b.id,
    Directory: b.directory,
    State: b.state,
    StartTime: isoSeconds(b.startedAt),
    // Milliseconds: what was committed before this instant is in the backup.
    ...(b.snapshotAt !== undefined ? { SnapshotTime: new Date(b.snapshotAt).toISOString() } : {}),
    ...(b.finishedAt !== undefined ? { FinishTime: isoSeconds(b.finishedAt) } : {}),
    Blobs: { Total: b.blobs.total, Copied: b.blobs.copied },
    Bytes: { Total: b.bytes.total, Copied: b.bytes.copied },
    ...(b.error !== undefined ? { Error: b.error } : {}),
  };
}

function versionsView(versions: MasterKeyVersionInfo[]): { MasterKeyVersion: Array<{ Version: number; CreationDate: string; Current: boolean }> } {
  return { MasterKeyVersion: versions.map((v) => ({ Version: v.version, CreationDate: isoSeconds(v.createdAt), Current: v.current })) };
}

const countsView = (c: PostureCounters): { Objects: number; Bytes: number; MultipartUploads: number } =>
  ({ Objects: c.objects, Bytes: c.bytes, MultipartUploads: c.uploads });

/** One encryption class: Mode None | SSE-OSS | SSE-KMS | SSE-C | Symlink | Unknown, with what it depends on. */
const classView = (r: PostureRow): Record<string, unknown> => ({
  Mode: r.mode,
  ...(r.algorithm ? { Algorithm: r.algorithm } : {}),
  ...(r.masterKeyVersion !== undefined ? { MasterKeyVersion: r.masterKeyVersion } : {}),
  ...(r.kmsKeyId !== undefined ? { KmsKeyId: r.kmsKeyId } : {}),
  ...countsView(r),
});

export function adminService(deps: AdminDeps): RpcService {
  return {
    actions: {
      async RotateMasterKey(ctx) {
        requireRoot(ctx);
        const version = await deps.masterKeys.rotate();
        return { MasterKeyVersion: version, MasterKeyVersions: versionsView(await deps.masterKeys.list()) };
      },

      async RewrapMasterKeys(ctx) {
        requireRoot(ctx);
        const r = await rewrapObjectKeys(deps.meta, deps.masterKeys, {
          marker: markerParam(ctx),
          maxObjects: integerParam(ctx.params, 'MaxObjects', { min: 1, max: 10_000 }, 1000),
        });
        return {
          MasterKeyVersion: r.currentVersion,
          Objects: { Scanned: r.objects.scanned, Rewrapped: r.objects.rewrapped },
          MultipartUploads: { Scanned: r.uploads.scanned, Rewrapped: r.uploads.rewrapped },
          Truncated: r.nextMarker !== null,
          ...(r.nextMarker !== null ? { NextMarker: r.nextMarker } : {}),
        };
      },

      async CheckObjects(ctx) {
        requireRoot(ctx);
        const r = await scrubStep(deps.coffer, {
          marker: markerParam(ctx),
          maxObjects: integerParam(ctx.params, 'MaxObjects', { min: 1, max: 10_000 }, 1000),
          maxBytes: integerParam(ctx.params, 'MaxBytes', { min: 1, max: 2 ** 40 }, DEFAULT_CHECK_BYTES),
          caller: ctx.caller,
        });
        return {
          Objects: { Scanned: r.objects.scanned, Bytes: r.objects.bytes },
          MultipartUploads: { Scanned: r.uploads.scanned, Parts: r.uploads.parts },
          Problems: { Problem: r.problems.map((p) => ({ ...locationView(p), Kind: p.kind, ...(p.blobId ? { BlobId: p.blobId } : {}), Detail: p.detail })) },
          Unverified: { Object: r.unverified.map((u) => ({ ...locationView(u), Reason: u.reason })) },
          Truncated: r.nextMarker !== null,
          ...(r.nextMarker !== null ? { NextMarker: r.nextMarker } : {}),
        };
      },

      async BackupStore(ctx) {
        requireRoot(ctx);
        if (!deps.backups) {
          throw new CofferError('Rejected.UnsupportedOperation', `BackupStore backs up the embedded store (SQLite and files in the data directory) only; `
            + `this server keeps its metadata in ${deps.meta.backend} and its blobs in ${deps.blobs.backend}. Back those up with their own tools: `
            + 'PostgreSQL with pg_dump or point-in-time recovery, the object store with bucket versioning or replication.');
        }
        return backupView(await deps.backups.start(requiredParam(ctx.params, 'Directory')));
      },

      async DescribeBackup(ctx) {
        requireRoot(ctx);
        const id = requiredParam(ctx.params, 'BackupId');
        const status = await deps.backups?.describe(id);
        if (!status) throw invalidParameter('BackupId', `there is no backup ${JSON.stringify(id)} on this store`);
        return backupView(status);
      },

      async CollectBlobs(ctx) {
        requireRoot(ctx);
        const r = await deps.collector.collectAll();
        return { GraceSeconds: deps.collector.graceMs / 1000, Retired: r.retired, Orphans: r.orphans, PartialWrites: r.partial, Scanned: r.scanned };
      },

      async ExportAuditLog(ctx) {
        requireRoot(ctx);
        const after = integerParam(ctx.params, 'After', { min: 0, max: Number.MAX_SAFE_INTEGER }, 0);
        const limit = integerParam(ctx.params, 'MaxResults', { min: 1, max: 1000 }, 100);
        const events = await deps.meta.listAudit({ after, limit });
        const truncated = events.length === limit;
        return {
          Events: {
            Event: events.map((e) => ({
              Seq: e.seq, Time: e.time, Node: e.node, Identity: e.identity, Action: e.action, KeyId: e.keyId,
              KeyVersionId: e.keyVersionId, Via: e.via, Bucket: e.bucket, Object: e.object, Outcome: e.outcome,
            })),
          },
          Truncated: truncated,
          ...(events.length ? { NextAfter: events.at(-1)!.seq } : {}),
        };
      },

      async DescribeEncryptionPosture(ctx) {
        requireRoot(ctx);
        const versions = await deps.masterKeys.list();
        const r = await encryptionPosture(deps.meta, {
          current: versions.find((v) => v.current)?.version ?? null,
          versions: versions.map((v) => v.version),
        });
        return {
          // Milliseconds: the counters are exact as of this instant.
          ComputedAt: new Date(r.computedAt).toISOString(),
          Complete: r.complete,
          CurrentMasterKeyVersion: r.currentMasterKeyVersion,
          Totals: { Class: r.totals.map(classView) },
          OlderMasterKeyVersions: countsView(r.olderMasterKeyVersions),
          MasterKeyVersions: { MasterKeyVersion: r.masterKeyVersions.map((v) => ({ Version: v.version, Current: v.current, ...countsView(v) })) },
          KmsKeys: { KmsKey: r.kmsKeys.map((k) => ({ KeyId: k.keyId, Buckets: { Bucket: k.buckets }, ...countsView(k) })) },
          Buckets: {
            Bucket: r.buckets.map((b) => ({ Name: b.bucket, Complete: b.complete, ...countsView(b), Classes: { Class: b.classes.map(classView) } })),
          },
        };
      },

      async DescribeStatus(ctx) {
        requireRoot(ctx);
        const [stats, versions] = await Promise.all([deps.meta.stats(), deps.masterKeys.list()]);
        return {
          ServerVersion: SERVER_VERSION,
          Node: deps.node,
          MetadataBackend: deps.meta.backend,
          BlobBackend: deps.blobs.backend,
          StartTime: isoSeconds(deps.startedAt),
          UptimeSeconds: Math.floor((Date.now() - deps.startedAt) / 1000),
          Storage: { Buckets: stats.buckets, Objects: stats.objects, Bytes: stats.bytes, MultipartUploads: stats.uploads },
          MasterKeys: {
            Count: versions.length,
            // null only before the first version exists (a fresh data directory, for a moment).
            CurrentVersion: versions.find((v) => v.current)?.version ?? null,
            Versions: versionsView(versions),
          },
        };
      },
    },
  };
}
