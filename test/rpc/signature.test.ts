/** The V1 and V3 signatures against the test vectors of reference kms-api.md §1.3 and §1.4. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  popEncode, sha256Hex, v1Signature, v1StringToSign, v3CanonicalRequest, v3Signature, v3StringToSign, type Pair,
} from '../../src/rpc/signature';

const SECRET = 'testsecret';
const pairs = (o: Record<string, string>): Pair[] => Object.entries(o);

test('popEncode leaves only A-Z a-z 0-9 - _ . ~ and encodes the rest as upper-case %XX', () => {
  assert.equal(popEncode("a b*~!'()+/=&é"), 'a%20b%2A~%21%27%28%29%2B%2F%3D%26%C3%A9');
  assert.equal(popEncode('AZaz09-_.~'), 'AZaz09-_.~');
});

test('V1: the Alibaba doc example (GET, no nonce)', () => {
  const sts = v1StringToSign('GET', pairs({
    AccessKeyId: 'testid', Action: 'CreateKey', Format: 'json', SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0',
    Timestamp: '2016-03-28T03:13:08Z', Version: '2016-01-20',
  }));
  assert.equal(sts, 'GET&%2F&AccessKeyId%3Dtestid%26Action%3DCreateKey%26Format%3Djson%26SignatureMethod%3DHMAC-SHA1'
    + '%26SignatureVersion%3D1.0%26Timestamp%3D2016-03-28T03%253A13%253A08Z%26Version%3D2016-01-20');
  assert.equal(v1Signature(SECRET, sts), '41wk2SSX1GJh7fwnc5eqOfiJPFg=');
});

test('V1: rpc-client style (POST, params in any order, Signature itself excluded)', () => {
  const params = pairs({
    Action: 'GenerateDataKey', Format: 'json', Version: '2016-01-20', Timestamp: '2024-01-01T00:00:00Z',
    SignatureNonce: '0123456789abcdef0123456789abcdef', KeyId: 'alias/acs/oss', KeySpec: 'AES_256',
    SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0', AccessKeyId: 'testak', Signature: 'ignored',
  });
  assert.equal(v1Signature(SECRET, v1StringToSign('POST', params)), '5uE/5yY/0oHHPEUDXR21iitPcu8=');
});

test('V1: pop-core style (GET, +, / and = in a value, JSON with a space)', () => {
  const params = pairs({
    AccessKeyId: 'testak', Action: 'Decrypt', CiphertextBlob: 'AAAA+/==', EncryptionContext: '{"a":"b c"}', Format: 'JSON',
    SignatureMethod: 'HMAC-SHA1', SignatureNonce: 'n1', SignatureVersion: '1.0', Timestamp: '2024-01-01T00:00:00Z',
    Version: '2016-01-20',
  });
  assert.equal(v1Signature(SECRET, v1StringToSign('GET', params)), 'JpoPmZXfnTsrtGIRp3s/ZfsNyd4=');
  // The method is part of what is signed.
  assert.notEqual(v1Signature(SECRET, v1StringToSign('POST', params)), 'JpoPmZXfnTsrtGIRp3s/ZfsNyd4=');
});

test('V3: the GenerateDataKey vector — canonical request, its hash and the signature', () => {
  const emptyHash = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
  assert.equal(sha256Hex(Buffer.alloc(0)), emptyHash);
  const canonical = v3CanonicalRequest({
    method: 'POST',
    path: '/',
    query: pairs({ NumberOfBytes: '32', KeyId: 'alias/acs/oss', EncryptionContext: '{"bucket":"b1"}' }),
    headers: {
      host: ['127.0.0.1:9001'],
      'x-acs-action': ['GenerateDataKey'],
      'x-acs-version': ['2016-01-20'],
      'x-acs-date': ['2024-01-01T00:00:00Z'],
      'x-acs-signature-nonce': ['0123456789abcdef0123456789abcdef'],
      'x-acs-content-sha256': [emptyHash],
      'user-agent': ['not signed'],
    },
    signedHeaders: ['host', 'x-acs-action', 'x-acs-content-sha256', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-version'],
    hashedPayload: emptyHash,
  });
  assert.equal(canonical, [
    'POST',
    '/',
    'EncryptionContext=%7B%22bucket%22%3A%22b1%22%7D&KeyId=alias%2Facs%2Foss&NumberOfBytes=32',
    'host:127.0.0.1:9001',
    'x-acs-action:GenerateDataKey',
    `x-acs-content-sha256:${emptyHash}`,
    'x-acs-date:2024-01-01T00:00:00Z',
    'x-acs-signature-nonce:0123456789abcdef0123456789abcdef',
    'x-acs-version:2016-01-20',
    '',
    'host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version',
    emptyHash,
  ].join('\n'));
  assert.equal(sha256Hex(canonical), '0be75cb10252bfb37b88b378b975d3e47fed0fade2f2b850505da81759f2e65e');
  const sts = v3StringToSign(canonical);
  assert.equal(sts, 'ACS3-HMAC-SHA256\n0be75cb10252bfb37b88b378b975d3e47fed0fade2f2b850505da81759f2e65e');
  assert.equal(v3Signature(SECRET, sts), '260aa8d71a5e0cf2795f3bef065b6daf8b30b1be9b1b30208954a66480258de2');
});

test('V3: a repeated header signs its trimmed values sorted and comma-joined; an empty value is name=', () => {
  const canonical = v3CanonicalRequest({
    method: 'GET', path: '/', query: pairs({ b: '', a: '1' }), headers: { 'x-acs-multi': [' z ', 'a'] },
    signedHeaders: ['x-acs-multi'], hashedPayload: 'h',
  });
  assert.equal(canonical, 'GET\n/\na=1&b=\nx-acs-multi:a,z\n\nx-acs-multi\nh');
});
