/**
 * The console in Debian's Chromium (headless, 1280×800), driven through playwright-core against a
 * real server, with the results checked through the APIs. Every test leaves a screenshot of each
 * page it passes through in test-artifacts/console/, and one named FAILED-… where it failed.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { Kms, bodyOf, describeKey, kmsClient } from '../helpers/kms';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, startTestServer, type TestServer } from '../helpers/server';
import { popClient } from '../rpc/helpers';

/** Compiled to dist/test/console/: the folder is <repo>/test-artifacts/console. */
export const SCREENSHOTS = path.resolve(__dirname, '../../../test-artifacts/console');
const VIEWPORT = { width: 1280, height: 800 };

let srv: TestServer;
let browser: Browser;

before(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  srv = await startTestServer();
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await srv?.close();
});

const shot = (page: Page, name: string): Promise<Buffer> => page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });

/** Runs fn in a fresh browser context; on failure saves FAILED-<test>.png first. */
async function inBrowser(t: TestContext, fn: (page: Page) => Promise<void>): Promise<void> {
  const context = await browser.newContext({ viewport: VIEWPORT, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(20_000);
  try {
    await fn(page);
  } catch (err) {
    await page.screenshot({ path: path.join(SCREENSHOTS, `FAILED-${t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 80)}.png`), fullPage: true }).catch(() => undefined);
    throw err;
  } finally {
    await context.close();
  }
}

async function logIn(page: Page, accessKeyId = ACCESS_KEY_ID, secret = ACCESS_KEY_SECRET, screenshot?: string): Promise<void> {
  await page.goto(srv.consoleUrl);
  await page.getByLabel('AccessKey ID').fill(accessKeyId);
  await page.getByLabel('AccessKey Secret').fill(secret);
  if (screenshot) await shot(page, screenshot);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Buckets' }).waitFor();
}

/** Creates a key in the KMS pages; answers its id, read from the key page it lands on. */
async function createKeyInPage(page: Page, fields: { alias: string; external?: boolean }, screenshot?: string): Promise<string> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'KMS' }).click();
  await page.getByRole('heading', { name: 'KMS keys' }).waitFor();
  await page.getByRole('button', { name: 'Create Key' }).click();
  const dialog = page.getByRole('dialog', { name: 'Create Key' });
  await dialog.getByLabel('Alias (optional)').fill(fields.alias);
  await dialog.getByLabel('Description').fill(`made in the console test (${fields.alias})`);
  if (fields.external) await dialog.getByLabel('External (import key material)').check();
  if (screenshot) await shot(page, screenshot);
  await dialog.getByRole('button', { name: 'OK' }).click();
  await page.waitForURL(/\/kms\/keys\/[0-9a-f-]{36}$/);
  return decodeURIComponent(page.url().split('/').pop()!);
}

