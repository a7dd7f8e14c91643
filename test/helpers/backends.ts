/**
 * The real backing services of the cluster stores, as the tests find them: a PostgreSQL server
 * (COFFER_TEST_POSTGRES_URL, a superuser URL) and an S3-compatible store, Ceph's RADOS Gateway
 * (COFFER_TEST_S3_ENDPOINT with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY). `npm test` starts both
 * (scripts/with-services.sh); a test that needs one and does not find it fails, never skips.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

export function postgresUrl(): string {
  const url = process.env.COFFER_TEST_POSTGRES_URL;
  if (!url) throw new Error('COFFER_TEST_POSTGRES_URL is not set: run the tests with `npm test` (it starts PostgreSQL), or start one with `scripts/postgres.sh start DIR` and export the line it prints');
  return url;
}

export interface S3Service { endpoint: string; region: string; env: NodeJS.ProcessEnv }

export function s3Service(): S3Service {
  const endpoint = process.env.COFFER_TEST_S3_ENDPOINT;
  const id = process.env.AWS_ACCESS_KEY_ID;
  const secret = process.env.AWS_SECRET_ACCESS_KEY;
  if (!endpoint || !id || !secret) throw new Error('COFFER_TEST_S3_ENDPOINT / AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY are not set: run the tests with `npm test` (it starts Ceph RGW), or start it with `scripts/ceph-rgw.sh start DIR` and export the lines it prints');
  const region = process.env.AWS_REGION ?? 'us-east-1';
  return { endpoint, region, env: { AWS_ACCESS_KEY_ID: id, AWS_SECRET_ACCESS_KEY: secret, AWS_REGION: region } };
}

/** An s3:// URL for a bucket no other test uses (the blob store creates it). */
export function freshBlobsUrl(s3: S3Service = s3Service()): string {
  return `s3://coffer-t-${randomBytes(6).toString('hex')}?endpoint=${encodeURIComponent(s3.endpoint)}&region=${s3.region}`;
}

/** A new, empty database on the test server; drop() removes it (closing its connections first). */
export async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = postgresUrl();
  const name = `coffer_t_${randomBytes(6).toString('hex')}`;
  const client = new Client({ connectionString: admin });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new Client({ connectionString: admin });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
