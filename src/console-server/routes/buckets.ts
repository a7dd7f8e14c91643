/**
 * Buckets: list, create (ACL + default encryption), delete; the bucket encryption rule and policy; re-encryption
 * of existing objects; storage by bucket (GetBucketStat of each) for the Metrics page's chart.
 */
import { ApiError, oneOf, optStr, readJson, str } from '../http';
import type { BucketStorageView, BucketView } from '../contract';
import { choiceFromRule, parseChoice, ruleXml, sseHeaders, type EncryptionChoice } from '../encryption';
import type { Route, RouteContext } from '../router';
import { call, type OssBucketInfo, type OssClient } from '../upstream';

const ACLS = ['private', 'public-read', 'public-read-write'] as const;
/** GetBucketInfo calls in flight at once while listing. */
const INFO_CONCURRENCY = 8;
/** Objects copied per re-encryption batch: one batch is one request from the page, which shows progress between them. */
const REENCRYPT_BATCH = 20;
/** Objects counted before re-encryption at most; beyond it the page shows progress against this bound. */
const COUNT_LIMIT = 100_000;


const view = (b: OssBucketInfo): BucketView => ({
  name: b.Name,
  region: b.Location,
  createdAt: b.CreationDate,
  storageClass: b.StorageClass,
  acl: b.AccessControlList.Grant,
  encryption: choiceFromRule(b.ServerSideEncryptionRule),
});

/** Runs fn over items with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

const bucketOf = (c: RouteContext): OssClient => c.session.upstream.oss(c.params.bucket);

/** A bucket's rule; none when the bucket has no rule (NoSuchServerSideEncryptionRule). */
async function currentRule(oss: OssClient, bucket: string): Promise<EncryptionChoice> {
  try {
    return choiceFromRule((await call('oss', () => oss.getBucketEncryption(bucket))).encryption);
  } catch (err) {
    if (err instanceof ApiError && err.code === 'NoSuchServerSideEncryptionRule') return choiceFromRule(undefined);
    throw err;
  }
}

/**
 * A bucket's policy document as stored, or null when it has none. Raw rather than ali-oss's
 * getBucketPolicy, which parses the text (the editor shows what was saved) and answers a 404 as success.
 */
async function currentPolicy(oss: OssClient, bucket: string): Promise<string | null> {
  try {
    const params = oss._bucketRequestParams('GET', bucket, 'policy');
    return (await call('oss', () => oss.request({ ...params, successStatuses: [200] }) as Promise<{ res: { data: Buffer } }>)).res.data.toString('utf8');
  } catch (err) {
    if (err instanceof ApiError && err.code === 'NoSuchBucketPolicy') return null;
    throw err;
  }
}

/** A bucket's GetBucketStat, or the error it was refused with (shown in its place). */
async function storageOf(oss: OssClient, name: string): Promise<BucketStorageView | { name: string; error: Record<string, unknown> }> {
  try {
    const s = (await call('oss', () => oss.getBucketStat(name))).stat;
    return {
      name,
      objects: Number(s.ObjectCount),
      bytes: Number(s.Storage),
      multipartUploads: Number(s.MultipartUploadCount),
      lastModified: Number(s.LastModifiedTime) > 0 ? new Date(Number(s.LastModifiedTime) * 1000).toISOString() : '',
    };
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    return { name, error: { source: err.source, code: err.code, message: err.message, requestId: err.requestId } };
  }
}