test('log in, create a CMK and a KMS-encrypted bucket with it, upload, read the encryption fields, change the rule, re-encrypt', async (t) => {
  await inBrowser(t, async (page) => {
    await logIn(page, ACCESS_KEY_ID, ACCESS_KEY_SECRET, '01-login');
    await page.getByText('No buckets yet.').waitFor();
    await shot(page, '02-buckets-empty');

    const keyId = await createKeyInPage(page, { alias: 'alias/console-cmk' }, '03-create-key-panel');
    await page.getByText('alias/console-cmk', { exact: true }).waitFor();
    await shot(page, '04-key-detail');

    await page.getByRole('link', { name: 'Buckets' }).first().click();
    await page.getByRole('button', { name: 'Create Bucket' }).click();
    const create = page.getByRole('dialog', { name: 'Create Bucket' });
    await create.getByLabel('Bucket Name').fill('console-kms');
    await create.getByLabel('Private', { exact: true }).check();
    await create.getByLabel('KMS', { exact: true }).check();
    await create.getByLabel('AES-256').check();
    await create.getByLabel('CMK').selectOption({ label: `alias/console-cmk(${keyId})` });
    await shot(page, '05-create-bucket-panel');
    await create.getByRole('button', { name: 'OK' }).click();
    const row = page.locator('tr[data-bucket="console-kms"]');
    await row.locator('td.encryption', { hasText: `KMS, AES-256, CMK alias/console-cmk(${keyId})` }).waitFor();
    await shot(page, '06-buckets');
    const oss = srv.client({ bucket: 'console-kms' });
    assert.deepEqual((await oss.getBucketEncryption('console-kms')).encryption, { SSEAlgorithm: 'KMS', KMSMasterKeyID: keyId });

    // Upload: a small file and a multipart one (17 MiB: three parts) picked, one more dropped.
    await row.getByRole('link', { name: 'console-kms' }).click();
    await page.getByText('This bucket is empty.').waitFor();
    await page.getByRole('button', { name: 'Upload' }).click();
    const upload = page.getByRole('dialog', { name: 'Upload' });
    const big = Buffer.alloc(17 * 1024 * 1024 + 5, 7);
    await upload.locator('input[type="file"]').setInputFiles([
      { name: 'hello.txt', mimeType: 'text/plain', buffer: Buffer.from('hello from the console\n') },
      { name: 'big.bin', mimeType: 'application/octet-stream', buffer: big },
    ]);
    for (const name of ['hello.txt', 'big.bin']) await upload.locator(`li[data-file="${name}"]`).waitFor();
    // A drop carries its files in a DataTransfer, made in the page (as source text: the tests compile without DOM types).
    const dropped = await page.evaluateHandle(`(() => {
      const dt = new DataTransfer();
      dt.items.add(new File(['dropped in'], 'dropped.txt', { type: 'text/plain' }));
      return dt;
    })()`);
    await upload.getByTestId('dropzone').dispatchEvent('drop', { dataTransfer: dropped });
    await upload.locator('li[data-file="dropped.txt"]').waitFor();
    await upload.getByRole('button', { name: 'Upload', exact: true }).click();
    for (const name of ['hello.txt', 'big.bin', 'dropped.txt']) {
      await upload.locator(`li[data-file="${name}"].done`).waitFor({ timeout: 60_000 });
    }
    await shot(page, '07-upload-panel');
    await upload.getByRole('button', { name: 'Close', exact: true }).click();
    for (const name of ['hello.txt', 'big.bin', 'dropped.txt']) await page.locator(`tr[data-key="${name}"]`).waitFor();
    await shot(page, '08-objects');
    const bigHead = (await oss.head('big.bin')).res.headers;
    assert.equal(bigHead['x-oss-object-type'], 'Multipart');
    assert.equal(bigHead['x-oss-server-side-encryption'], 'KMS');
    assert.equal(bigHead['x-oss-server-side-encryption-key-id'], keyId);
    assert.ok(Buffer.from((await oss.get('big.bin')).content).equals(big));

    // The object's detail: what `ossutil stat` shows, encryption spelled out.
    await page.locator('tr[data-key="hello.txt"]').getByRole('link', { name: 'hello.txt' }).click();
    await page.getByRole('heading', { name: 'Server-side encryption' }).waitFor();
    const head = (await oss.head('hello.txt')).res.headers;
    assert.equal(await page.locator('[data-field="sse-method"]').textContent(), 'KMS');
    assert.equal(await page.locator('[data-field="sse-algorithm"]').textContent(), 'AES-256');
    assert.equal(await page.locator('[data-field="sse-cmk"]').textContent(), `alias/console-cmk(${keyId})`);
    assert.equal(await page.locator('[data-field="crc64"]').textContent(), head['x-oss-hash-crc64ecma']);
    assert.equal(await page.locator('[data-field="etag"]').textContent(), head.etag);
    await shot(page, '09-object-detail');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download' }).click()]);
    assert.equal(download.suggestedFilename(), 'hello.txt');
    assert.equal(readFileSync(await download.path()).toString(), 'hello from the console\n');

    // Content Security > Server-side Encryption: the rule changes; stored objects are re-encrypted on request.
    await page.getByRole('navigation', { name: 'Bucket console-kms' }).getByRole('link', { name: 'Server-side Encryption' }).click();
    await page.locator('[data-field="rule-cmk"]', { hasText: `alias/console-cmk(${keyId})` }).waitFor();
    await shot(page, '10-encryption-rule');
    await page.getByRole('button', { name: 'Settings' }).click();
    const settings = page.getByRole('form', { name: 'Encryption settings' });
    await settings.getByLabel('OSS-Managed').check();
    await settings.getByLabel('SM4').check();
    await shot(page, '11-encryption-settings');
    await settings.getByRole('button', { name: 'Save' }).click();
    await page.locator('[data-field="rule-algorithm"]', { hasText: 'SM4' }).waitFor();
    assert.equal(await page.locator('[data-field="rule-method"]').textContent(), 'OSS-Managed');
    assert.deepEqual((await oss.getBucketEncryption('console-kms')).encryption, { SSEAlgorithm: 'SM4' });
    assert.equal((await oss.head('hello.txt')).res.headers['x-oss-server-side-encryption'], 'KMS', 'a rule change leaves stored objects alone');

    await page.getByRole('button', { name: 'Re-encrypt objects' }).click();
    await page.getByRole('dialog', { name: 'Re-encrypt objects' }).getByRole('button', { name: 'Re-encrypt' }).click();
    await page.locator('[data-field="reencrypt-status"]', { hasText: 'Done: 3 objects processed, 0 failed.' }).waitFor({ timeout: 60_000 });
    await shot(page, '12-reencrypted');
    for (const k of ['hello.txt', 'big.bin', 'dropped.txt']) assert.equal((await oss.head(k)).res.headers['x-oss-server-side-encryption'], 'SM4', k);
    // Re-encryption keeps the plaintext: same CRC-64, same bytes.
    assert.equal((await oss.head('hello.txt')).res.headers['x-oss-hash-crc64ecma'], head['x-oss-hash-crc64ecma']);
    assert.equal((await oss.get('hello.txt')).content.toString(), 'hello from the console\n');
  });
});

