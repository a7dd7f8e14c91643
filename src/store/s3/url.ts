/**
 * `--blobs s3://BUCKET[/PREFIX]?endpoint=http://host:port&region=REGION[&forcePathStyle=true]`:
 * where an S3-compatible store (Ceph RGW, MinIO, AWS S3, …) keeps the blobs.
 */

export interface S3Location {
  bucket: string;
  /** Key prefix without slashes at either end; '' for none. */
  prefix: string;
  /** The S3 API's base URL; undefined for AWS S3 itself (the SDK derives it from the region). */
  endpoint?: string;
  region: string;
  /** http://endpoint/bucket/key rather than http://bucket.endpoint/key. */
  forcePathStyle: boolean;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const PARAMS = new Set(['endpoint', 'region', 'forcePathStyle']);

function fail(url: string, why: string): never {
  throw new Error(`invalid S3 blob store URL ${JSON.stringify(url)}: ${why}; expected ` +
    's3://BUCKET[/PREFIX]?endpoint=http://host:port&region=REGION[&forcePathStyle=true|false]');
}

/** Parses the URL; the region falls back to AWS_REGION / AWS_DEFAULT_REGION, then us-east-1. */
export function parseS3Url(url: string, env: NodeJS.ProcessEnv = {}): S3Location {
  if (!url.startsWith('s3://')) fail(url, 'it must start with s3://');
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    fail(url, 'it is not a URL');
  }
  if (u.username || u.password) fail(url, 'credentials do not belong in the URL (set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)');
  if (u.port) fail(url, 'the port belongs to the endpoint parameter, not to the bucket');
  const bucket = u.hostname;
  if (!bucket) fail(url, 'the bucket name is missing');
  if (!BUCKET.test(bucket) || bucket.includes('..')) {
    fail(url, `${JSON.stringify(bucket)} is not a valid bucket name (3-63 of a-z 0-9 . -, starting and ending with a letter or digit)`);
  }
  let prefix: string;
  try {
    prefix = decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, '');
  } catch {
    fail(url, 'the prefix is not valid percent-encoding');
  }
  if (prefix.split('/').some((s) => s === '' || s === '.' || s === '..') && prefix !== '') {
    fail(url, `the prefix ${JSON.stringify(prefix)} has an empty, . or .. segment`);
  }
  for (const key of u.searchParams.keys()) {
    if (!PARAMS.has(key)) fail(url, `unknown parameter ${JSON.stringify(key)} (known: ${[...PARAMS].join(', ')})`);
  }
  let endpoint = u.searchParams.get('endpoint') ?? undefined;
  if (endpoint !== undefined) {
    let e: URL;
    try {
      e = new URL(endpoint);
    } catch {
      fail(url, `endpoint ${JSON.stringify(endpoint)} is not a URL`);
    }
    if (e.protocol !== 'http:' && e.protocol !== 'https:') fail(url, `endpoint ${JSON.stringify(endpoint)} must be http:// or https://`);
    if ((e.pathname !== '/' && e.pathname !== '') || e.search || e.hash) {
      fail(url, `endpoint ${JSON.stringify(endpoint)} must be just scheme://host[:port]`);
    }
    endpoint = e.origin;
  }
  const region = u.searchParams.get('region') || env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1';
  const style = u.searchParams.get('forcePathStyle');
  if (style !== null && style !== 'true' && style !== 'false') fail(url, 'forcePathStyle must be true or false');
  // Path style by default with an endpoint: RGW and MinIO rarely have wildcard DNS for buckets.
  const forcePathStyle = style === null ? endpoint !== undefined : style === 'true';
  return { bucket, prefix, endpoint, region, forcePathStyle };
}
