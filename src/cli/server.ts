/**
 * `coffer server`: runs the object store until SIGTERM/SIGINT, then drains and exits.
 * With --workers N (N > 1) this process becomes the primary of N worker processes (node:cluster)
 * over the same store: it prepares the store once, forks the workers (they share the listening
 * sockets, so port 0 gives all of them the same port), prints the endpoints and writes the ready
 * file once every worker listens, replaces a worker that dies, and stops them all on SIGTERM.
 */
import cluster from 'node:cluster';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { growHeapForLargeBodies } from '../common/heap';
import { LEVELS, LOG_FORMATS, type Level, type LogFormat } from '../common/log';
import type { Endpoints, ServerOptions } from '../server/app';
import { ROOT_CREDENTIALS_FILE, type RootCredentials } from '../iam/root-credentials';
import { checkPublicEndpoint } from '../oss/endpoint';
import { renderClusterMetrics, serveClusterMetrics } from '../server/cluster-metrics';

interface ServerFlags {
  dataDir: string;
  metadata?: string;
  blobs?: string;
  workers: string;
  hashThreads?: string;
  nodeName?: string;
  blobGraceSeconds: string;
  restoreDelaySeconds: string;
  daySeconds: string;
  lifecycleIntervalSeconds: string;
  host: string;
  ossPort: string;
  kmsPort: string;
  consolePort: string;
  region: string;
  domain?: string;
  publicEndpoint?: string;
  readyFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  allowSseCOverHttp?: boolean;
  rootKeyFile?: string;
  masterKeyRotationDays: string;
  logLevel: Level;
  logFormat: LogFormat;
  metricsToken?: string;
  metricsKeyIds?: boolean;
}

/** A worker tells the primary it listens. */
interface ReadyMessage { coffer: 'ready'; endpoints: Endpoints }

/** A worker that dies this soon after its start is not restarted in a loop. */
const MIN_WORKER_LIFE_MS = 2_000;

