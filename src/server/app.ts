/**
 * Starts Coffer: opens the stores, checks the root key, wires the core, and brings up the
 * listeners. Used by `coffer server` (each worker process runs one) and by the integration tests
 * (port 0, temp data dir). Any number of these may share one store: background jobs run under
 * cluster-wide leases, caches drop what other processes change (MetadataStore.watch).
 */
import { randomInt } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ADMIN_VERSION, adminService } from '../admin/service';
import { createConsoleHandler, type SessionLimits } from '../console-server';
import { BlobCollector } from '../core/blob-collector';
import { HashPool } from '../crypto/hash-pool';
import { backfillBucketStats } from '../core/bucket-stats';
import type { Coffer } from '../core/coffer';
import { Encryption, OssKeyProvider } from '../core/encryption';
import { ClusterJobs, holderName } from '../core/jobs';
import { lifecycleStep } from '../core/lifecycle/job';
import { MASTER_KEYS_CHANNEL, MasterKeys } from '../core/keys/master-keys';
import { verifyRootKey } from '../core/keys/root-key-check';
import { retentionKeyBlocker } from '../core/retention';
import { makeDataDirPrivate } from '../crypto/private-files';
import { GENERATED_ROOT_KEY_FILE, loadRootKey, type LoadedRootKey } from '../crypto/root-key';
import { CredentialStore } from '../iam/credentials';
import { ramApi, RAM_VERSION } from '../ram/api';
import { RAM_CHANNEL, RamStore } from '../iam/ram/store';
import { loadRootCredentials, type RootCredentials } from '../iam/root-credentials';
import { KmsAccounting } from '../kms/accounting';
import { KmsKeyProvider } from '../kms/sse-key-provider';
import { AuditTrail } from '../kms/audit-trail';
import { kmsApi, KMS_VERSION } from '../kms/api';
import { KmsService } from '../kms/service';
import { answerClientError } from '../oss/client-error';
import { createOssHandler } from '../oss/handler';
import { createRpcHandler } from '../rpc';
import { createS3Handler } from '../s3/handler';
import { METADATA_FILE, openBlobStore, openMetadataStore } from '../store/open';
import type { BlobStore, MetadataStore } from '../store/types';
import { EmbeddedBackups, embeddedDataDir } from './backup';
import { healthHandler } from './health';
import { listen, type Listener, type TlsFiles } from './listener';
import { createLogger, type Level, type LogFormat, type Logger } from '../common/log';
import { Metrics } from '../common/metrics';
import { RequestObserver } from '../common/request-observer';
import { instrumentBlobStore, instrumentMetadataStore } from '../store/instrumented';
import { registerStorageMetrics } from './metrics';

export interface ServerOptions {
  /** The embedded store's directory (SQLite + blob files, generated root key and credentials). */
  dataDir: string;
  /** A postgres:// URL for the metadata store; the embedded SQLite file when absent. */
  metadata?: string;
  /** An s3:// URL for the blob store; files in the data directory when absent. */
  blobs?: string;
  /** This node's name in metrics, logs, the audit trail and job leases (default: the host name). */
  nodeName?: string;
  /**
   * How long a retired or never-committed blob is kept before collection (ms). It must exceed the
   * longest request: a process that looked an object up just before it was overwritten may still
   * read its blobs for that long. 0 is safe only when one process serves the store.
   */
  blobGraceMs?: number;
  host: string;
  ossPort: number;
  /** The RPC-style API port: the KMS API, and the Coffer admin API. */
  kmsPort: number;
  /** The web console's port; no console listener when absent. */
  consolePort?: number;
  /** Console session lifetimes (default 30 min idle, 8 h in all). */
  consoleSessions?: SessionLimits;
  region: string;
  domain?: string;
  /** host[:port] reported as ExtranetEndpoint/IntranetEndpoint; default: the address each request came in on. */
  publicEndpoint?: string;
  /** Accept SSE-C (S3 customer-provided keys) over plain HTTP; for local tests only. */
  allowSseCOverHttp?: boolean;
  /** How long a RestoreObject takes (ms); default DEFAULT_RESTORE_DELAY_MS. */
  restoreDelayMs?: number;
  /**
   * How long a day is (ms) wherever the API counts in days: lifecycle rules, WORM retention,
   * restored copies' lifetime; default DAY_MS (--day-seconds; tests shorten it).
   */
  dayMs?: number;
  /** How often a lifecycle step runs (ms); default DEFAULT_LIFECYCLE_INTERVAL_MS. */
  lifecycleIntervalMs?: number;
  /** Versions and uploads per lifecycle step; default DEFAULT_LIFECYCLE_BATCH (tests lower it to see a pass resume). */
  lifecycleBatch?: number;
  tls?: TlsFiles;
  rootKeyFile?: string;
  masterKeyRotationDays: number;
  logLevel: Level;
  /** json (default): one JSON object per line; pretty: a compact line for people. */
  logFormat?: LogFormat;
  /** When set, GET /metrics needs `Authorization: Bearer <token>` (--metrics-token, COFFER_METRICS_TOKEN). */
  metricsToken?: string;
  /** Label coffer_kms_calls_total with KMS key ids (--metrics-key-ids); off by default. */
  metricsKeyIds?: boolean;
  env: NodeJS.ProcessEnv;
  /** Replaces the logger made from logLevel and logFormat (tests keep the lines). */
  logger?: Logger;
  /** The clock of the KMS, console sessions and archive restores (Unix ms): tests advance it to pass deletion windows, rotation dates, session expiry, restore delays. */
  now?: () => number;
  /** Threads hashing large bodies off the event loop (--hash-threads); 0 or absent: none. */
  hashThreads?: number;
  /** RPC replay-window nonces remembered per AccessKeyId (default src/rpc/nonces.ts NONCES_PER_CALLER); tests lower it. */
  rpcNoncesPerCaller?: number;
}

