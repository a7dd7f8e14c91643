/**
 * Objects: list by prefix, detail (what `ossutil stat` shows), its versions, download (of a
 * version too) and upload streamed through (a single PUT, or multipart: the page slices the file
 * and sends each part), delete (of one version, for good, with versionId).
 */
import { finished, pipeline } from 'node:stream/promises';
import { ApiError, badRequest, readJson, str } from '../http';
import { choiceFromHeaders, parseChoice, sseHeaders } from '../encryption';
import type { Route, RouteContext } from '../router';
import { call, getObjectStream, type OssClient } from '../upstream';

/** OSS's limit for one PUT or one part. */
const MAX_UPLOAD_BYTES = 5 * 1024 ** 3;
const MAX_PART_NUMBER = 10_000;

const oss = (c: RouteContext): OssClient => c.session.upstream.oss(c.params.bucket);

function key(c: RouteContext): string {
  const k = c.query.get('key');
  if (!k) throw badRequest('key is required.');
  return k;
}

/** The versionId query parameter: which version a download or delete means (absent: the current object). */
const versionOf = (c: RouteContext): { versionId?: string } => {
  const v = c.query.get('versionId');
  return v ? { versionId: v } : {};
};

/** A streamed body's size: Content-Length is required, so the API call can declare it. */
function bodySize(c: RouteContext): number {
  const n = Number(c.req.headers['content-length']);
  if (c.req.headers['content-length'] === undefined || !Number.isSafeInteger(n) || n < 0) {
    throw new ApiError(411, 'MissingContentLength', 'Uploads must declare Content-Length.');
  }
  if (n > MAX_UPLOAD_BYTES) throw new ApiError(413, 'EntityTooLarge', 'One upload request carries at most 5 GiB; larger files go in parts.');
  return n;
}