function port(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${flag} must be a port number (0 picks a free one)`);
  return n;
}

/** --metrics-token, else COFFER_METRICS_TOKEN: printable ASCII without spaces, as a bearer token travels. */
function metricsToken(flags: ServerFlags): string | undefined {
  const token = flags.metricsToken ?? (process.env.COFFER_METRICS_TOKEN || undefined);
  if (token !== undefined && !/^[\x21-\x7e]{1,1024}$/.test(token)) {
    throw new Error('--metrics-token (or COFFER_METRICS_TOKEN) must be 1 to 1024 printable ASCII characters without spaces');
  }
  return token;
}

function options(flags: ServerFlags): ServerOptions {
  if (!!flags.tlsCert !== !!flags.tlsKey) throw new Error('--tls-cert and --tls-key go together');
  if (!LEVELS.includes(flags.logLevel)) throw new Error(`--log-level must be one of ${LEVELS.join(', ')}`);
  if (!LOG_FORMATS.includes(flags.logFormat)) throw new Error(`--log-format must be one of ${LOG_FORMATS.join(', ')}`);
  const rotationDays = Number(flags.masterKeyRotationDays);
  if (!(rotationDays > 0)) throw new Error('--master-key-rotation-days must be a positive number');
  const grace = Number(flags.blobGraceSeconds);
  if (!Number.isFinite(grace) || grace < 0) throw new Error('--blob-grace-seconds must be a number of seconds, 0 or more');
  const restoreDelay = Number(flags.restoreDelaySeconds);
  if (!/^\d+(\.\d+)?$/.test(flags.restoreDelaySeconds) || !Number.isFinite(restoreDelay)) throw new Error('--restore-delay-seconds must be a number of seconds, 0 or more');
  const daySeconds = Number(flags.daySeconds);
  if (!/^\d+(\.\d+)?$/.test(flags.daySeconds) || !(daySeconds > 0)) throw new Error('--day-seconds must be a positive number of seconds');
  const lifecycleInterval = Number(flags.lifecycleIntervalSeconds);
  if (!(lifecycleInterval > 0) || !Number.isFinite(lifecycleInterval)) throw new Error('--lifecycle-interval-seconds must be a positive number of seconds');
  return {
    dataDir: path.resolve(flags.dataDir),
    metadata: flags.metadata,
    blobs: flags.blobs,
    nodeName: flags.nodeName,
    blobGraceMs: grace * 1000,
    restoreDelayMs: restoreDelay * 1000,
    dayMs: daySeconds * 1000,
    lifecycleIntervalMs: lifecycleInterval * 1000,
    host: flags.host,
    ossPort: port(flags.ossPort, '--oss-port'),
    kmsPort: port(flags.kmsPort, '--kms-port'),
    consolePort: port(flags.consolePort, '--console-port'),
    region: flags.region,
    domain: flags.domain,
    publicEndpoint: flags.publicEndpoint === undefined ? undefined : checkPublicEndpoint(flags.publicEndpoint),
    tls: flags.tlsCert ? { cert: flags.tlsCert, key: flags.tlsKey! } : undefined,
    allowSseCOverHttp: flags.allowSseCOverHttp ?? false,
    rootKeyFile: flags.rootKeyFile,
    masterKeyRotationDays: rotationDays,
    logLevel: flags.logLevel,
    logFormat: flags.logFormat,
    metricsToken: metricsToken(flags),
    metricsKeyIds: flags.metricsKeyIds ?? false,
    hashThreads: hashThreads(flags),
    env: process.env,
  };
}

/** --hash-threads, else what the cores leave beside one event loop per worker process. */
function hashThreads(flags: ServerFlags): number {
  if (flags.hashThreads === undefined) {
    return Math.max(1, Math.min(4, Math.floor(os.availableParallelism() / workerCount(flags.workers)) - 1));
  }
  const n = Number(flags.hashThreads);
  if (!/^\d+$/.test(flags.hashThreads) || n > 64) throw new Error('--hash-threads must be a whole number from 0 to 64');
  return n;
}

function workerCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error('--workers must be a whole number from 1 to 256');
  return n;
}

function banner(endpoints: Endpoints, account: string, creds: RootCredentials, rootKey: { origin: string; generatedAt?: string }, flags: ServerFlags, workers: number): string {
  const lines = [
    'Coffer is ready.',
    `  OSS endpoint     ${endpoints.oss}`,
    `  KMS endpoint     ${endpoints.kms}   (KMS API 2016-01-20; Coffer admin API)`,
    `  Console          ${endpoints.console}   (log in with an access key pair; /metrics)`,
    `  Region           ${endpoints.region}`,
    `  Account id       ${account}`,
    `  AccessKeyId      ${creds.accessKeyId}`,
  ];
  if (creds.origin === 'generated') {
    lines.push(`  AccessKeySecret  ${creds.secret}`);
    lines.push(flags.metadata
      ? '  (generated now and stored, sealed, in the metadata store; it is not printed again)'
      : `  (generated now and stored in ${path.join(path.resolve(flags.dataDir), ROOT_CREDENTIALS_FILE)}; it is not printed again)`);
  } else if (creds.origin === 'data-dir') {
    lines.push(`  AccessKeySecret  in ${path.join(path.resolve(flags.dataDir), ROOT_CREDENTIALS_FILE)}`);
  } else if (creds.origin === 'store') {
    lines.push('  AccessKeySecret  as printed when this store was created (or set COFFER_ROOT_ACCESS_KEY_SECRET)');
  } else {
    lines.push('  AccessKeySecret  from COFFER_ROOT_ACCESS_KEY_SECRET');
  }
  if (workers > 1) lines.push(`  Workers          ${workers} processes`);
  // The secret goes into the line only when it was just generated (and so is printed above anyway).
  const secretFlag = creds.origin === 'generated' ? ` --access-key-secret ${creds.secret}` : '';
  lines.push('', 'Point the coffer CLI at this server (writes ~/.coffer/config, mode 0600):',
    `  coffer config --endpoint ${endpoints.oss} --kms-endpoint ${endpoints.kms} --region ${endpoints.region} --access-key-id ${creds.accessKeyId}${secretFlag}`);
  if (!secretFlag) lines.push('  (add --access-key-secret, or set OSS_ACCESS_KEY_SECRET)');
  if (rootKey.origin === 'generated') {
    lines.push('', `WARNING: generated a root key in ${rootKey.generatedAt}. Everything encrypted here depends on it:`,
      'keep a copy somewhere else and pass it with COFFER_ROOT_KEY or --root-key-file.');
  }
  return lines.join('\n') + '\n';
}

async function writeReady(file: string | undefined, endpoints: Endpoints): Promise<void> {
  if (!file) return;
  await fs.writeFile(file, JSON.stringify({ oss: endpoints.oss, kms: endpoints.kms, console: endpoints.console, region: endpoints.region }) + '\n');
}

// Loaded lazily: the client commands start faster without the server's modules.
const app = (): typeof import('../server/app') => require('../server/app');

/** One process serving everything (--workers 1), or one worker of a primary. */
async function serve(flags: ServerFlags, workers: number): Promise<void> {
  growHeapForLargeBodies();
  const server = await app().startServer(options(flags));
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    if (!cluster.isWorker) process.stdout.write(`${signal}: draining in-flight requests…\n`);
    server.close().then(() => process.exit(0), (err) => {
      process.stderr.write(`coffer: shutdown failed: ${err}\n`);
      process.exit(1);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  if (cluster.isWorker) {
    renderClusterMetrics(server.metrics);
    // A primary that died (even by SIGKILL) must not leave its workers serving on their own.
    process.once('disconnect', () => stop('primary gone'));
    process.send!({ coffer: 'ready', endpoints: server.endpoints } satisfies ReadyMessage);
    return;
  }
  process.stdout.write(banner(server.endpoints, server.coffer.accountId, server.rootCredentials, server.rootKey, flags, workers));
  await writeReady(flags.readyFile, server.endpoints);
}

async function primary(flags: ServerFlags, workers: number): Promise<void> {
  const opts = options(flags);
  const prepared = await app().prepareStore(opts);
  await prepared.meta.close();
  let stopping = false;
  let announced = false;
  const ready = new Map<number, Endpoints>();
  const started = new Map<number, number>();
  const fork = (): void => {
    const w = cluster.fork();
    started.set(w.id, Date.now());
    w.on('message', (m: ReadyMessage) => {
      if (m?.coffer !== 'ready') return;
      ready.set(w.id, m.endpoints);
      if (!announced && ready.size === workers) {
        announced = true;
        const endpoints = m.endpoints;
        process.stdout.write(banner(endpoints, prepared.accountId, prepared.rootCredentials, prepared.rootKey, flags, workers));
        writeReady(flags.readyFile, endpoints).catch((err) => process.stderr.write(`coffer: cannot write the ready file: ${err}\n`));
      }
    });
  };
  cluster.on('exit', (w, code, signal) => {
    ready.delete(w.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    const lived = Date.now() - (started.get(w.id) ?? 0);
    process.stderr.write(`coffer: worker ${w.process.pid} exited (${signal ?? `code ${code}`})${lived < MIN_WORKER_LIFE_MS && !announced ? '' : '; starting another'}\n`);
    // A worker failing at start (a port in use, a bad flag) would fail again: give up instead.
    if (!announced && lived < MIN_WORKER_LIFE_MS) {
      stopAll('a worker failed to start');
      process.exitCode = 1;
      return;
    }
    fork();
  });
  const stopAll = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: draining in-flight requests…\n`);
    const live = Object.values(cluster.workers ?? {});
    if (live.length === 0) process.exit(process.exitCode ?? 0);
    for (const w of live) w?.process.kill('SIGTERM');
  };
  process.once('SIGTERM', () => stopAll('SIGTERM'));
  process.once('SIGINT', () => stopAll('SIGINT'));
  serveClusterMetrics();
  for (let i = 0; i < workers; i++) fork();
}