test("an object's page lists its versions; one is downloaded, another deleted for good", async (t) => {
  const oss = srv.client({ bucket: 'console-history' });
  await oss.putBucket('console-history');
  await oss.putBucketVersioning('console-history', 'Enabled');
  const v1 = (await oss.put('notes.txt', Buffer.from('first draft'), { headers: { 'x-oss-server-side-encryption': 'AES256' } })).res.headers['x-oss-version-id'];
  const v2 = (await oss.put('notes.txt', Buffer.from('second draft'))).res.headers['x-oss-version-id'];
  await inBrowser(t, async (page) => {
    await logIn(page);
    await page.goto(`${srv.consoleUrl}/buckets/console-history/object?key=notes.txt`);
    const versions = page.getByRole('table', { name: 'Versions' });
    await versions.waitFor();
    assert.equal(await versions.locator('tbody tr').count(), 2);
    assert.equal(await versions.locator(`tr[data-version-id="${v2}"] td`).nth(2).textContent(), 'Latest');
    await shot(page, '09b-object-versions');
    const [download] = await Promise.all([
      page.waitForEvent('download'), versions.locator(`tr[data-version-id="${v1}"]`).getByRole('button', { name: 'Download' }).click(),
    ]);
    assert.equal(readFileSync((await download.path())!, 'utf8'), 'first draft');
    await versions.locator(`tr[data-version-id="${v2}"]`).getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete version' }).getByRole('button', { name: 'Delete' }).click();
    await versions.locator(`tr[data-version-id="${v2}"]`).waitFor({ state: 'detached' });
    assert.equal(await versions.locator(`tr[data-version-id="${v1}"] td`).nth(2).textContent(), 'Latest');
  });
  assert.equal((await oss.get('notes.txt')).content.toString(), 'first draft');
});

test('create an External key and import material wrapped in the page; the KMS API then reports it Enabled', async (t) => {
  await inBrowser(t, async (page) => {
    // What the page sends while importing: only wrapped material may leave it.
    const sent: { url: string; body: string | null }[] = [];
    page.on('request', (r) => { if (r.url().includes('/api/kms/')) sent.push({ url: r.url(), body: r.postData() }); });
    await logIn(page);
    const keyId = await createKeyInPage(page, { alias: 'alias/console-byok', external: true });
    await page.locator('[data-field="key-state"]', { hasText: 'PendingImport' }).waitFor();
    await shot(page, '13-external-key');
    await page.getByRole('button', { name: 'Import key material' }).click();
    const dialog = page.getByRole('dialog', { name: 'Import key material' });
    await dialog.getByLabel('Generate random material in this page').check();
    await shot(page, '14-import-material-panel');
    await dialog.getByRole('button', { name: 'Import' }).click();
    await page.locator('[data-field="key-state"]', { hasText: 'Enabled' }).waitFor();
    await shot(page, '15-key-imported');

    const kms = kmsClient(srv);
    const meta = await describeKey(kms, keyId);
    assert.equal(meta.keyState, 'Enabled');
    assert.equal(meta.origin, 'EXTERNAL');
    // The imported material works: a round trip through Encrypt and Decrypt.
    const enc = bodyOf(await kms.encrypt(new Kms.EncryptRequest({ keyId, plaintext: 'byok in the browser' })));
    assert.equal(bodyOf(await kms.decrypt(new Kms.DecryptRequest({ ciphertextBlob: enc.ciphertextBlob }))).plaintext, 'byok in the browser');

    const imports = sent.filter((s) => s.url.endsWith('/import'));
    assert.equal(imports.length, 1);
    const body = JSON.parse(imports[0].body!);
    assert.deepEqual(Object.keys(body).sort(), ['encryptedKeyMaterial', 'importToken', 'keyMaterialExpireUnix']);
    assert.equal(Buffer.from(body.encryptedKeyMaterial, 'base64').length, 256, 'an RSA-2048 ciphertext');
  });
});

