/**
 * The RPC front with real clients against a real server: pop-core over GET and POST, a V3
 * request as openapi-client signs it, and the admin actions' results.
 */
import assert from 'node:assert/strict';
import querystring from 'node:querystring';
import { after, before, test } from 'node:test';
import { newRamUser, statement } from '../helpers/ram';
import { startTestServer, type TestServer } from '../helpers/server';
import { REQUEST_ID, popClient, rpcHttp, signV1, v1Params, v3Request, type PopError } from './helpers';

const RPC_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

let srv: TestServer;
before(async () => { srv = await startTestServer(); });
after(async () => { await srv.close(); });

test('pop-core GET: DescribeStatus reports the version, storage use, master keys and uptime', async () => {
  const oss = srv.client({ bucket: 'status-bucket' });
  await oss.putBucket('status-bucket');
  await oss.put('a.txt', Buffer.from('hello'));
  const body = await popClient(srv.kmsUrl).request<Record<string, any>>('DescribeStatus', {});
  const versions = await srv.running.masterKeys.list();
  assert.match(body.RequestId, REQUEST_ID);
  assert.equal('Code' in body, false, 'a success body never has a Code (pop-core would throw)');
  assert.equal(body.ServerVersion, require('../../../package.json').version);
  // pop-core parses with json-bigint, which builds null-prototype objects.
  assert.deepEqual({ ...body.Storage }, { Buckets: 1, Objects: 1, Bytes: 5, MultipartUploads: 0 });
  const { Versions, ...counts } = body.MasterKeys;
  assert.deepEqual({ ...counts }, { Count: versions.length, CurrentVersion: versions.find((v) => v.current)!.version });
  assert.deepEqual(
    Versions.MasterKeyVersion.map((v: Record<string, unknown>) => ({ ...v })),
    versions.map((v) => ({ Version: v.version, CreationDate: new Date(v.createdAt).toISOString().replace(/\.\d{3}Z$/, 'Z'), Current: v.current })),
  );
  assert.match(body.StartTime, RPC_TIME);
  assert.ok(Date.parse(body.StartTime) <= Date.now());
  assert.ok(Number.isInteger(body.UptimeSeconds) && body.UptimeSeconds >= 0 && body.UptimeSeconds < 600);
});

test('pop-core POST (everything in a form body): RotateMasterKey adds a version and makes it current', async () => {
  const before = await srv.running.masterKeys.list();
  const next = Math.max(...before.map((v) => v.version)) + 1;
  const body = await popClient(srv.kmsUrl).request<Record<string, any>>('RotateMasterKey', {}, { method: 'POST' });
  assert.match(body.RequestId, REQUEST_ID);
  assert.equal(body.MasterKeyVersion, next);
  const listed = body.MasterKeyVersions.MasterKeyVersion as Array<Record<string, unknown>>;
  assert.deepEqual(listed.map((v) => [v.Version, v.Current]), [...before.map((v) => [v.version, false]), [next, true]]);
  for (const v of listed) assert.match(String(v.CreationDate), RPC_TIME);
  assert.equal((await srv.running.masterKeys.current()).version, next);
});

test('V3 (ACS3-HMAC-SHA256): action and version come from the signed x-acs-* headers', async () => {
  const res = await v3Request(srv.kmsUrl, { action: 'DescribeStatus', query: { RegionId: 'cn-hangzhou' } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.headers['content-type'], 'application/json;charset=utf-8');
  assert.equal(res.headers['x-acs-request-id'], res.body.RequestId);
  assert.equal(res.body.ServerVersion, require('../../../package.json').version);
});

test('V3 with a form body: the body is covered by x-acs-content-sha256 and its params are read', async () => {
  const res = await v3Request(srv.kmsUrl, {
    action: 'DescribeStatus', body: 'RegionId=cn-hangzhou&Note=x', contentType: 'application/x-www-form-urlencoded',
  });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.Storage.Buckets, 1);
});

test('V1 is verified over decoded params: a raw query leaving !\'()* unescaped (querystring.stringify) is accepted', async () => {
  // rpc-client builds URLs this way; unknown params (RegionId) and Format=XML are accepted, the answer is JSON.
  const params = signV1('GET', v1Params('DescribeStatus', { RegionId: "cn-(hangzhou)*!'", Note: 'a b+c', Format: 'XML' }));
  const path = `/?${querystring.stringify(params)}`;
  assert.match(path, /\(hangzhou\)\*!'/);
  const res = await rpcHttp(srv.kmsUrl, { path });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.headers['content-type'], 'application/json;charset=utf-8');
  assert.equal(res.body.Storage.Buckets, 1);
});

test('a RAM user gets Forbidden.NoPermission (403) and changes nothing, even with a policy allowing every action', async () => {
  const user = await newRamUser(srv, 'admin-probe', [{ name: 'everything', document: statement('Allow', '*', '*') }]);
  const before = await srv.running.masterKeys.list();
  const client = popClient(srv.kmsUrl, user);
  for (const action of ['RotateMasterKey', 'RewrapMasterKeys', 'DescribeStatus']) {
    await assert.rejects(client.request(action, {}, { method: 'POST' }), (err: PopError) => {
      assert.equal(err.code, 'Forbidden.NoPermission');
      assert.equal(err.entry.response.statusCode, 403);
      assert.match(err.data.Message, new RegExp(action));
      assert.match(err.data.RequestId, REQUEST_ID);
      return true;
    });
  }
  assert.deepEqual(await srv.running.masterKeys.list(), before);
});
