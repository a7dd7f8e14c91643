/** Starts a real Coffer server for a test: port 0, a fresh temp data dir, known root credentials. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/app';
import { createLogger } from '../../src/common/log';

// ali-oss ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const OSS = require('ali-oss');

export const ACCESS_KEY_ID = 'LTAItestrootkey0001';
export const ACCESS_KEY_SECRET = 'test-root-secret-0123456789abcdef';
export const ROOT_KEY = '11'.repeat(32);

export interface TestServer {
  url: string;
  /** host:port of the OSS listener. */
  host: string;
  port: number;
  /** The RPC-style API listener (admin API; KMS later), e.g. http://127.0.0.1:40123. */
  kmsUrl: string;
  /** The web console listener. */
  consoleUrl: string;
  region: string;
  dataDir: string;
  running: RunningServer;
  /** An ali-oss client on the IP endpoint (bucket only in the Host header, as ali-oss sends it). */
  client(options?: Record<string, unknown>): any;
  close(): Promise<void>;
}

/** An ali-oss client for a Coffer OSS endpoint (http://ip:port), signed with the test root key. */
export function ossClient(url: string, region: string, options: Record<string, unknown> = {}): any {
  return new OSS({
    endpoint: url,
    accessKeyId: ACCESS_KEY_ID,
    accessKeySecret: ACCESS_KEY_SECRET,
    region: `oss-${region}`,
    timeout: 120_000,
    ...options,
  });
}

/** The KMS audit trail as plain records (no seq), in order, as the admin API would export it. */
export async function auditRecords(srv: TestServer): Promise<Array<Record<string, string>>> {
  const entries = await srv.running.coffer.meta.listAudit({ limit: 1_000_000 });
  return entries.map(({ seq: _seq, ...rest }) => JSON.parse(JSON.stringify(rest)) as Record<string, string>);
}

export function tempDir(name = 'coffer-test-'): string {
  return mkdtempSync(path.join(os.tmpdir(), name));
}

export async function startTestServer(overrides: Partial<ServerOptions> = {}, keepDir = false): Promise<TestServer> {
  const dataDir = overrides.dataDir ?? tempDir();
  const running = await startServer({
    dataDir,
    host: '127.0.0.1',
    ossPort: 0,
    kmsPort: 0,
    consolePort: 0,
    region: 'cn-hangzhou',
    masterKeyRotationDays: 90,
    // One process serves the store, and its own leases protect what it reads and writes.
    blobGraceMs: 0,
    logLevel: 'error',
    logger: createLogger('error'),
    // As `coffer server` runs: bodies of 1 MiB and more are hashed on a thread.
    hashThreads: 1,
    env: { COFFER_ROOT_ACCESS_KEY_ID: ACCESS_KEY_ID, COFFER_ROOT_ACCESS_KEY_SECRET: ACCESS_KEY_SECRET, COFFER_ROOT_KEY: ROOT_KEY },
    ...overrides,
  });
  const url = running.endpoints.oss;
  const u = new URL(url);
  return {
    url,
    host: u.host,
    port: Number(u.port),
    kmsUrl: running.endpoints.kms,
    consoleUrl: running.endpoints.console!,
    region: running.endpoints.region,
    dataDir,
    running,
    client: (options = {}) => ossClient(url, running.endpoints.region, options),
    close: async () => {
      await running.close();
      if (!keepDir && !overrides.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