/** The file's type as the browser reported it; absent lets the OSS side default it. */
function contentType(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

export const objectRoutes: Route[] = [
  {
    method: 'GET', path: '/api/buckets/:bucket/objects',
    // One page of ListObjectsV2 with delimiter "/": folders (common prefixes) and objects.
    handle: async (c) => {
      const max = Number(c.query.get('max') ?? 100);
      if (!Number.isInteger(max) || max < 1 || max > 1000) throw badRequest('max must be an integer from 1 to 1000.');
      const token = c.query.get('token');
      const page = await call('oss', () => oss(c).listV2({
        prefix: c.query.get('prefix') ?? '', delimiter: '/', 'max-keys': max, ...(token ? { 'continuation-token': token } : {}),
      }));
      return {
        prefixes: page.prefixes ?? [],
        objects: page.objects.map((o) => ({ key: o.name, size: o.size, lastModified: o.lastModified, etag: o.etag, type: o.type, storageClass: o.storageClass })),
        nextToken: page.isTruncated ? page.nextContinuationToken : null,
      };
    },
  },
  {
    method: 'GET', path: '/api/buckets/:bucket/object',
    handle: async (c) => {
      const k = key(c);
      const client = oss(c);
      const [head, acl] = await Promise.all([call('oss', () => client.head(k)), call('oss', () => client.getACL(k))]);
      const h = head.res.headers;
      const meta: Record<string, string> = {};
      for (const [name, value] of Object.entries(h)) if (name.startsWith('x-oss-meta-')) meta[name.slice('x-oss-meta-'.length)] = value;
      return {
        key: k,
        size: Number(h['content-length']),
        etag: h.etag,
        crc64: h['x-oss-hash-crc64ecma'],
        contentMd5: h['content-md5'],
        contentType: h['content-type'],
        lastModified: h['last-modified'],
        objectType: h['x-oss-object-type'],
        storageClass: h['x-oss-storage-class'],
        acl: acl.acl,
        meta,
        encryption: choiceFromHeaders(h),
      };
    },
  },
  {
    method: 'GET', path: '/api/buckets/:bucket/object/versions',
    // Every version and delete marker of one key, newest first (ListObjectVersions with the key as
    // prefix, keeping that key only); ali-oss gives the markers apart, so a key none of whose
    // versions is the latest has its newest marker as the latest.
    handle: async (c) => {
      const k = key(c);
      const versions: Array<Record<string, unknown>> = [];
      const markers: Array<Record<string, unknown>> = [];
      let marker: Record<string, string> | null = {};
      while (marker) {
        const page: Awaited<ReturnType<OssClient['getBucketVersions']>> = await call('oss', () => oss(c).getBucketVersions({ prefix: k, maxKeys: 1000, ...marker }));
        for (const v of page.objects) {
          if (v.name === k) versions.push({ versionId: v.versionId, latest: v.isLatest, deleteMarker: false, size: v.size, lastModified: v.lastModified, etag: v.etag });
        }
        for (const m of page.deleteMarker) {
          if (m.name === k) markers.push({ versionId: m.versionId, latest: false, deleteMarker: true, lastModified: m.lastModified });
        }
        // Listings go by key: once a longer key under the prefix shows, nothing more of this one can come.
        const past = [...page.objects, ...page.deleteMarker].some((v) => v.name !== k);
        marker = page.isTruncated && !past ? { keyMarker: page.nextKeyMarker!, ...(page.nextVersionIdMarker ? { versionIdMarker: page.nextVersionIdMarker } : {}) } : null;
      }
      if (markers.length && !versions.some((v) => v.latest)) markers[0].latest = true;
      return { versions: [...versions, ...markers] };
    },
  },
  {
    method: 'GET', path: '/api/buckets/:bucket/object/content',
    handle: async (c) => {
      const k = key(c);
      const got = await getObjectStream(() => oss(c), k, undefined, versionOf(c).versionId);
      const h = got.headers;
      const name = k.slice(k.lastIndexOf('/') + 1) || 'download';
      c.res.statusCode = 200;
      c.res.setHeader('Content-Type', h['content-type'] ?? 'application/octet-stream');
      if (h['content-length'] !== undefined) c.res.setHeader('Content-Length', h['content-length']);
      c.res.setHeader('Content-Disposition', `attachment; filename*=UTF-8''${encodeURIComponent(name)}`);
      c.res.setHeader('Cache-Control', 'no-store');
      await pipeline(got.stream, c.res);
      return undefined;
    },
  },
  {
    method: 'GET', path: '/api/buckets/:bucket/object/readable',
    // Before a download: the page asks here, so a refusal shows the API's error on the page instead
    // of a failed browser download. A GET of the first byte needs exactly what the download needs
    // (oss:GetObject, and kms:Decrypt and a usable key for SSE-KMS); the byte is discarded.
    handle: async (c) => {
      const got = await getObjectStream(() => oss(c), key(c), 'bytes=0-0', versionOf(c).versionId);
      got.stream.resume();
      await finished(got.stream);
      return {};
    },
  },
  {
    method: 'DELETE', path: '/api/buckets/:bucket/object',
    handle: async (c) => {
      await call('oss', () => oss(c).delete(key(c), versionOf(c)));
      return {};
    },
  },
  {
    method: 'PUT', path: '/api/buckets/:bucket/object',
    // The body is the file; the encryption choice comes as query parameters (method, algorithm, kmsKeyId).
    handle: async (c) => {
      const size = bodySize(c);
      const choice = c.query.has('method') ? parseChoice(Object.fromEntries(c.query)) : null;
      const put = await call('oss', () => oss(c).putStream(key(c), c.req, {
        contentLength: size, mime: contentType(c.req.headers['content-type']), headers: choice ? sseHeaders(choice) : {},
      }));
      return { etag: put.res.headers.etag };
    },
  },
  {
    method: 'POST', path: '/api/buckets/:bucket/multipart',
    handle: async (c) => {
      const body = await readJson(c.req);
      const encryption = body.encryption === undefined || body.encryption === null ? null : parseChoice(body.encryption as Record<string, unknown>);
      const init = await call('oss', () => oss(c).initMultipartUpload(str(body, 'key'), {
        mime: contentType(body.contentType), headers: encryption ? sseHeaders(encryption) : {},
      }));
      return { uploadId: init.uploadId };
    },
  },
  {
    method: 'PUT', path: '/api/buckets/:bucket/multipart/:uploadId/:partNumber',
    handle: async (c) => {
      const partNumber = Number(c.params.partNumber);
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) throw badRequest(`The part number must be from 1 to ${MAX_PART_NUMBER}.`);
      const part = await call('oss', () => oss(c)._uploadPart(key(c), c.params.uploadId, partNumber, { stream: c.req, size: bodySize(c) }));
      return { etag: part.etag };
    },
  },
  {
    method: 'POST', path: '/api/buckets/:bucket/multipart/:uploadId/complete',
    handle: async (c) => {
      const body = await readJson(c.req);
      const parts = body.parts;
      if (!Array.isArray(parts) || parts.length === 0) throw badRequest('parts must list the uploaded parts.');
      const list = parts.map((p: { number?: unknown; etag?: unknown }) => {
        if (!Number.isInteger(p?.number) || typeof p?.etag !== 'string') throw badRequest('each part needs a number and an etag.');
        return { number: p.number as number, etag: p.etag };
      });
      const done = await call('oss', () => oss(c).completeMultipartUpload(str(body, 'key'), c.params.uploadId, list));
      return { etag: done.res.headers.etag };
    },
  },
  {
    method: 'DELETE', path: '/api/buckets/:bucket/multipart/:uploadId',
    handle: async (c) => {
      await call('oss', () => oss(c).abortMultipartUpload(key(c), c.params.uploadId));
      return {};
    },
  },
];
