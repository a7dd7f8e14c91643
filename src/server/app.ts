/**
 * Starts Coffer: opens the data directory, checks the root key, wires the core, and brings up
 * the listeners. Used by `coffer server` and by the integration tests (port 0, temp data dir).
 */
import { randomInt } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { ADMIN_VERSION, adminService } from '../admin/service';
import { createConsoleHandler, type SessionLimits } from '../console-server';
import { BlobCollector } from '../core/blob-collector';
import type { Coffer } from '../core/coffer';
import { Encryption, OssKeyProvider } from '../core/encryption';
import { KmsKeyProvider } from '../core/sse-kms';
import { MasterKeys } from '../core/keys/master-keys';
import { verifyRootKey } from '../core/keys/root-key-check';
import { GENERATED_ROOT_KEY_FILE, loadRootKey, type LoadedRootKey } from '../crypto/root-key';
import { CredentialStore } from '../iam/credentials';
import { ramApi, RAM_VERSION } from '../iam/ram/api';
import { RamStore } from '../iam/ram/store';
import { loadRootCredentials, type RootCredentials } from '../iam/root-credentials';
import { KmsAccounting } from '../kms/accounting';
import { kmsApi, KMS_VERSION } from '../kms/api';
import { KmsService } from '../kms/service';
import { createOssHandler } from '../oss/handler';
import { createRpcHandler } from '../rpc';
import { FsBlobStore } from '../store/fs/blob-store';
import { SqliteMetadataStore } from '../store/sqlite/metadata-store';
import { listen, type Listener, type TlsFiles } from './listener';
import { createLogger, type Level, type Logger } from './log';
import { Metrics } from './metrics';

/** The KMS audit log: one JSON line per key use or key change. */
export const AUDIT_LOG_FILE = 'kms-audit.log';

export interface ServerOptions {
  dataDir: string;
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
  tls?: TlsFiles;
  rootKeyFile?: string;
  masterKeyRotationDays: number;
  logLevel: Level;
  env: NodeJS.ProcessEnv;
  logger?: Logger;
  /** The KMS's and the console sessions' clock (Unix ms): tests advance it to pass deletion windows, rotation dates, session expiry. */
  now?: () => number;
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
  /** Drains in-flight requests, then closes the stores. */
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;
/** How often deletion windows, expired imported material and due KMS rotations are swept. */
const KMS_SWEEP_MS = 60_000;

async function accountId(meta: SqliteMetadataStore): Promise<string> {
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

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const startedAt = Date.now();
  const logger = opts.logger ?? createLogger(opts.logLevel);
  await fs.mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const dbFile = path.join(opts.dataDir, 'meta.db');
  const existed = await fs.stat(dbFile).then(() => true, () => false);
  const meta = SqliteMetadataStore.open(dbFile);
  try {
    const initialized = (await meta.getSetting('root-key-check')) !== null;
    if (initialized && !opts.env.COFFER_ROOT_KEY && !opts.rootKeyFile) {
      const present = await fs.stat(path.join(opts.dataDir, GENERATED_ROOT_KEY_FILE)).then(() => true, () => false);
      if (!present) throw new Error('this data directory is encrypted under a root key that was not supplied; set COFFER_ROOT_KEY or --root-key-file. Nothing was written.');
    }
    const rootKey = await loadRootKey({ env: opts.env.COFFER_ROOT_KEY, file: opts.rootKeyFile, dataDir: opts.dataDir });
    if (rootKey.origin === 'generated' && existed && initialized) throw new Error('unreachable: root key generated for an initialized store');
    await verifyRootKey(meta, rootKey.key);

    const rootCredentials = await loadRootCredentials(opts.dataDir, opts.env);
    const account = await accountId(meta);
    const blobs = await FsBlobStore.open(opts.dataDir);
    const collector = new BlobCollector(meta, blobs);
    const collected = await collector.collectOrphans();
    if (collected.orphans) logger.log('info', 'collected leftovers of interrupted writes', collected);
    collector.start();

    const masterKeys = new MasterKeys(meta, rootKey.key);
    const rotate = (): void => {
      masterKeys.rotateIfOlderThan(opts.masterKeyRotationDays).then((v) => {
        if (v !== null) logger.log('info', 'rotated the SSE-OSS master key on schedule', { version: v });
      }, (err) => logger.log('error', 'scheduled master key rotation failed', { error: String(err) }));
    };
    rotate();
    const rotation = setInterval(rotate, Math.min(DAY_MS, opts.masterKeyRotationDays * DAY_MS) / 4);
    rotation.unref();

    const metrics = new Metrics();
    const accounting = new KmsAccounting(metrics, path.join(opts.dataDir, AUDIT_LOG_FILE));
    const kms = new KmsService({ meta, rootKey: rootKey.key, region: opts.region, accountId: account, now: opts.now });
    const sweepKms = (): void => {
      Promise.all([kms.purgeExpiredKeys(), kms.rotateDueKeys()]).then(([purged, rotated]) => {
        if (purged || rotated) logger.log('info', 'KMS housekeeping', { destroyedKeys: purged, rotatedKeys: rotated });
      }, (err) => logger.log('error', 'KMS housekeeping failed', { error: String(err) }));
    };
    const kmsSweep = setInterval(sweepKms, KMS_SWEEP_MS);
    kmsSweep.unref();

    const coffer: Coffer = {
      meta, blobs, collector, region: opts.region, accountId: account,
      encryption: new Encryption(new OssKeyProvider(masterKeys), new KmsKeyProvider(kms, accounting)),
    };
    const ram = new RamStore(meta, rootKey.key, account);
    const credentials = new CredentialStore(account, rootCredentials, ram);
    ram.onChange(() => credentials.invalidate());
    const listeners: Listener[] = [];
    const stop = async (): Promise<void> => {
      clearInterval(rotation);
      clearInterval(kmsSweep);
      await Promise.all(listeners.map((l) => l.drain()));
      await collector.stop();
      await blobs.close();
      accounting.close();
    };
    let oss: Listener;
    let kmsListener: Listener;
    let consoleListener: Listener | undefined;
    try {
      oss = await listen(
        createOssHandler({ coffer, credentials, logger, domain: opts.domain, metrics }),
        opts.host, opts.ossPort, opts.tls,
      );
      listeners.push(oss);
      kmsListener = await listen(
        createRpcHandler({
          credentials,
          logger,
          metrics,
          services: {
            [KMS_VERSION]: kmsApi(kms, accounting),
            [ADMIN_VERSION]: adminService({ meta, masterKeys, startedAt }),
            [RAM_VERSION]: ramApi(ram),
          },
        }),
        opts.host, opts.kmsPort, opts.tls,
      );
      listeners.push(kmsListener);
      if (opts.consolePort !== undefined) {
        consoleListener = await listen(createConsoleHandler({
          target: { oss: oss.url, kms: kmsListener.url, region: opts.region },
          identify: async (id) => {
            const key = await credentials.lookup(id);
            return key?.active ? key.principal : null;
          },
          metrics, logger, secure: !!opts.tls, sessionLimits: opts.consoleSessions, now: opts.now,
          persistence: { meta, rootKey: rootKey.key },
        }), opts.host, opts.consolePort, opts.tls);
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
      close: () => {
        closing ??= stop().then(() => meta.close());
        return closing;
      },
    };
  } catch (err) {
    await meta.close();
    throw err;
  }
}