export function registerServer(program: Command): void {
  program
    .command('server')
    .description('run the Coffer server (the OSS, KMS and console listeners) on the embedded store or a cluster\'s stores')
    .option('--data-dir <dir>', 'data directory of the embedded store (SQLite + blob files, generated root key and credentials)', './data')
    .option('--metadata <url>', 'metadata store: postgres://user:password@host:port/db (PostgreSQL 15+); default: SQLite in --data-dir')
    .option('--blobs <url>', 'blob store: s3://bucket[/prefix]?endpoint=http://host:port&region=REGION (credentials from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY); default: files in --data-dir')
    .option('--workers <n>', 'server processes sharing the store and the ports (default: one per CPU core)', String(os.availableParallelism()))
    .option('--hash-threads <n>', 'threads per process that hash large bodies (MD5, CRC-64) off the event loop; 0: hash on it (default: the cores --workers leaves, 1 to 4)')
    .option('--node-name <name>', 'this node\'s name in metrics, logs, leases and the audit trail', os.hostname())
    .option('--blob-grace-seconds <s>', 'keep retired and unreferenced blobs this long before collecting them; must exceed the longest request', '3600')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--oss-port <port>', 'OSS API port (0 = any free port)', '9000')
    .option('--kms-port <port>', 'KMS API port, also serving the Coffer admin API (0 = any free port)', '9002')
    .option('--console-port <port>', 'web console port (0 = any free port)', '9001')
    .option('--region <region>', 'region reported in locations and required in OSS V4 signatures (S3 clients may sign for any region)', 'cn-hangzhou')
    .option('--domain <domain>', 'base domain for virtual-hosted-style requests (<bucket>.<domain>)')
    .option('--public-endpoint <host[:port]>', 'the endpoint reported to clients as ExtranetEndpoint/IntranetEndpoint (ListBuckets, GetBucketInfo) and in CompleteMultipartUpload\'s Location; default: the address each request came in on')
    .option('--ready-file <file>', 'write the endpoints as JSON to this file once every listener (of every worker) is up')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'private key for --tls-cert (PEM)')
    .option('--allow-sse-c-over-http', 'accept S3 SSE-C customer keys over plain HTTP (local tests only; without it they need HTTPS)')
    .option('--root-key-file <file>', 'root key (64 hex chars); default: COFFER_ROOT_KEY, else <data-dir>/root.key (embedded store only)')
    .option('--restore-delay-seconds <s>', 'how long RestoreObject takes before an Archive, ColdArchive or DeepColdArchive object can be read (OSS: minutes to hours)', '3')
    .option('--day-seconds <s>', 'how long "a day" is wherever the API counts in days: lifecycle rules (Days, NoncurrentDays; one lifecycle pass per day), WORM retention periods (and the day an unlocked WORM configuration lasts), restored copies\' lifetime; shorten it only to test', '86400')
    .option('--lifecycle-interval-seconds <s>', 'how often a step of the lifecycle pass runs (each handles up to 1000 versions or uploads)', '10')
    .option('--master-key-rotation-days <days>', 'rotate the SSE-OSS master key after this many days', '90')
    .option('--log-level <level>', 'debug | info | warn | error (each request\'s access line is at info)', 'info')
    .option('--log-format <format>', 'json (one JSON object per line) | pretty (a compact line for people)', 'json')
    .option('--metrics-token <token>', 'require Authorization: Bearer <token> on the console port\'s /metrics (default: COFFER_METRICS_TOKEN; unset: /metrics is open)')
    .option('--metrics-key-ids', 'label coffer_kms_calls_total with KMS key ids (off: key ids never appear in /metrics)')
    .addHelpText('after', [
      '',
      'Examples:',
      '  coffer server --data-dir ./data --oss-port 9000 --ready-file /tmp/coffer.json',
      '  coffer server --workers 4',
      '  COFFER_METRICS_TOKEN=s3cr3t-scrape-token coffer server --log-format pretty --log-level warn',
      '  COFFER_ROOT_KEY=… AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… coffer server --host 0.0.0.0 \\',
      '    --metadata postgres://coffer:secret@db:5432/coffer --blobs \'s3://coffer-blobs?endpoint=http://rgw:7480&region=us-east-1\'',
    ].join('\n'))
    .action(async (flags: ServerFlags) => {
      const workers = workerCount(flags.workers);
      options(flags); // flag errors are reported once, by the primary, before anything starts
      if (workers > 1 && cluster.isPrimary) await primary(flags, workers);
      else await serve(flags, workers);
    });
}
