import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  SUB_RESOURCES,
  signV1,
  signV4,
  signaturesEqual,
  uriEncode,
  v1CanonicalResource,
  v1StringToSign,
  v4CanonicalQuery,
  v4CanonicalRequest,
  v4CanonicalUri,
  v4StringToSign,
} from '../../src/auth';
import { aliSignUtils as ali } from './capture';

// The pure functions against ali-oss's own implementation of the same step.

describe('V1', () => {
  test('v1CanonicalResource: paths, sorted sub-resources, empty ones bare, values decoded, others dropped', () => {
    const query: Array<[string, string]> = [
      ['uploadId', 'u+1/2'],
      ['prefix', 'p'],
      ['acl', ''],
      ['response-content-type', 'text/x y'],
      ['max-keys', '5'],
      ['partNumber', '3'],
    ];
    assert.equal(v1CanonicalResource({}, []), '/');
    assert.equal(v1CanonicalResource({ bucket: 'b' }, [['prefix', 'x']]), '/b/');
    assert.equal(
      v1CanonicalResource({ bucket: 'b', key: 'd/é f' }, query),
      '/b/d/é f?acl&partNumber=3&response-content-type=text/x y&uploadId=u+1/2',
    );
    assert.equal(
      v1CanonicalResource({ bucket: 'b', key: 'd/é f' }, query),
      ali.buildCanonicalString('GET', '/b/d/é f', {
        headers: {},
        parameters: { uploadId: 'u+1/2', acl: '', 'response-content-type': 'text/x y', partNumber: '3' },
      }).split('\n').at(-1),
    );
  });

  test('v1StringToSign and signV1 agree with ali-oss', () => {
    const headers = {
      'content-md5': 'XUFAKrxLKna5cZ2REBfFkg==',
      'content-type': 'text/plain',
      'x-oss-date': 'Wed, 04 Mar 2026 05:06:07 GMT',
      'x-oss-meta-b': '  two ',
      'x-oss-meta-a': 'ünï',
      'cache-control': 'no-cache',
    };
    const stringToSign = v1StringToSign('put', headers, headers['x-oss-date'], '/b/k?acl');
    assert.equal(stringToSign, ali.buildCanonicalString('PUT', '/b/k', { headers, parameters: ['acl'] }));
    assert.equal(signV1('s3cr3t', stringToSign), ali.computeSignature('s3cr3t', stringToSign));
  });

  test('the sub-resource list is the full §2.2 list', () => {
    assert.equal(SUB_RESOURCES.size, 103);
    for (const name of ['continuation-token', 'x-oss-process', 'security-token', 'resourcePoolBuckets']) assert.ok(SUB_RESOURCES.has(name));
    for (const name of ['prefix', 'marker', 'max-keys', 'OSSAccessKeyId', 'Expires', 'Signature']) assert.ok(!SUB_RESOURCES.has(name));
  });
});

describe('V4', () => {
  test('uriEncode keeps only unreserved characters (and "/" for paths)', () => {
    const text = "a b+c/é中!'()*~._-%";
    assert.equal(uriEncode(text), ali.getCanonicalRequest('GET', { headers: {}, queries: { [text]: null } }).split('\n')[2]);
    assert.equal(v4CanonicalUri({ bucket: 'b', key: text }), ali.getCanonicalRequest('GET', { headers: {} }, 'b', text).split('\n')[1]);
    assert.equal(v4CanonicalUri({ bucket: 'b' }), '/b/');
    assert.equal(v4CanonicalUri({}), '/');
  });

  test('v4CanonicalQuery: sorted by encoded name, both empty-value forms', () => {
    const query: Array<[string, string]> = [['prefix', ''], ['uploads', ''], ['max-uploads', '10'], ['a b', 'c+d']];
    assert.equal(v4CanonicalQuery(query, () => true), 'a%20b=c%2Bd&max-uploads=10&prefix&uploads');
    assert.equal(v4CanonicalQuery(query, (name) => SUB_RESOURCES.has(name)), 'a%20b=c%2Bd&max-uploads=10&prefix=&uploads');
  });

  test('v4CanonicalRequest, v4StringToSign and signV4 agree with ali-oss', () => {
    const headers = {
      'content-type': 'text/plain',
      'x-oss-date': '20260304T050607Z',
      'x-oss-content-sha256': 'UNSIGNED-PAYLOAD',
      'x-oss-meta-z': ' z ',
      'cache-control': 'no-cache',
      host: 'ignored',
    };
    const queries = { uploads: null, prefix: '' };
    const canonical = v4CanonicalRequest(
      'POST',
      v4CanonicalUri({ bucket: 'b', key: 'k y' }),
      v4CanonicalQuery([['uploads', ''], ['prefix', '']], (name) => SUB_RESOURCES.has(name)),
      headers,
      ['cache-control'],
    );
    assert.equal(canonical, ali.getCanonicalRequest('POST', { headers, queries }, 'b', 'k y', ['cache-control']));
    const scope = { day: '20260304', region: 'eu-west-1', product: 'oss' };
    const stringToSign = v4StringToSign(headers['x-oss-date'], scope, canonical);
    assert.equal(stringToSign, ali.getStringToSign('eu-west-1', headers['x-oss-date'], canonical));
    assert.equal(signV4('s3cr3t', scope, stringToSign), ali.getSignatureV4('s3cr3t', '20260304', 'eu-west-1', stringToSign));
  });
});

test('signaturesEqual', () => {
  assert.equal(signaturesEqual('abc=', 'abc='), true);
  assert.equal(signaturesEqual('abc=', 'abd='), false);
  assert.equal(signaturesEqual('abc=', 'abc'), false);
  assert.equal(signaturesEqual('abc', 'abc='), false);
  assert.equal(signaturesEqual('abc', ''), false);
});
