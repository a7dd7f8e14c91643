/**
 * Every way the RPC front refuses a request: the Code, HTTP status and JSON envelope, and that a
 * refused RotateMasterKey changes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_VERSION } from '../../src/admin/service';
import { MAX_BODY_BYTES } from '../../src/rpc/request';
import { ACCESS_KEY_ID, startTestServer, type TestServer } from '../helpers/server';
import {
  REQUEST_ID, assertRpcError, popClient, rpcHttp, rpcTime, signV1, v1Params, v1Request, v3Headers, v3Request, type PopError,
} from './helpers';

let srv: TestServer;
before(async () => { srv = await startTestServer(); });
after(async () => { await srv.close(); });

const MINUTE = 60_000;

test('a wrong secret: SignatureDoesNotMatch (400) with the server\'s string to sign; nothing rotates', async () => {
  const before = await srv.running.masterKeys.list();
  await assert.rejects(
    popClient(srv.kmsUrl, { accessKeySecret: 'wrong' }).request('RotateMasterKey', {}, { method: 'POST' }),
    (err: PopError) => {
      assert.equal(err.code, 'SignatureDoesNotMatch');
      assert.equal(err.entry.response.statusCode, 400);
      assert.match(err.data.Message, /server string to sign is:POST&%2F&AccessKeyId%3D/);
      assert.match(err.data.RequestId, REQUEST_ID);
      assert.equal(err.data.HostId, new URL(srv.kmsUrl).host);
      return true;
    },
  );
  const res = await v1Request(srv.kmsUrl, 'GET', signV1('GET', v1Params('RotateMasterKey'), 'wrong'));
  assertRpcError(res, 400, 'SignatureDoesNotMatch', /^Specified signature is not matched with our calculation\. server string to sign is:GET&%2F&/);
  assert.deepEqual(await srv.running.masterKeys.list(), before);
});

test('a signature made for another method or over other params does not match', async () => {
  const params = v1Params('DescribeStatus');
  assertRpcError(await v1Request(srv.kmsUrl, 'POST', signV1('GET', params)), 400, 'SignatureDoesNotMatch');
  const signed = signV1('GET', params);
  assertRpcError(await v1Request(srv.kmsUrl, 'GET', { ...signed, Action: 'RotateMasterKey' }), 400, 'SignatureDoesNotMatch');
});

test('an unknown AccessKeyId: InvalidAccessKeyId.NotFound (404)', async () => {
  const res = await v1Request(srv.kmsUrl, 'GET', signV1('GET', v1Params('DescribeStatus', { AccessKeyId: 'LTAInobody' })));
  assertRpcError(res, 404, 'InvalidAccessKeyId.NotFound', /LTAInobody/);
});

test('Timestamp / x-acs-date: more than 15 minutes off → InvalidTimeStamp.Expired; malformed or missing → IllegalTimestamp', async () => {
  const at = (offset: number): string => rpcTime(new Date(Date.now() + offset));
  for (const offset of [-16 * MINUTE, 16 * MINUTE]) {
    assertRpcError(await v1Request(srv.kmsUrl, 'GET', signV1('GET', v1Params('DescribeStatus', { Timestamp: at(offset) }))), 400, 'InvalidTimeStamp.Expired');
    assertRpcError(await v3Request(srv.kmsUrl, { action: 'DescribeStatus', date: at(offset) }), 400, 'InvalidTimeStamp.Expired');
  }
  // Inside the window either way is fine.
  for (const offset of [-14 * MINUTE, 14 * MINUTE]) {
    const res = await v1Request(srv.kmsUrl, 'GET', signV1('GET', v1Params('DescribeStatus', { Timestamp: at(offset) })));
    assert.equal(res.status, 200, JSON.stringify(res.body));
  }
  for (const Timestamp of ['2024-01-01 00:00:00', 'yesterday', undefined]) {
    assertRpcError(await v1Request(srv.kmsUrl, 'GET', signV1('GET', v1Params('DescribeStatus', { Timestamp }))), 400, 'IllegalTimestamp', /Timestamp/);
  }
  assertRpcError(await v3Request(srv.kmsUrl, { action: 'DescribeStatus', date: 'Mon, 01 Jan 2024 00:00:00 GMT' }), 400, 'IllegalTimestamp', /x-acs-date/);
});

test('a replayed request (same nonce) is refused with SignatureNonceUsed, V1 GET/POST and V3', async () => {
  for (const method of ['GET', 'POST'] as const) {
    const signed = signV1(method, v1Params('DescribeStatus'));
    assert.equal((await v1Request(srv.kmsUrl, method, signed)).status, 200);
    assertRpcError(await v1Request(srv.kmsUrl, method, signed), 400, 'SignatureNonceUsed', new RegExp(signed.SignatureNonce!));
  }
  const headers = v3Headers(srv.kmsUrl, { action: 'DescribeStatus' });
  assert.equal((await rpcHttp(srv.kmsUrl, { method: 'POST', headers })).status, 200);
  assertRpcError(await rpcHttp(srv.kmsUrl, { method: 'POST', headers }), 400, 'SignatureNonceUsed');
});

test('a request that fails authentication does not spend its nonce', async () => {
  const params = v1Params('DescribeStatus');
  assertRpcError(await v1Request(srv.kmsUrl, 'GET', signV1('GET', params, 'wrong')), 400, 'SignatureDoesNotMatch');
  assert.equal((await v1Request(srv.kmsUrl, 'GET', signV1('GET', params))).status, 200);
});

test('methods other than GET and POST: UnsupportedHTTPMethod (403)', async () => {
  const signed = new URLSearchParams(signV1('GET', v1Params('DescribeStatus'))).toString();
  for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
    const res = await rpcHttp(srv.kmsUrl, { method, path: `/?${signed}`, body: 'ignored body' });
    assertRpcError(res, 403, 'UnsupportedHTTPMethod', new RegExp(method));
  }
  const head = await rpcHttp(srv.kmsUrl, { method: 'HEAD', path: `/?${signed}` });
  assert.equal(head.status, 403);
  assert.match(String(head.headers['x-acs-request-id']), REQUEST_ID);
});

test('a missing or malformed signature: IncompleteSignature (400)', async () => {
  assertRpcError(await rpcHttp(srv.kmsUrl, {}), 400, 'IncompleteSignature', /Signature/);
  const unsigned = v1Params('DescribeStatus');
  assertRpcError(await v1Request(srv.kmsUrl, 'GET', unsigned), 400, 'IncompleteSignature', /Signature is missing/);
  for (const [name, value] of [['SignatureNonce', undefined], ['AccessKeyId', undefined], ['SignatureMethod', 'HMAC-SHA256'], ['SignatureVersion', '2.0']] as const) {
    const res = await v1Request(srv.kmsUrl, 'GET', signV1('GET', v1Params('DescribeStatus', { [name]: value })));
    assertRpcError(res, 400, 'IncompleteSignature', new RegExp(name));
  }
  const v3 = { action: 'DescribeStatus' };
  assertRpcError(await v3Request(srv.kmsUrl, v3, { authorization: 'ACS3-HMAC-SHA256 Credential=x,SignedHeaders=host' }), 400, 'IncompleteSignature');
  assertRpcError(await v3Request(srv.kmsUrl, v3, { authorization: 'Bearer abc' }), 400, 'IncompleteSignature');
  for (const header of ['x-acs-signature-nonce', 'x-acs-content-sha256', 'host']) {
    assertRpcError(await v3Request(srv.kmsUrl, { ...v3, unsigned: [header] }), 400, 'IncompleteSignature', new RegExp(`SignedHeaders must include ${header}`));
  }
});

test('V3: a wrong secret, a changed signed header or a body other than the one hashed do not match', async () => {
  assertRpcError(await v3Request(srv.kmsUrl, { action: 'DescribeStatus', secret: 'wrong' }), 400, 'SignatureDoesNotMatch', /ACS3-HMAC-SHA256\n[0-9a-f]{64}$/);
  assertRpcError(await v3Request(srv.kmsUrl, { action: 'DescribeStatus' }, { 'x-acs-action': 'RotateMasterKey' }), 400, 'SignatureDoesNotMatch');
  const form = { action: 'DescribeStatus', body: 'A=1', contentType: 'application/x-www-form-urlencoded' };
  assertRpcError(await v3Request(srv.kmsUrl, form, { 'x-acs-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855' }),
    400, 'SignatureDoesNotMatch', /x-acs-content-sha256/);
});

test('dispatch: unknown action → InvalidAction.NotFound (404), unknown version → InvalidVersion (400), no action → MissingParameter', async () => {
  for (const action of ['CreateKey', 'constructor', '__proto__', 'toString']) {
    const res = await v1Request(srv.kmsUrl, 'GET', signV1('GET', v1Params(action)));
    assertRpcError(res, 404, 'InvalidAction.NotFound', new RegExp(`${action} is not found in version ${ADMIN_VERSION}`));
  }
  assertRpcError(await v3Request(srv.kmsUrl, { action: 'CreateKey' }), 404, 'InvalidAction.NotFound');
  for (const Version of ['2099-01-01', 'hasOwnProperty']) {
    const res = await v1Request(srv.kmsUrl, 'GET', signV1('GET', v1Params('DescribeStatus', { Version })));
    assertRpcError(res, 400, 'InvalidVersion', new RegExp(`${Version} is not valid; this endpoint serves .*${ADMIN_VERSION}`));
  }
  assertRpcError(await v3Request(srv.kmsUrl, { action: 'DescribeStatus', version: '2099-01-01' }), 400, 'InvalidVersion');
  // An action of another API served here is not an admin action.
  assertRpcError(await v1Request(srv.kmsUrl, 'GET', signV1('GET', v1Params('DescribeStatus', { Version: '2016-01-20' }))), 404, 'InvalidAction.NotFound');
  assertRpcError(await v1Request(srv.kmsUrl, 'GET', signV1('GET', v1Params('DescribeStatus', { Action: undefined }))), 400, 'MissingParameter', /Action/);
  assertRpcError(await v1Request(srv.kmsUrl, 'GET', signV1('GET', v1Params('DescribeStatus', { Version: undefined }))), 400, 'MissingParameter', /Version/);
});

test('V1 does not sign headers, so x-acs-action / x-acs-version are not taken from them', async () => {
  const params = signV1('GET', v1Params('DescribeStatus', { Action: undefined }));
  const res = await v1Request(srv.kmsUrl, 'GET', params, { 'x-acs-action': 'RotateMasterKey', 'x-acs-version': ADMIN_VERSION });
  assertRpcError(res, 400, 'MissingParameter', /Action/);
});

test('malformed requests: another path, a repeated param, an oversized body', async () => {
  const signed = new URLSearchParams(signV1('GET', v1Params('DescribeStatus'))).toString();
  assertRpcError(await rpcHttp(srv.kmsUrl, { path: `/kms?${signed}` }), 404, 'InvalidAction.NotFound', /\/kms/);
  assertRpcError(await rpcHttp(srv.kmsUrl, { path: `/?${signed}&RegionId=a&RegionId=b` }), 400, 'InvalidParameter', /RegionId/);
  const posted = signV1('POST', v1Params('DescribeStatus'));
  const inBoth = await rpcHttp(srv.kmsUrl, {
    method: 'POST', path: `/?AccessKeyId=${ACCESS_KEY_ID}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(posted).toString(),
  });
  assertRpcError(inBoth, 400, 'InvalidParameter', /AccessKeyId/);
  const big = `${new URLSearchParams(posted).toString()}&Pad=${'x'.repeat(MAX_BODY_BYTES)}`;
  const res = await rpcHttp(srv.kmsUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: big });
  assertRpcError(res, 400, 'ParseRequestParameterException', new RegExp(String(MAX_BODY_BYTES)));
});
