import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authenticate } from '../../src/auth';
import { AK, BUCKET, ENDPOINTS, aliClient, capturePresigned, lookup, useRecorder, toAuthRequest } from './capture';

const KEY = 'dir/a b+c é.txt';

const recorder = useRecorder();

describe('V1 presigned URL (signatureUrl)', () => {
  test('GET with response-content-disposition and x-oss-process verifies', async () => {
    const client = aliClient(ENDPOINTS.pathStyle(recorder.port));
    const url = client.signatureUrl(KEY, {
      expires: 600,
      response: { 'content-disposition': 'attachment; filename="x y.txt"' },
      process: 'image/resize,w_10',
    });
    assert.match(url, /[?&]OSSAccessKeyId=.*&Expires=\d+&Signature=/);
    const req = toAuthRequest(await capturePresigned(recorder, url));

    assert.deepEqual(await authenticate(req, lookup), {
      kind: 'signed',
      accessKeyId: AK,
      version: 'v1',
      presigned: true,
      target: { bucket: BUCKET, key: KEY },
    });
  });

  test('PUT with a signed Content-Type verifies only when the request carries that type', async () => {
    const client = aliClient(ENDPOINTS.pathStyle(recorder.port));
    const url = client.signatureUrl(KEY, { method: 'PUT', 'Content-Type': 'text/plain' });
    const ok = await capturePresigned(recorder, url, 'PUT', { 'content-type': 'text/plain' });
    assert.equal((await authenticate(toAuthRequest(ok), lookup)).kind, 'signed');
    const other = await capturePresigned(recorder, url, 'PUT', { 'content-type': 'image/png' });
    await assert.rejects(authenticate(toAuthRequest(other), lookup), { code: 'SignatureDoesNotMatch' });
  });

  test('STS security-token is a signed sub-resource', async () => {
    const client = aliClient({ ...ENDPOINTS.pathStyle(recorder.port), stsToken: 'STS.tok', refreshSTSTokenInterval: 3600000 });
    const url = client.signatureUrl(KEY);
    assert.match(url, /security-token=STS.tok/);
    assert.equal((await authenticate(toAuthRequest(await capturePresigned(recorder, url)), lookup)).kind, 'signed');
    const tampered = await capturePresigned(recorder, url.replace('STS.tok', 'STS.bad'));
    await assert.rejects(authenticate(toAuthRequest(tampered), lookup), { code: 'SignatureDoesNotMatch' });
  });

  test('expired URL → AccessDenied "Request has expired."; valid up to the Expires second', async () => {
    const client = aliClient(ENDPOINTS.pathStyle(recorder.port));
    const req = toAuthRequest(await capturePresigned(recorder, client.signatureUrl(KEY, { expires: 60 })));
    const expires = Number(req.query.find(([n]) => n === 'Expires')![1]) * 1000;

    assert.equal((await authenticate(req, lookup, new Date(expires))).kind, 'signed');
    await assert.rejects(authenticate(req, lookup, new Date(expires + 1000)), {
      code: 'AccessDenied',
      message: 'Request has expired.',
    });
  });

  test('tampered key → SignatureDoesNotMatch', async () => {
    const client = aliClient(ENDPOINTS.pathStyle(recorder.port));
    const url = client.signatureUrl('a.txt').replace('/a.txt?', '/b.txt?');
    await assert.rejects(authenticate(toAuthRequest(await capturePresigned(recorder, url)), lookup), {
      code: 'SignatureDoesNotMatch',
    });
  });
});

describe('V4 presigned URL (signatureUrlV4)', () => {
  test('GET with queries (one empty) and an additional header verifies', async () => {
    const client = aliClient(ENDPOINTS.pathStyle(recorder.port));
    const url = await client.signatureUrlV4(
      'GET',
      600,
      {
        headers: { 'x-oss-meta-a': '1', 'cache-control': 'no-cache' },
        queries: { 'response-content-type': 'text/plain; charset=utf-8', prefix: '' },
      },
      KEY,
      ['Cache-Control'],
    );
    assert.match(url, /x-oss-additional-headers=cache-control/);
    const req = toAuthRequest(
      await capturePresigned(recorder, url, 'GET', { 'x-oss-meta-a': '1', 'cache-control': 'no-cache' }),
    );

    assert.deepEqual(await authenticate(req, lookup), {
      kind: 'signed',
      accessKeyId: AK,
      version: 'v4',
      presigned: true,
      target: { bucket: BUCKET, key: KEY },
      region: 'cn-hangzhou',
    });

    const otherHeader = toAuthRequest(
      await capturePresigned(recorder, url, 'GET', { 'x-oss-meta-a': '1', 'cache-control': 'max-age=5' }),
    );
    await assert.rejects(authenticate(otherHeader, lookup), { code: 'SignatureDoesNotMatch' });
  });

  test('STS x-oss-security-token is signed', async () => {
    const client = aliClient({ ...ENDPOINTS.pathStyle(recorder.port), stsToken: 'STS.tok', refreshSTSTokenInterval: 3600000 });
    const url = await client.signatureUrlV4('GET', 60, undefined, KEY);
    assert.match(url, /x-oss-security-token=STS.tok/);
    assert.equal((await authenticate(toAuthRequest(await capturePresigned(recorder, url)), lookup)).kind, 'signed');
    const tampered = await capturePresigned(recorder, url.replace('STS.tok', 'STS.bad'));
    await assert.rejects(authenticate(toAuthRequest(tampered), lookup), { code: 'SignatureDoesNotMatch' });
  });

  test('expired URL → AccessDenied; valid up to x-oss-date + x-oss-expires', async () => {
    const client = aliClient(ENDPOINTS.pathStyle(recorder.port));
    const req = toAuthRequest(await capturePresigned(recorder, await client.signatureUrlV4('GET', 60, undefined, KEY)));
    const date = req.query.find(([n]) => n === 'x-oss-date')![1];
    const signedAt = Date.parse(date.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'));

    assert.equal((await authenticate(req, lookup, new Date(signedAt + 60000))).kind, 'signed');
    await assert.rejects(authenticate(req, lookup, new Date(signedAt + 61000)), {
      code: 'AccessDenied',
      message: 'Request has expired.',
    });
  });

  test('x-oss-expires outside 1..604800 → InvalidArgument', async () => {
    const client = aliClient(ENDPOINTS.pathStyle(recorder.port));
    for (const expires of [0, 604801]) {
      const url = await client.signatureUrlV4('GET', expires, undefined, KEY);
      await assert.rejects(authenticate(toAuthRequest(await capturePresigned(recorder, url)), lookup), {
        code: 'InvalidArgument',
        message: /x-oss-expires/,
      });
    }
  });

  test('tampered query value → SignatureDoesNotMatch', async () => {
    const client = aliClient(ENDPOINTS.pathStyle(recorder.port));
    const url = await client.signatureUrlV4('GET', 60, { queries: { versionId: 'v1' } }, KEY);
    await assert.rejects(authenticate(toAuthRequest(await capturePresigned(recorder, url.replace('versionId=v1', 'versionId=v2'))), lookup), {
      code: 'SignatureDoesNotMatch',
    });
  });
});
