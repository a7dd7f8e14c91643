import assert from 'node:assert/strict';
import { test } from 'node:test';
import { authenticate, type AuthRequest } from '../../src/auth';
import { AK, SECRET, aliSignUtils as sign, lookup } from './capture';

// Forms sent by oss2 / the Go SDK (reference §0 #3, #4 and §2.4), signed with ali-oss's own helpers.

const NOW = new Date('2026-03-04T05:06:07Z');
const HTTP_DATE = NOW.toUTCString();
const V4_DATE = '20260304T050607Z';

test('V1 with a Date header and no x-oss-date (oss2, Go) verifies', async () => {
  const headers = { date: HTTP_DATE, 'content-type': 'application/octet-stream', 'x-oss-meta-a': 'b' };
  // ali-oss's helper only knows x-oss-date; its `expires` slot is the date line, so pass Date there.
  const stringToSign = sign.buildCanonicalString('PUT', '/bkt/a b.bin', { headers, parameters: { acl: '' } }, HTTP_DATE);
  const req: AuthRequest = {
    method: 'PUT',
    headers: { ...headers, authorization: `OSS ${AK}:${sign.computeSignature(SECRET, stringToSign)}` },
    rawPath: '/bkt/a%20b.bin',
    query: [['acl', '']],
    targets: [{ bucket: 'bkt', key: 'a b.bin' }],
  };
  assert.equal((await authenticate(req, lookup, NOW)).kind, 'signed');
  // When both are present, x-oss-date is the signed one (ali-oss's helper signs x-oss-date).
  const later = new Date(NOW.getTime() + 60000).toUTCString();
  const bothHeaders = { ...headers, 'x-oss-date': later };
  const both = {
    ...req,
    headers: {
      ...bothHeaders,
      authorization: `OSS ${AK}:${sign.computeSignature(SECRET, sign.buildCanonicalString('PUT', '/bkt/a b.bin', { headers: bothHeaders, parameters: { acl: '' } }))}`,
    },
  };
  assert.equal((await authenticate(both, lookup, NOW)).kind, 'signed');
});

test('V1: oss2 list_objects_v2 first page signs the empty continuation-token bare', async () => {
  const headers = { date: HTTP_DATE };
  const stringToSign = sign.buildCanonicalString('GET', '/bkt/', { headers, parameters: { 'continuation-token': '' } }, HTTP_DATE);
  assert.match(stringToSign, /\n\/bkt\/\?continuation-token$/);
  const req: AuthRequest = {
    method: 'GET',
    headers: { ...headers, authorization: `OSS ${AK}:${sign.computeSignature(SECRET, stringToSign)}` },
    rawPath: '/bkt/',
    query: [['list-type', '2'], ['continuation-token', ''], ['prefix', ''], ['max-keys', '100']],
    targets: [{ bucket: 'bkt' }],
  };
  assert.equal((await authenticate(req, lookup, NOW)).kind, 'signed');
});

test('V4 oss2 style: every empty parameter bare, ", " separators, AdditionalHeaders last and unsorted', async () => {
  const headers = {
    'x-oss-date': V4_DATE,
    'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
    'x-oss-meta-k': 'v',
    'cache-control': 'no-cache',
    'accept-encoding': 'identity',
  };
  // strictNullHandling: a null value is written as a bare name, which is what oss2 does for every empty value.
  const canonicalRequest = sign.getCanonicalRequest(
    'GET',
    { headers, queries: { 'list-type': '2', prefix: null, delimiter: '/', 'continuation-token': null } },
    'bkt',
    undefined,
    ['accept-encoding', 'cache-control'],
  );
  assert.match(canonicalRequest, /\ncontinuation-token&delimiter=%2F&list-type=2&prefix\n/);
  const signature = sign.getSignatureV4(SECRET, '20260304', 'cn-hangzhou', sign.getStringToSign('cn-hangzhou', V4_DATE, canonicalRequest));
  const req: AuthRequest = {
    method: 'GET',
    headers: {
      ...headers,
      authorization: `OSS4-HMAC-SHA256 Credential=${AK}/20260304/cn-hangzhou/oss/aliyun_v4_request, Signature=${signature}, AdditionalHeaders=cache-control;accept-encoding`,
    },
    rawPath: '/bkt/',
    query: [['list-type', '2'], ['prefix', ''], ['delimiter', '/'], ['continuation-token', '']],
    targets: [{ bucket: 'bkt' }],
  };
  assert.deepEqual(await authenticate(req, lookup, NOW), {
    kind: 'signed',
    accessKeyId: AK,
    version: 'v4',
    presigned: false,
    target: { bucket: 'bkt' },
    region: 'cn-hangzhou',
  });
  const changed = { ...req, headers: { ...req.headers, 'cache-control': 'max-age=0' } };
  await assert.rejects(authenticate(changed, lookup, NOW), { code: 'SignatureDoesNotMatch' });
});
