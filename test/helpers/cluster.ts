/**
 * A Coffer cluster for a test: N `coffer server` processes (nodes) over one fresh PostgreSQL
 * database and one fresh bucket of the S3 store (Ceph RGW), each on its own ports, as an operator
 * runs them behind a load balancer.
 */
import { rmSync } from 'node:fs';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { freshBlobsUrl, freshDatabase, s3Service } from './backends';
import { spawnServer, type ServerProcess } from './process-server';
import { tempDir } from './server';

export interface Cluster {
  nodes: ServerProcess[];
  metadata: string;
  blobs: string;
  /** Starts node i again (after a kill) on the same stores. */
  restart(i: number): Promise<ServerProcess>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** Seconds a retired or unreferenced blob is kept (default 0: collected at once). */
  graceSeconds?: number;
  /** Worker processes per node (default 1). */
  workers?: number;
  args?: string[];
}

export async function startCluster(n: number, opts: ClusterOptions = {}): Promise<Cluster> {
  const s3 = s3Service();
  const db = await freshDatabase();
  const blobs = freshBlobsUrl(s3);
  const dirs: string[] = [];
  const start = (i: number): Promise<ServerProcess> => {
    const dataDir = tempDir(`coffer-node${i}-`);
    dirs.push(dataDir);
    return spawnServer({
      dataDir,
      env: s3.env,
      args: [
        '--metadata', db.url, '--blobs', blobs, '--node-name', `node${i}`,
        '--workers', String(opts.workers ?? 1), '--blob-grace-seconds', String(opts.graceSeconds ?? 0), ...(opts.args ?? []),
      ],
    });
  };
  // One node first: it migrates the schema and creates the root credentials the others then read.
  const nodes = [await start(0)];
  nodes.push(...(await Promise.all(Array.from({ length: n - 1 }, (_, i) => start(i + 1)))));
  return {
    nodes,
    metadata: db.url,
    blobs,
    restart: async (i) => (nodes[i] = await start(i)),
    stop: async () => {
      for (const node of nodes) node.kill('SIGKILL');
      await Promise.all(nodes.map((node) => node.exited));
      await db.drop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** The ids of every blob in the cluster's S3 bucket. */
export async function blobsInStore(c: Pick<Cluster, 'blobs'>): Promise<Set<string>> {
  const s3 = new S3Client({ endpoint: s3Service().endpoint, region: s3Service().region, forcePathStyle: true });
  const ids = new Set<string>();
  try {
    const bucket = new URL(c.blobs.replace(/^s3:/, 'http:')).host;
    let token: string | undefined;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }));
      for (const o of page.Contents ?? []) ids.add(o.Key!.split('/').pop()!);
      token = page.NextContinuationToken;
    } while (token);
  } finally {
    s3.destroy();
  }
  return ids;
}