test('root creates a RAM user, its key and an OSS-only policy in the pages; that user is refused by KMS, and the page says so', async (t) => {
  // A bucket whose rule names a CMK: the user needs kms:GenerateDataKey on it to upload.
  const keyId = bodyOf(await kmsClient(srv).createKey(new Kms.CreateKeyRequest({}))).keyMetadata.keyId;
  await srv.client().putBucket('console-ram-kms', { headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': keyId } });
  let user = { id: '', secret: '' };
  await inBrowser(t, async (page) => {
    await logIn(page);
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'Create User' }).click();
    const create = page.getByRole('dialog', { name: 'Create User' });
    await create.getByLabel('User name').fill('console-dev');
    await create.getByLabel('Display name').fill('Console developer');
    await create.getByRole('button', { name: 'OK' }).click();
    await page.getByRole('heading', { name: 'User console-dev' }).waitFor();
    await page.getByRole('button', { name: 'Create AccessKey' }).click();
    const shown = page.getByRole('dialog', { name: 'AccessKey created' });
    user = { id: (await shown.locator('[data-field="new-key-id"]').textContent())!, secret: (await shown.locator('[data-field="new-key-secret"]').textContent())! };
    await shot(page, '16-access-key-created');
    await shown.getByRole('button', { name: 'I have saved it' }).click();
    await page.getByRole('table', { name: 'Access keys' }).getByText(user.id).waitFor();

    // The policy editor refuses a document before saving it, then saves a valid one.
    await page.getByRole('link', { name: 'Policies' }).click();
    await page.getByRole('button', { name: 'Create Policy' }).click();
    await page.getByLabel('Policy name').fill('console-oss-only');
    const doc = page.getByLabel('Policy document (JSON)');
    await doc.fill('{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:*"}]}');
    await page.getByRole('button', { name: 'Create policy' }).click();
    await page.getByText('Statement 1: "Resource" must be a string or a list of strings.').waitFor();
    await doc.fill('{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:*", "Resource": "*"');
    await page.getByRole('button', { name: 'Check' }).click();
    await page.getByText(/^Not valid JSON/).waitFor();
    await shot(page, '17-policy-editor-invalid');
    await doc.fill(JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:*', Resource: '*' }] }, null, 2));
    await page.getByRole('button', { name: 'Create policy' }).click();
    await page.getByRole('heading', { name: 'Policies' }).waitFor();
    await page.getByRole('table', { name: 'Policies' }).getByRole('link', { name: 'console-oss-only' }).waitFor();
    await shot(page, '18-policies');

    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('link', { name: 'console-dev' }).click();
    await page.getByRole('button', { name: 'Attach policy' }).click();
    const attach = page.getByRole('dialog', { name: 'Attach policy' });
    await attach.getByLabel('Policy').selectOption({ label: 'console-oss-only (Custom)' });
    await attach.getByRole('button', { name: 'Attach' }).click();
    await page.getByRole('table', { name: 'Attached policies' }).getByText('console-oss-only').waitFor();
    await shot(page, '19-user-detail');
  });

  await inBrowser(t, async (page) => {
    await logIn(page, user.id, user.secret);
    await page.getByText('RAM user console-dev').waitFor();
    // Only the root manages users.
    assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0);
    await page.locator('tr[data-bucket="console-ram-kms"]').getByRole('link', { name: 'console-ram-kms' }).click();
    await page.getByRole('button', { name: 'Upload' }).click();
    const upload = page.getByRole('dialog', { name: 'Upload' });
    await upload.locator('input[type="file"]').setInputFiles([{ name: 'secret.txt', mimeType: 'text/plain', buffer: Buffer.from('no kms for me') }]);
    await upload.getByRole('button', { name: 'Upload', exact: true }).click();
    const failed = upload.locator('li[data-file="secret.txt"].failed');
    await failed.getByRole('alert').waitFor();
    assert.equal(await failed.locator('.error-message').textContent(), 'This request is forbidden by kms');
    assert.equal(await failed.locator('.error-code').textContent(), 'AccessDenied');
    assert.match((await failed.locator('.error-request-id').textContent())!, /^[0-9A-F]{24}$/);
    await shot(page, '20-forbidden-by-kms');
    await upload.getByRole('button', { name: 'Close', exact: true }).click();
    await assert.rejects(srv.client({ bucket: 'console-ram-kms' }).head('secret.txt'), { status: 404 });

    // Reading an object under that CMK needs kms:Decrypt too: the download is refused on the page, with the API's error.
    await srv.client({ bucket: 'console-ram-kms' }).put('root-only.txt', Buffer.from('sealed under the CMK'));
    await page.getByRole('button', { name: 'Refresh' }).click();
    let downloads = 0;
    page.on('download', () => { downloads++; });
    await page.locator('tr[data-key="root-only.txt"]').getByRole('button', { name: 'Download' }).click();
    const refusedDownload = page.getByRole('alert').filter({ hasText: 'The object could not be downloaded' });
    await refusedDownload.waitFor();
    assert.equal(await refusedDownload.locator('.error-code').textContent(), 'AccessDenied');
    assert.equal(await refusedDownload.locator('.error-message').textContent(), 'This request is forbidden by kms');
    assert.match((await refusedDownload.locator('.error-request-id').textContent())!, /^[0-9A-F]{24}$/);
    assert.equal(downloads, 0, 'no file was saved');

    // The KMS pages show the KMS API's refusal the same way.
    await page.getByRole('link', { name: 'KMS' }).click();
    const refused = page.getByRole('alert').filter({ hasText: 'The keys could not be listed' });
    await refused.locator('.error-code', { hasText: 'Forbidden.NoPermission' }).waitFor();
    await shot(page, '21-kms-refused');
  });
});

