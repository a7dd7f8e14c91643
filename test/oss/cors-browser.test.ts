/**
 * CORS as a browser enforces it: Chromium loads a page from another origin (a tiny node:http
 * server on a second port) whose script does a presigned PUT and a fetch GET to Coffer. The
 * browser sends the preflight and reads the Access-Control-* headers itself, so these requests
 * succeed only when a bucket rule allows that origin, and fail (the browser blocks them) otherwise.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { etagOf, presignV4 } from '../helpers/oss-http';
import { startTestServer, type TestServer } from '../helpers/server';

let srv: TestServer;
let browser: Browser;
let pages: Server;
let pageOrigin: string;
const BUCKET = 'cors-browser';

before(async () => {
  srv = await startTestServer();
  await srv.client().putBucket(BUCKET);
  await srv.client({ bucket: BUCKET }).put('hello.txt', Buffer.from('hello from coffer'));
  // The page's origin differs from Coffer's by its port: a different origin for the browser.
  pages = createServer((_req, res) => {
    res.setHeader('Content-Type', 'text/html');
    res.end('<!doctype html><title>app</title><p>an app on another origin</p>');
  });
  await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
  pageOrigin = `http://127.0.0.1:${(pages.address() as AddressInfo).port}`;
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await new Promise((resolve) => pages?.close(resolve));
  await srv?.close();
});

interface Outcome { ok: boolean; status?: number; text?: string; requestId?: string | null; etag?: string | null; error?: string }

/**
 * Runs the page's two requests in a fresh browser context (no preflight cached from an earlier
 * case): a fetch GET of hello.txt and a presigned PUT of `key`, both to Coffer's origin.
 */
async function fromPage(key: string): Promise<{ get: Outcome; put: Outcome }> {
  const getUrl = presignV4(srv, { method: 'GET', bucket: BUCKET, key: 'hello.txt', date: new Date(), expires: 600 });
  const putUrl = presignV4(srv, { method: 'PUT', bucket: BUCKET, key, date: new Date(), expires: 600 });
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(pageOrigin);
    return await page.evaluate(async ({ getUrl: g, putUrl: p }) => {
      const attempt = async (run: () => Promise<Response>, read: (r: Response) => Promise<Outcome>): Promise<Outcome> => {
        try {
          return await read(await run());
        } catch (err) {
          // What a page sees when the browser blocks a cross-origin request: a TypeError, no response.
          return { ok: false, error: String(err) };
        }
      };
      const get = await attempt(() => fetch(g), async (r) => ({ ok: true, status: r.status, text: await r.text(), requestId: r.headers.get('x-oss-request-id') }));
      // A Uint8Array body carries no Content-Type, which the V4 presigned URL did not sign.
      const put = await attempt(() => fetch(p, { method: 'PUT', body: new Uint8Array([104, 105]) }), async (r) => ({ ok: true, status: r.status, etag: r.headers.get('etag') }));
      return { get, put };
    }, { getUrl, putUrl });
  } finally {
    await context.close();
  }
}

async function stored(key: string): Promise<string | null> {
  const obj = await srv.running.coffer.meta.getObject(BUCKET, key);
  return obj ? (await srv.client({ bucket: BUCKET }).get(key)).content.toString() : null;
}

test('no CORS rules: the browser blocks the GET and the PUT (its preflight is refused), nothing is written', async () => {
  const { get, put } = await fromPage('none.txt');
  assert.equal(get.ok, false, JSON.stringify(get));
  assert.match(get.error!, /TypeError: Failed to fetch/);
  assert.equal(put.ok, false, JSON.stringify(put));
  assert.equal(await stored('none.txt'), null);
});

test('a rule for another origin only: still blocked', async () => {
  await srv.client().putBucketCORS(BUCKET, [{ allowedOrigin: 'http://elsewhere.example', allowedMethod: ['GET', 'PUT'], allowedHeader: '*' }]);
  const { get, put } = await fromPage('other.txt');
  assert.equal(get.ok, false, JSON.stringify(get));
  assert.equal(put.ok, false, JSON.stringify(put));
  assert.equal(await stored('other.txt'), null);
});

test('a rule allowing the page\'s origin for GET and PUT: both succeed, and the page reads the exposed headers', async () => {
  await srv.client().putBucketCORS(BUCKET, [
    { allowedOrigin: 'http://elsewhere.example', allowedMethod: 'GET' },
    { allowedOrigin: 'http://127.0.0.1:*', allowedMethod: ['GET', 'PUT'], allowedHeader: '*', exposeHeader: ['ETag', 'x-oss-request-id'], maxAgeSeconds: 5 },
  ]);
  const { get, put } = await fromPage('allowed.txt');
  assert.deepEqual({ ok: get.ok, status: get.status, text: get.text }, { ok: true, status: 200, text: 'hello from coffer' }, JSON.stringify(get));
  assert.match(get.requestId ?? '', /^[0-9A-F]{24}$/);
  assert.deepEqual({ ok: put.ok, status: put.status }, { ok: true, status: 200 }, JSON.stringify(put));
  assert.equal(put.etag, etagOf('hi'));
  assert.equal(await stored('allowed.txt'), 'hi');
});

test('a rule allowing the page\'s origin for GET only: the GET succeeds, the PUT is blocked at its preflight', async () => {
  await srv.client().putBucketCORS(BUCKET, [{ allowedOrigin: pageOrigin, allowedMethod: 'GET' }]);
  const { get, put } = await fromPage('get-only.txt');
  assert.equal(get.ok, true, JSON.stringify(get));
  assert.equal(get.text, 'hello from coffer');
  // Not exposed by this rule: the browser hides the header from the page.
  assert.equal(get.requestId, null);
  assert.equal(put.ok, false, JSON.stringify(put));
  assert.equal(await stored('get-only.txt'), null);
});