export interface Endpoints {
  oss: string;
  /** The RPC-style listener: the KMS API (2016-01-20) and the Coffer admin API. */
  kms: string;
  region: string;
  /** The web console, when it listens. */
  console?: string;
}

export interface RunningServer {
  endpoints: Endpoints;
  coffer: Coffer;
  masterKeys: MasterKeys;
  kms: KmsService;
  metrics: Metrics;
  rootCredentials: RootCredentials;
  rootKey: Pick<LoadedRootKey, 'origin' | 'generatedAt'>;
  jobs: ClusterJobs;
  audit: AuditTrail;
  /** Drains in-flight requests, then closes the stores. */
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;
export const LIFECYCLE_ACTIONS_TOTAL = 'coffer_lifecycle_actions_total';
/** How often deletion windows, expired imported material and due KMS rotations are swept. */
const KMS_SWEEP_MS = 60_000;
/** How often expired console sessions are cleared out of the store. */
const SESSION_SWEEP_MS = 10 * 60_000;
/** How often retired blobs are swept and an orphan-scan step runs. */
const BLOB_SWEEP_MS = 10_000;
export const DEFAULT_BLOB_GRACE_MS = 3_600_000;
/** How often buckets without GetBucketStat counters (made by an older release) are looked for. */
const STAT_BACKFILL_MS = 60_000;
export const DEFAULT_LIFECYCLE_INTERVAL_MS = 10_000;
export const DEFAULT_LIFECYCLE_BATCH = 1000;
/** Seconds, not OSS's minutes to hours: CI waits for restores. */
export const DEFAULT_RESTORE_DELAY_MS = 3_000;

async function accountId(meta: MetadataStore): Promise<string> {
  const existing = await meta.getSetting('account-id');
  if (existing) return existing;
  const id = String(randomInt(1, 10)) + Array.from({ length: 15 }, () => randomInt(0, 10)).join('');
  return meta.transaction(async (tx) => {
    const again = await tx.getSetting('account-id');
    if (again) return again;
    await tx.setSetting('account-id', id);
    return id;
  });
}

/** What a store must have before a server can run on it: a verified root key, the root's key pair, an account id. */
export interface PreparedStore {
  meta: MetadataStore;
  rootKey: LoadedRootKey;
  rootCredentials: RootCredentials;
  accountId: string;
}

/**
 * Opens the metadata store and makes it ready: checks (or, on a fresh embedded store, generates)
 * the root key, and loads or generates the root credentials and account id. Idempotent; with
 * --workers the primary runs it once before forking, so workers never race to generate.
 */
export async function prepareStore(opts: Pick<ServerOptions, 'dataDir' | 'metadata' | 'env' | 'rootKeyFile'>): Promise<PreparedStore> {
  const embedded = opts.metadata === undefined;
  await fs.mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  await makeDataDirPrivate(opts.dataDir);
  const existed = embedded && (await fs.stat(path.join(opts.dataDir, METADATA_FILE)).then(() => true, () => false));
  const meta = await openMetadataStore(opts.metadata, opts.dataDir);
  try {
    const initialized = (await meta.getSetting('root-key-check')) !== null;
    if (!opts.env.COFFER_ROOT_KEY && !opts.rootKeyFile) {
      // A generated key lives on one machine: every node of a cluster must be given the same key.
      if (!embedded) throw new Error('a shared metadata store needs the same root key on every node: set COFFER_ROOT_KEY or --root-key-file. Nothing was written.');
      const present = await fs.stat(path.join(opts.dataDir, GENERATED_ROOT_KEY_FILE)).then(() => true, () => false);
      if (initialized && !present) throw new Error('this data directory is encrypted under a root key that was not supplied; set COFFER_ROOT_KEY or --root-key-file. Nothing was written.');
    }
    const rootKey = await loadRootKey({ env: opts.env.COFFER_ROOT_KEY, file: opts.rootKeyFile, dataDir: opts.dataDir });
    if (rootKey.origin === 'generated' && existed && initialized) throw new Error('unreachable: root key generated for an initialized store');
    await verifyRootKey(meta, rootKey.key);
    const rootCredentials = await loadRootCredentials(embedded
      ? { env: opts.env, dataDir: opts.dataDir }
      : { env: opts.env, store: { meta, rootKey: rootKey.key } });
    return { meta, rootKey, rootCredentials, accountId: await accountId(meta) };
  } catch (err) {
    await meta.close();
    throw err;
  }
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const startedAt = Date.now();
  const logger = opts.logger ?? createLogger(opts.logLevel, undefined, opts.logFormat ?? 'json');
  const node = opts.nodeName ?? os.hostname();
  const { meta, rootKey, rootCredentials, accountId: account } = await prepareStore(opts);
  let blobs: BlobStore | undefined;
  try {
    blobs = await openBlobStore(opts.blobs, opts.dataDir, opts.env);
    const blobStore = blobs;
    // One registry per server (a process may run several): process metrics, then the stores'.
    const metrics = new Metrics({ node });
    metrics.collectDefaultMetrics();
    instrumentMetadataStore(meta, metrics);
    instrumentBlobStore(blobStore, metrics);
    registerStorageMetrics(metrics, meta, logger);
    const collector = new BlobCollector(meta, blobStore, { graceMs: opts.blobGraceMs ?? DEFAULT_BLOB_GRACE_MS });
    // Unique per process: two workers of one node must not share a lease.
    const jobs = new ClusterJobs(meta, holderName(node, process.pid, startedAt), (msg, fields) => logger.log('error', msg, fields));
    jobs.every('blob-collection', BLOB_SWEEP_MS, async () => {
      const retired = await collector.sweepRetired();
      const scan = await collector.scanStep();
      if (retired || scan.orphans || scan.partial) logger.log('info', 'collected blobs', { retired, orphans: scan.orphans, partial: scan.partial });
    });

    // Buckets of an older release get their GetBucketStat counters, counted in batches (bucket-stats.ts).
    jobs.every('bucket-stat-backfill', STAT_BACKFILL_MS, async () => {
      while (await backfillBucketStats(meta));
    });

    const masterKeys = new MasterKeys(meta, rootKey.key);
    // Version 1 exists before the first request (and before a status report lists the versions).
    await masterKeys.current();
    const rotationCheckMs = Math.min(DAY_MS, opts.masterKeyRotationDays * DAY_MS) / 4;
    jobs.every('master-key-rotation', rotationCheckMs, async () => {
      const v = await masterKeys.rotateIfOlderThan(opts.masterKeyRotationDays);
      if (v !== null) logger.log('info', 'rotated the SSE-OSS master key on schedule', { version: v });
    }, 0);

    const audit = new AuditTrail(meta, node);
    const accounting = new KmsAccounting(metrics, audit, { keyIdsInMetrics: opts.metricsKeyIds });
    const clock = { meta, now: opts.now ?? Date.now, dayMs: opts.dayMs ?? DAY_MS };
    // The KMS asks the object side before destroying a key: retained objects must stay readable.
    const dependents = { destructionBlocker: (keyId: string) => retentionKeyBlocker(clock, keyId) };
    const kms = new KmsService({ meta, rootKey: rootKey.key, region: opts.region, accountId: account, now: opts.now, dependents });
    jobs.every('kms-housekeeping', KMS_SWEEP_MS, async () => {
      const [purged, rotated] = await Promise.all([kms.purgeExpiredKeys(), kms.rotateDueKeys()]);
      if (purged || rotated) logger.log('info', 'KMS housekeeping', { destroyedKeys: purged, rotatedKeys: rotated });
    }, KMS_SWEEP_MS);

    const coffer: Coffer = {
      meta, blobs: blobStore, collector, region: opts.region, accountId: account,
      restoreDelayMs: opts.restoreDelayMs ?? DEFAULT_RESTORE_DELAY_MS, now: clock.now, dayMs: clock.dayMs,
      hashing: opts.hashThreads ? new HashPool(opts.hashThreads) : undefined,
      encryption: new Encryption(new OssKeyProvider(masterKeys), new KmsKeyProvider(kms, accounting)),
    };
    metrics.counter(LIFECYCLE_ACTIONS_TOTAL, 'Lifecycle rule actions done, by action', ['action']);
    const lifecycle = { dayMs: clock.dayMs, batch: opts.lifecycleBatch ?? DEFAULT_LIFECYCLE_BATCH };
    jobs.every('lifecycle', opts.lifecycleIntervalMs ?? DEFAULT_LIFECYCLE_INTERVAL_MS, async () => {
      const step = await lifecycleStep(coffer, lifecycle);
      if (!step) return;
      for (const [action, n] of Object.entries(step.actions)) metrics.inc(LIFECYCLE_ACTIONS_TOTAL, { action }, n);
      for (const r of step.refused) logger.log('warn', 'lifecycle action refused', { ...r });
      if (step.started) logger.log('info', 'lifecycle pass started', { day: step.day });
      if (step.finished) logger.log('info', 'lifecycle pass finished', { day: step.day, ms: step.finished.ms, ...step.finished.done });
    });

    const ram = new RamStore(meta, rootKey.key, account);
    const credentials = new CredentialStore(account, rootCredentials, ram);
    ram.onChange(() => credentials.invalidate());
    // What other processes change reaches this one's caches; '*' means notifications may have been lost.
    const unwatch = meta.watch((channel) => {
      if (channel === RAM_CHANNEL || channel === '*') credentials.invalidate();
      if (channel === MASTER_KEYS_CHANNEL || channel === '*') masterKeys.forgetCurrent();
    });
    const backups = embeddedDataDir(opts) === null ? undefined : new EmbeddedBackups({ dataDir: opts.dataDir, meta, collector, logger });
    const listeners: Listener[] = [];
    let draining = false;
    const stop = async (): Promise<void> => {
      draining = true;
      unwatch();
      await Promise.all(listeners.map((l) => l.drain()));
      await backups?.close();
      await jobs.stop();
      await collector.stop();
      await audit.close();
      await coffer.hashing?.close();
      await blobStore.close();
    };
    let oss: Listener;
    let kmsListener: Listener;
    let consoleListener: Listener | undefined;
    try {
      const health = healthHandler({ meta, blobs: blobStore, draining: () => draining });
      const observer = new RequestObserver(metrics, logger);
      const apiOptions = { coffer, credentials, logger, domain: opts.domain, publicEndpoint: opts.publicEndpoint, observer };
      const ossHandler = createOssHandler(apiOptions);
      const s3Handler = createS3Handler({ ...apiOptions, allowSseCOverHttp: opts.allowSseCOverHttp });
      // One listener, two dialects: an AWS-signed request (or one with x-amz-* headers) is S3.
      oss = await listen((req, res) => {
        if (health(req, res)) return;
        if (!s3Handler(req, res)) ossHandler(req, res);
      }, opts.host, opts.ossPort, opts.tls);
      oss.server.on('clientError', answerClientError);
      listeners.push(oss);
      kmsListener = await listen(
        createRpcHandler({
          credentials,
          logger,
          metrics,
          observer,
          noncesPerCaller: opts.rpcNoncesPerCaller,
          services: {
            [KMS_VERSION]: kmsApi(kms, accounting),
            [ADMIN_VERSION]: adminService({
              coffer, meta, masterKeys, startedAt, blobs: blobStore, collector, node,
              backups,
            }),
            [RAM_VERSION]: ramApi(ram),
          },
        }),
        opts.host, opts.kmsPort, opts.tls,
      );
      listeners.push(kmsListener);
      if (opts.consolePort !== undefined) {
        const consoleHandler = createConsoleHandler({
          target: { oss: oss.url, kms: kmsListener.url, region: opts.region },
          identify: async (id) => {
            const key = await credentials.lookup(id);
            return key?.active ? key.principal : null;
          },
          metrics, metricsToken: opts.metricsToken, logger, secure: !!opts.tls, sessionLimits: opts.consoleSessions, now: opts.now,
          persistence: { meta, rootKey: rootKey.key },
        });
        consoleListener = await listen(consoleHandler, opts.host, opts.consolePort, opts.tls);
        jobs.every('console-session-sweep', SESSION_SWEEP_MS, async () => {
          const n = await consoleHandler.sweepSessions();
          if (n) logger.log('info', 'removed expired console sessions', { sessions: n });
        });
        listeners.push(consoleListener);
      }
    } catch (err) {
      // e.g. a port in use: release what is already up before the store is closed below.
      await stop();
      throw err;
    }
    let closing: Promise<void> | null = null;
    return {
      endpoints: { oss: oss.url, kms: kmsListener.url, region: opts.region, console: consoleListener?.url },
      coffer,
      masterKeys,
      kms,
      metrics,
      rootCredentials,
      rootKey: { origin: rootKey.origin, generatedAt: rootKey.generatedAt },
      jobs,
      audit,
      close: () => {
        closing ??= stop().then(() => meta.close());
        return closing;
      },
    };
  } catch (err) {
    await blobs?.close().catch(() => undefined);
    await meta.close();
    throw err;
  }
}