test('the metrics page shows request and KMS-call counts', async (t) => {
  await inBrowser(t, async (page) => {
    await logIn(page);
    await page.getByRole('link', { name: 'Metrics' }).click();
    await page.getByRole('heading', { name: 'OSS requests by operation' }).waitFor();
    const kmsCalls = Number(await page.locator('[data-field="kms-calls"]').textContent());
    assert.ok(kmsCalls > 0, 'the tests above used the KMS');
    assert.ok(Number(await page.locator('[data-field="oss-total"]').textContent()) > 0);
    await page.getByRole('table', { name: 'OSS requests' }).getByRole('rowheader', { name: 'PutBucket', exact: true }).waitFor();
    await shot(page, '22-metrics');
  });
});

test('root rotates the SSE-OSS master key on the Server page and re-seals the object keys the old version sealed', async (t) => {
  const oss = srv.client({ bucket: 'server-page' });
  await oss.putBucket('server-page');
  for (const key of ['a', 'b', 'c']) await oss.put(key, Buffer.from(`object ${key}`), { headers: { 'x-oss-server-side-encryption': 'AES256' } });
  const versionOf = async (key: string): Promise<number> => ((await srv.running.coffer.meta.getObject('server-page', key))!.encryption as any).kek.masterKeyVersion;
  const before = await versionOf('a');
  await inBrowser(t, async (page) => {
    await logIn(page);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Server' }).click();
    await page.getByRole('heading', { name: 'SSE-OSS master keys' }).waitFor();
    assert.equal(await page.locator('[data-field="current-version"]').count(), 1);
    await page.getByRole('button', { name: 'Rotate master key' }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate the master key' });
    await dialog.getByText(`Add master key version ${before + 1}`).waitFor();
    await dialog.getByRole('button', { name: 'Rotate' }).click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('table', { name: 'Master key versions' }).getByRole('row', { name: `${before + 1}` }).getByText('Current').waitFor();
    await page.getByRole('button', { name: 'Re-seal object keys' }).click();
    const status = page.locator('[data-field="rewrap-status"]');
    await status.filter({ hasText: /^Done: / }).waitFor();
    const [, rewrapped] = /^Done: (\d+) of \d+ objects? re-sealed under version (\d+)/.exec((await status.textContent())!) ?? [];
    assert.ok(Number(rewrapped) >= 3, await status.textContent() ?? '');
    assert.match((await status.textContent())!, new RegExp(`under version ${before + 1}`));
    await shot(page, '23-server-rewrap');
  });
  for (const key of ['a', 'b', 'c']) {
    assert.equal(await versionOf(key), before + 1);
    assert.equal((await oss.get(key)).content.toString(), `object ${key}`);
  }
});

/** The admin API as the root, for what the pages' results are checked against. */
const adminCall = async (action: string, params: Record<string, unknown> = {}): Promise<Record<string, any>> =>
  JSON.parse(JSON.stringify(await popClient(srv.kmsUrl).request<Record<string, any>>(action, params, { method: 'POST' })));

/** How many points a chart's series draws (its data-points). */
const seriesPoints = async (page: Page, chart: string, series: string): Promise<number> =>
  Number(await page.locator(`[data-chart="${chart}"] g[data-series="${series}"]`).getAttribute('data-points'));

/** Waits until a chart's series draws at least n points (a page-side check, as source text: the tests compile without DOM types). */
/**
 * Waits until a chart's series has `n` points, polling from here: a string predicate for
 * waitForFunction would be eval'd in the page, which the console's CSP (script-src 'self') forbids.
 */
async function pointsAtLeast(page: Page, chart: string, series: string, n: number): Promise<void> {
  const g = page.locator(`[data-chart="${chart}"] g[data-series="${series}"]`);
  const deadline = Date.now() + 30_000;
  for (let points = Number(await g.getAttribute('data-points')); points < n; points = Number(await g.getAttribute('data-points'))) {
    if (Date.now() > deadline) throw new Error(`${chart}/${series}: ${points} points, waiting for ${n}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

test('Metrics charts the request rate from the page\'s own samples of /metrics (kept across a reload) and storage by bucket', async (t) => {
  await inBrowser(t, async (page) => {
    await logIn(page);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Metrics' }).click();
    await page.getByRole('heading', { name: 'Request rate' }).waitFor();
    // Requests between samples: each Refresh takes one, and the rate is the difference.
    const oss = srv.client();
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 5; i++) await oss.listBuckets({ 'max-keys': 1 });
      await page.getByRole('button', { name: 'Refresh', exact: true }).click();
      await pointsAtLeast(page, 'request-rate', 'OSS', round + 1);
    }
    const points = await seriesPoints(page, 'request-rate', 'OSS');
    assert.ok(points >= 3, `${points} points`);
    const legend = await page.locator('[data-chart="request-rate"] figcaption li', { hasText: 'OSS' }).textContent();
    assert.match(legend!, /^OSS: [\d.]+\/s$/);
    const max = Number(await page.locator('[data-chart="request-rate"] g[data-series="OSS"]').getAttribute('data-max'));
    assert.ok(max > 0, 'requests were made between samples');
    // This server exports no request-duration histogram yet.
    const exported = await (await fetch(`${srv.consoleUrl}/metrics`)).text();
    if (!/_request_duration_seconds_bucket\{/.test(exported)) await page.locator('[data-field="no-latency"]', { hasText: 'No latency data' }).waitFor();

    // Storage by bucket: the bars are GetBucketStat's figures.
    const bar = page.locator('[data-chart="storage-bytes"] g[data-bar="console-kms"]');
    await bar.waitFor();
    const stat = (await oss.getBucketStat('console-kms')).stat;
    assert.equal(await bar.getAttribute('data-value'), stat.Storage);
    assert.equal(await page.locator('[data-chart="storage-objects"] g[data-bar="console-kms"]').getAttribute('data-value'), stat.ObjectCount);
    await shot(page, '24-metrics-charts');

    // A reload keeps the samples (sessionStorage) and adds one.
    await page.reload();
    await page.getByRole('heading', { name: 'Request rate' }).waitFor();
    await pointsAtLeast(page, 'request-rate', 'OSS', points + 1);
  });
});

test('with a request-duration histogram in /metrics, the latency chart shows p50, p95 and the mean between samples', async (t) => {
  await inBrowser(t, async (page) => {
    // /metrics as the histogram branch would serve it: the page is tested against known buckets.
    const le = ['0.005', '0.01', '0.025', '0.05', '0.1', '+Inf'];
    const scrape = (ops: number, cumulative: number[], sum: number): string => [
      '# TYPE coffer_oss_requests_total counter',
      `coffer_oss_requests_total{operation="GetObject",status="200",node="n1"} ${ops}`,
      '# TYPE coffer_http_request_duration_seconds histogram',
      ...le.map((l, i) => `coffer_http_request_duration_seconds_bucket{dialect="oss",le="${l}",node="n1"} ${cumulative[i]}`),
      `coffer_http_request_duration_seconds_sum{dialect="oss",node="n1"} ${sum}`,
      `coffer_http_request_duration_seconds_count{dialect="oss",node="n1"} ${cumulative.at(-1)}`,
      '',
    ].join('\n');
    let body = scrape(100, [5, 10, 20, 30, 40, 40], 1);
    await page.route('**/metrics', (route) => route.fulfill({ status: 200, contentType: 'text/plain; version=0.0.4', body }));
    await logIn(page);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Metrics' }).click();
    await page.locator('[data-chart="latency"]').waitFor();
    // 100 more requests: 10 under 5 ms, 20 more under 10 ms, 20 under 25 ms, 40 under 50 ms, 10 under 100 ms; 2 s in all.
    body = scrape(400, [15, 40, 70, 120, 140, 140], 3);
    await page.getByRole('button', { name: 'Refresh', exact: true }).click();
    await pointsAtLeast(page, 'latency', 'p50', 1);
    const legend = async (name: string): Promise<string> => (await page.locator('[data-chart="latency"] figcaption li', { hasText: `${name}:` }).textContent())!;
    // p50: the 50th of 100 is the last in (10 ms, 25 ms]; p95: halfway through (50 ms, 100 ms]; mean 2 s / 100.
    assert.equal(await legend('p50'), 'p50: 25 ms');
    assert.equal(await legend('p95'), 'p95: 75 ms');
    assert.equal(await legend('mean'), 'mean: 20 ms');
    assert.ok(await seriesPoints(page, 'request-rate', 'OSS') >= 1);
    assert.equal(await page.locator('[data-field="no-latency"]').count(), 0);
    await shot(page, '25-metrics-latency');
  });
});

test('the Encryption posture page counts objects by mode, points at the rewrap while an older master key seals some, and follows it', async (t) => {
  const kms = kmsClient(srv);
  const cmk = bodyOf(await kms.createKey(new Kms.CreateKeyRequest({}))).keyMetadata.keyId;
  const oss = srv.client({ bucket: 'posture-page' });
  await oss.putBucket('posture-page');
  await oss.put('plain.txt', Buffer.from('in the clear'));
  for (const k of ['aes-1', 'aes-2']) await oss.put(k, Buffer.from(k), { headers: { 'x-oss-server-side-encryption': 'AES256' } });
  await oss.put('sm4', Buffer.from('sm4'), { headers: { 'x-oss-server-side-encryption': 'SM4' } });
  await oss.put('kms', Buffer.from('kms'), { headers: { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': cmk, 'x-oss-server-side-data-encryption': 'SM4' } });
  await adminCall('RotateMasterKey');
  const before = await adminCall('DescribeEncryptionPosture');
  assert.ok(before.OlderMasterKeyVersions.Objects >= 3, JSON.stringify(before.OlderMasterKeyVersions));

  await inBrowser(t, async (page) => {
    await logIn(page);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Encryption posture' }).click();
    await page.getByRole('heading', { name: 'Encryption posture' }).waitFor();
    assert.equal(Number(await page.locator('[data-field="older-objects"]').textContent()), before.OlderMasterKeyVersions.Objects);
    assert.match((await page.locator('[data-field="older-summary"]').textContent())!, new RegExp(`^${before.OlderMasterKeyVersions.Objects} objects? \\(`));
    assert.ok(await page.locator('[data-field="computed-at"]').getAttribute('datetime'));
    // The bucket's bar and rows: one per class.
    const bar = page.locator('[data-chart="posture-buckets"] g[data-bar="posture-page"]');
    assert.equal(await bar.getAttribute('data-value'), '5');
    for (const [segment, n] of [['None', 1], ['SSE-OSS/AES256', 2], ['SSE-OSS/SM4', 1], ['SSE-KMS/SM4', 1]] as const) {
      assert.equal(await bar.locator(`rect[data-segment="${segment}"]`).count(), 1, segment);
      assert.equal(await page.locator(`tr[data-bucket="posture-page"][data-class="${segment}"] [data-field="objects"]`).textContent(), String(n), segment);
    }
    assert.match((await page.locator('tr[data-bucket="posture-page"][data-class="SSE-OSS/AES256"]').textContent())!, /Master key version \d+ ?older/);
    const keyRow = page.locator(`table[aria-label="Objects by KMS key"] tr[data-key-id="${cmk}"]`);
    assert.equal(await keyRow.locator('[data-field="objects"]').textContent(), '1');
    await shot(page, '26-encryption-posture');

    // The way to the rewrap, and back.
    await page.getByRole('link', { name: 'Re-seal object keys on the Server page' }).click();
    await page.getByRole('heading', { name: 'Re-seal object keys' }).waitFor();
    assert.equal(new URL(page.url()).hash, '#rewrap');
    await page.getByRole('button', { name: 'Re-seal object keys' }).click();
    await page.locator('[data-field="rewrap-status"]').filter({ hasText: /^Done: / }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Encryption posture' }).click();
    await page.locator('[data-field="older-summary"]', { hasText: 'Nothing depends on an older master-key version' }).waitFor();
    assert.equal(await page.locator('[data-field="older-objects"]').textContent(), '0');
    await shot(page, '27-encryption-posture-rewrapped');
  });
  assert.deepEqual((await adminCall('DescribeEncryptionPosture')).OlderMasterKeyVersions, { Objects: 0, Bytes: 0, MultipartUploads: 0 });
});

test('disabling a KMS key or scheduling its deletion first says how many objects it would make unreadable', async (t) => {
  const kms = kmsClient(srv);
  const cmk = bodyOf(await kms.createKey(new Kms.CreateKeyRequest({}))).keyMetadata.keyId;
  const oss = srv.client({ bucket: 'key-dependents' });
  await oss.putBucket('key-dependents');
  const sse = { 'x-oss-server-side-encryption': 'KMS', 'x-oss-server-side-encryption-key-id': cmk };
  for (const k of ['one', 'two', 'three']) await oss.put(k, Buffer.from(`sealed ${k}`), { headers: { ...sse } });
  await oss.initMultipartUpload('unfinished', { headers: { ...sse } });
  const use = (await adminCall('DescribeEncryptionPosture')).KmsKeys.KmsKey.find((k: Record<string, any>) => k.KeyId === cmk);
  assert.deepEqual([use.Objects, use.MultipartUploads], [3, 1]);

  await inBrowser(t, async (page) => {
    await logIn(page);
    await page.goto(`${srv.consoleUrl}/kms/keys/${cmk}`);
    await page.locator('[data-field="key-objects"]', { hasText: /^3 \(/ }).waitFor();
    await page.getByRole('button', { name: 'Disable' }).click();
    const disable = page.getByRole('dialog', { name: 'Disable key' });
    const warning = disable.locator('[data-field="key-dependents"]');
    await warning.filter({ hasText: 'This will make 3 objects unreadable' }).waitFor();
    assert.match((await warning.textContent())!, /until the key is enabled again, and 1 unfinished multipart upload impossible to continue\.$/);
    await shot(page, '28-disable-key-confirm');
    await disable.getByRole('button', { name: 'Disable' }).click();
    await page.locator('[data-field="key-state"]', { hasText: 'Disabled' }).waitFor();
    assert.equal((await describeKey(kms, cmk)).keyState, 'Disabled');
    // As the dialog said: the objects cannot be read now.
    await assert.rejects(oss.get('one'), { status: 403 });

    await page.getByRole('button', { name: 'Enable' }).click();
    await page.locator('[data-field="key-state"]', { hasText: 'Enabled' }).waitFor();
    assert.equal((await oss.get('one')).content.toString(), 'sealed one');
    await page.getByRole('button', { name: 'Schedule deletion' }).click();
    const schedule = page.getByRole('dialog', { name: 'Schedule key deletion' });
    await schedule.locator('[data-field="key-dependents"]', { hasText: 'This will make 3 objects unreadable' }).waitFor();
    assert.match((await schedule.locator('[data-field="key-dependents"]').textContent())!, /once the key is deleted/);
    await shot(page, '29-schedule-deletion-confirm');
    await schedule.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await describeKey(kms, cmk)).keyState, 'Enabled');
  });
});

test('the Bucket Policy page refuses a document without Principal, shows the server\'s refusal, saves one that then grants anonymous reads, and deletes it', async (t) => {
  const oss = srv.client({ bucket: 'console-policy-page' });
  await oss.putBucket('console-policy-page');
  await oss.put('pub/p.txt', Buffer.from('public'));
  const anonymous = (): Promise<number> => fetch(`${srv.url}/console-policy-page/pub/p.txt`).then((r) => r.status);
  assert.equal(await anonymous(), 403);
  await inBrowser(t, async (page) => {
    await logIn(page);
    await page.goto(`${srv.consoleUrl}/buckets/console-policy-page/policy`);
    await page.getByRole('heading', { name: 'Bucket Policy' }).waitFor();
    await page.locator('[data-field="policy-state"]', { hasText: 'has no policy' }).waitFor();
    const doc = page.getByLabel('Policy document (JSON)');
    const account = srv.running.coffer.accountId;
    await doc.fill(JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:GetObject', Resource: `acs:oss:*:${account}:console-policy-page/pub/*` }] }));
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Statement 1: "Principal" must be "*" or a list of RAM user ids or names.').waitFor();
    await doc.fill(JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Principal: '*', Action: 'oss:GetObject', Resource: `acs:oss:*:${account}:elsewhere/*` }] }));
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('alert').filter({ hasText: 'is not this bucket' }).waitFor();
    await shot(page, '30-bucket-policy-refused');
    await doc.fill(JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Principal: ['*'], Action: ['oss:GetObject'], Resource: [`acs:oss:*:${account}:console-policy-page/pub/*`] }] }, null, 2));
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.locator('[data-field="policy-state"]', { hasText: 'The policy in force.' }).waitFor();
    await shot(page, '31-bucket-policy-saved');
    assert.equal(await anonymous(), 200);
    await page.getByRole('button', { name: 'Delete policy' }).click();
    await page.getByRole('dialog', { name: 'Delete bucket policy' }).getByRole('button', { name: 'Delete policy' }).click();
    await page.locator('[data-field="policy-state"]', { hasText: 'has no policy' }).waitFor();
  });
  assert.equal(await anonymous(), 403);
});