export const bucketRoutes: Route[] = [
  {
    method: 'GET', path: '/api/storage',
    // Storage by bucket: one page of up to 1000 buckets, each with its GetBucketStat (counters kept by the server, no scan).
    handle: async (c) => {
      const oss = c.session.upstream.oss();
      const list = await call('oss', () => oss.listBuckets({ 'max-keys': 1000 }));
      const buckets = await mapLimit(list.buckets ?? [], INFO_CONCURRENCY, (b) => storageOf(oss, b.name));
      return { buckets, truncated: list.isTruncated };
    },
  },
  {
    method: 'GET', path: '/api/buckets',
    // One page of up to 1000 buckets, each with its GetBucketInfo; a bucket whose info is refused shows the error in its row.
    handle: async (c) => {
      const oss = c.session.upstream.oss();
      const list = await call('oss', () => oss.listBuckets({ 'max-keys': 1000 }));
      const buckets = await mapLimit(list.buckets ?? [], INFO_CONCURRENCY, async (b) => {
        try {
          return view((await call('oss', () => oss.getBucketInfo(b.name))).bucket);
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          return { name: b.name, error: { source: err.source, code: err.code, message: err.message, requestId: err.requestId } };
        }
      });
      return { buckets, truncated: list.isTruncated };
    },
  },
  {
    method: 'POST', path: '/api/buckets',
    // The default encryption goes on the PutBucket request itself, so the bucket never exists without it.
    handle: async (c) => {
      const body = await readJson(c.req);
      const name = str(body, 'name');
      const acl = oneOf(body, 'acl', ACLS);
      const encryption = parseChoice((body.encryption ?? {}) as Record<string, unknown>);
      await call('oss', () => c.session.upstream.oss().putBucket(name, { acl, headers: sseHeaders(encryption) }));
      return { name };
    },
  },
  {
    method: 'GET', path: '/api/buckets/:bucket',
    handle: async (c) => view((await call('oss', () => c.session.upstream.oss().getBucketInfo(c.params.bucket))).bucket),
  },
  {
    method: 'DELETE', path: '/api/buckets/:bucket',
    handle: async (c) => {
      await call('oss', () => c.session.upstream.oss().deleteBucket(c.params.bucket));
      return {};
    },
  },
  {
    method: 'GET', path: '/api/buckets/:bucket/encryption',
    handle: async (c) => ({ rule: await currentRule(bucketOf(c), c.params.bucket) }),
  },
  {
    method: 'PUT', path: '/api/buckets/:bucket/encryption',
    // Method None removes the rule, as the OSS console's "None" does.
    handle: async (c) => {
      const rule = parseChoice(await readJson(c.req));
      const oss = bucketOf(c);
      if (rule.method === 'None') {
        await call('oss', () => oss.deleteBucketEncryption(c.params.bucket));
      } else {
        const params = oss._bucketRequestParams('PUT', c.params.bucket, 'encryption');
        await call('oss', () => oss.request({ ...params, mime: 'xml', content: ruleXml(rule), successStatuses: [200] }));
      }
      return { rule: await currentRule(oss, c.params.bucket) };
    },
  },
  {
    method: 'DELETE', path: '/api/buckets/:bucket/encryption',
    handle: async (c) => {
      await call('oss', () => bucketOf(c).deleteBucketEncryption(c.params.bucket));
      return {};
    },
  },
  {
    method: 'GET', path: '/api/buckets/:bucket/policy',
    handle: async (c) => ({ policy: await currentPolicy(bucketOf(c), c.params.bucket) }),
  },
  {
    method: 'PUT', path: '/api/buckets/:bucket/policy',
    // The text goes as written: the server checks it and keeps it verbatim (GetBucketPolicy answers it).
    handle: async (c) => {
      const policy = str(await readJson(c.req), 'policy');
      const oss = bucketOf(c);
      const params = oss._bucketRequestParams('PUT', c.params.bucket, 'policy');
      await call('oss', () => oss.request({ ...params, content: policy, successStatuses: [200] }));
      return { policy: await currentPolicy(oss, c.params.bucket) };
    },
  },
  {
    method: 'DELETE', path: '/api/buckets/:bucket/policy',
    handle: async (c) => {
      await call('oss', () => bucketOf(c).deleteBucketPolicy(c.params.bucket));
      return {};
    },
  },
  {
    method: 'GET', path: '/api/buckets/:bucket/count',
    // How many objects a re-encryption under the prefix will visit, for its progress bar.
    handle: async (c) => {
      const oss = bucketOf(c);
      const prefix = c.query.get('prefix') ?? '';
      let count = 0;
      let token: string | null = null;
      do {
        const page: Awaited<ReturnType<OssClient['listV2']>> = await call('oss', () => oss.listV2({
          prefix, 'max-keys': 1000, ...(token ? { 'continuation-token': token } : {}),
        }));
        count += page.objects.length;
        token = page.isTruncated ? page.nextContinuationToken : null;
      } while (token && count < COUNT_LIMIT);
      return { count, capped: token !== null };
    },
  },
  {
    method: 'POST', path: '/api/buckets/:bucket/reencrypt',
    // One batch: copies each object onto itself with the chosen SSE headers (CopyObject keeps its
    // metadata; an encryption change re-seals or re-encrypts it). The page sends the returned
    // token back for the next batch until there is none.
    handle: async (c) => {
      const body = await readJson(c.req);
      const prefix = optStr(body, 'prefix') ?? '';
      const token = optStr(body, 'continuationToken');
      const headers = sseHeaders(parseChoice((body.encryption ?? {}) as Record<string, unknown>));
      const oss = bucketOf(c);
      const page = await call('oss', () => oss.listV2({ prefix, 'max-keys': REENCRYPT_BATCH, ...(token ? { 'continuation-token': token } : {}) }));
      const failed: { key: string; code: string; message: string }[] = [];
      for (const o of page.objects) {
        try {
          await call('oss', () => oss.copy(o.name, o.name, { headers }));
        } catch (err) {
          if (!(err instanceof ApiError)) throw err;
          failed.push({ key: o.name, code: err.code, message: err.message });
        }
      }
      return { processed: page.objects.length, failed, continuationToken: page.isTruncated ? page.nextContinuationToken : null };
    },
  },
];
