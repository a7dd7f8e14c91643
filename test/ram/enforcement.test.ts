/**
 * RAM policies gating OSS, with ali-oss signed by RAM users' keys: resource scoping by bucket and
 * by prefix (oss:Prefix on listings), explicit Deny, ACLs next to policies, conditions (source IP,
 * secure transport, request headers), presigned URLs carrying the signer's permissions,
 * Inactive and deleted keys, groups, and changes taking effect at once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { localhostClient } from '../helpers/oss-clients';
import { bytes, fetchUrl, rejectsWith, signedHttp } from '../helpers/oss-http';
import { attachPolicy, newRamUser, ossArn, Ram, ramClient, statement, userOss, type Credentials } from '../helpers/ram';
import { startTestServer, type TestServer } from '../helpers/server';
import { SSE } from '../helpers/sse';
import { v1Params, v1Request, signV1, assertRpcError } from '../rpc/helpers';

let srv: TestServer;
const data = bytes(5000, 9);

before(async () => {
  srv = await startTestServer();
  for (const bucket of ['alpha', 'beta', 'shared', 'public-read']) {
    const c = srv.client({ bucket });
    await c.putBucket(bucket, bucket === 'public-read' ? { acl: 'public-read' } : {});
    for (const key of ['top.txt', 'home/alice/a.txt', 'home/bob/b.txt', 'keep/k.txt']) await c.put(key, data);
  }
});
after(async () => { await srv.close(); });

/** A policy document of several statements. */
const policy = (...statements: object[]): object => ({ Version: '1', Statement: statements });
const allow = (action: string | string[], resource: string | string[], condition?: object): object =>
  ({ Effect: 'Allow', Action: action, Resource: resource, ...(condition ? { Condition: condition } : {}) });

const denied = (call: Promise<unknown>): Promise<unknown> => rejectsWith(call, 403, 'AccessDenied');

describe('resource scoping', () => {
  test('by bucket: a user allowed on alpha reads, lists and writes there, and nowhere else', async () => {
    const user = await newRamUser(srv, 'alpha-only', [{ name: 'alpha-all', document: statement('Allow', 'oss:*', [ossArn(srv, 'alpha'), ossArn(srv, 'alpha/*')]) }]);
    const alpha = userOss(srv, user, 'alpha');
    assert.ok((await alpha.get('top.txt')).content.equals(data));
    assert.ok((await alpha.list({})).objects.length >= 4);
    await alpha.put('new.txt', data);
    await alpha.delete('new.txt');
    const beta = userOss(srv, user, 'beta');
    await denied(beta.get('top.txt'));
    await denied(beta.list({}));
    await denied(beta.put('new.txt', data));
    await denied(beta.delete('top.txt'));
    await denied(userOss(srv, user).listBuckets());
    assert.ok((await srv.client({ bucket: 'beta' }).head('top.txt')).res.status === 200);
  });

  test('by prefix: home/alice/* for objects, oss:Prefix for listings; other prefixes and bare listings are refused', async () => {
    const user = await newRamUser(srv, 'alice', [{
      name: 'alice-home',
      document: policy(
        allow(['oss:GetObject', 'oss:PutObject', 'oss:DeleteObject'], ossArn(srv, 'shared/home/alice/*')),
        allow('oss:ListObjects', ossArn(srv, 'shared'), { StringLike: { 'oss:Prefix': 'home/alice/*' } }),
      ),
    }]);
    const c = userOss(srv, user, 'shared');
    assert.ok((await c.get('home/alice/a.txt')).content.equals(data));
    await c.put('home/alice/new.txt', data);
    const listed = await c.list({ prefix: 'home/alice/' });
    assert.deepEqual(listed.objects.map((o: any) => o.name).sort(), ['home/alice/a.txt', 'home/alice/new.txt']);
    await denied(c.list({ prefix: 'home/bob/' }));
    await denied(c.list({}));
    await denied(c.get('home/bob/b.txt'));
    await denied(c.put('home/bob/evil.txt', data));
    await denied(c.put('top.txt', data));
    // DeleteMultipleObjects checks every key: one refused key refuses all, and nothing is deleted.
    await denied(c.deleteMulti(['home/alice/new.txt', 'home/bob/b.txt']));
    assert.equal((await srv.client({ bucket: 'shared' }).head('home/alice/new.txt')).res.status, 200);
    await c.deleteMulti(['home/alice/new.txt']);
  });

  test('copies need oss:GetObject on the source and oss:PutObject on the target', async () => {
    const user = await newRamUser(srv, 'copier', [{
      name: 'copier', document: policy(allow('oss:GetObject', ossArn(srv, 'alpha/*')), allow('oss:PutObject', ossArn(srv, 'beta/copies/*'))),
    }]);
    const beta = userOss(srv, user, 'beta');
    await beta.copy('copies/top.txt', 'top.txt', 'alpha');
    assert.ok((await srv.client({ bucket: 'beta' }).get('copies/top.txt')).content.equals(data));
    await denied(beta.copy('elsewhere.txt', 'top.txt', 'alpha'));
    await denied(beta.copy('copies/from-beta.txt', 'top.txt', 'beta'));
  });
});

describe('explicit Deny', () => {
  test('beats the Allow of the same and of another policy, for what it covers only', async () => {
    const user = await newRamUser(srv, 'denied-deletes', [
      'AliyunOSSFullAccess',
      { name: 'no-deletes-in-keep', document: statement('Deny', 'oss:DeleteObject', ossArn(srv, '*/keep/*')) },
    ]);
    const c = userOss(srv, user, 'alpha');
    const err: any = await denied(c.delete('keep/k.txt'));
    assert.match(err.message, /explicit Deny covers oss:DeleteObject/);
    assert.equal((await srv.client({ bucket: 'alpha' }).head('keep/k.txt')).res.status, 200);
    await c.put('scratch.txt', data);
    await c.delete('scratch.txt');
    assert.ok((await c.get('keep/k.txt')).content.equals(data));
  });

  test('ACLs: a public-read bucket lets a user without any policy read, not write; a Deny beats the ACL', async () => {
    const none = await newRamUser(srv, 'no-policies');
    const c = userOss(srv, none, 'public-read');
    assert.ok((await c.get('top.txt')).content.equals(data));
    await denied(c.put('x.txt', data));
    await denied(userOss(srv, none, 'alpha').get('top.txt'));
    const blocked = await newRamUser(srv, 'deny-public', [{ name: 'deny-public-read', document: statement('Deny', 'oss:GetObject', ossArn(srv, 'public-read/*')) }]);
    await denied(userOss(srv, blocked, 'public-read').get('top.txt'));
  });
});

describe('conditions', () => {
  test('acs:SourceIp: a CIDR that excludes 127.0.0.1 refuses, one that includes it grants', async () => {
    const outside = await newRamUser(srv, 'from-10', [{ name: 'only-10', document: statement('Allow', 'oss:GetObject', '*', { IpAddress: { 'acs:SourceIp': '10.0.0.0/8' } }) }]);
    await denied(userOss(srv, outside, 'alpha').get('top.txt'));
    const inside = await newRamUser(srv, 'from-loopback', [{ name: 'only-loopback', document: statement('Allow', 'oss:GetObject', '*', { IpAddress: { 'acs:SourceIp': ['10.0.0.0/8', '127.0.0.0/8'] } }) }]);
    assert.ok((await userOss(srv, inside, 'alpha').get('top.txt')).content.equals(data));
    const notLoopback = await newRamUser(srv, 'not-loopback', [
      'AliyunOSSFullAccess',
      { name: 'deny-loopback', document: statement('Deny', 'oss:*', '*', { NotIpAddress: { 'acs:SourceIp': '10.0.0.0/8' } }) },
    ]);
    await denied(userOss(srv, notLoopback, 'alpha').get('top.txt'));
  });

  test('acs:SecureTransport is false over plain http: an Allow requiring TLS grants nothing, a Deny without TLS refuses', async () => {
    const tlsOnly = await newRamUser(srv, 'tls-only', [{ name: 'tls-only', document: statement('Allow', 'oss:GetObject', '*', { Bool: { 'acs:SecureTransport': 'true' } }) }]);
    await denied(userOss(srv, tlsOnly, 'alpha').get('top.txt'));
    const denyPlain = await newRamUser(srv, 'deny-plain', ['AliyunOSSReadOnlyAccess', { name: 'deny-plain', document: statement('Deny', 'oss:*', '*', { Bool: { 'acs:SecureTransport': 'false' } }) }]);
    await denied(userOss(srv, denyPlain, 'alpha').get('top.txt'));
  });

  test('oss:x-oss-server-side-encryption reads the request header: uploads must ask for AES256', async () => {
    const user = await newRamUser(srv, 'encrypting-writer', [{
      name: 'aes-only', document: statement('Allow', 'oss:PutObject', ossArn(srv, 'alpha/*'), { StringEquals: { 'oss:x-oss-server-side-encryption': 'AES256' } }),
    }]);
    const c = userOss(srv, user, 'alpha');
    await denied(c.put('plain.txt', data));
    const put = await c.put('aes.txt', data, { headers: { [SSE]: 'AES256' } });
    assert.equal(put.res.headers[SSE], 'AES256');
  });

  test('acs:CurrentTime: an Allow that expired grants nothing', async () => {
    const user = await newRamUser(srv, 'expired', [{ name: 'until-2020', document: statement('Allow', 'oss:GetObject', '*', { DateLessThan: { 'acs:CurrentTime': '2020-01-01T00:00:00Z' } }) }]);
    await denied(userOss(srv, user, 'alpha').get('top.txt'));
  });
});

test('presigned URLs carry the signer\'s permissions, checked at use', async () => {
  const reader = await newRamUser(srv, 'url-reader', [{ name: 'alpha-read', document: statement('Allow', 'oss:GetObject', ossArn(srv, 'alpha/*')) }]);
  const signer = (creds: Credentials, bucket: string): any => localhostClient(srv, { ...creds, bucket });
  const ok = await fetchUrl(srv, signer(reader, 'alpha').signatureUrl('top.txt', { expires: 600 }));
  assert.equal(ok.status, 200);
  assert.ok(ok.body.equals(data));
  assert.equal((await fetchUrl(srv, signer(reader, 'beta').signatureUrl('top.txt', { expires: 600 }))).status, 403);
  const put = await fetchUrl(srv, signer(reader, 'alpha').signatureUrl('up.txt', { method: 'PUT', expires: 600 }), { method: 'PUT', body: data });
  assert.equal(put.status, 403);

  // Revoking the permission revokes the URLs signed before.
  const url = signer(reader, 'alpha').signatureUrl('top.txt', { expires: 600 });
  await ramClient(srv).detachPolicyFromUser(new Ram.DetachPolicyFromUserRequest({ policyType: 'Custom', policyName: 'alpha-read', userName: 'url-reader' }));
  assert.equal((await fetchUrl(srv, url)).status, 403);
});

describe('access keys', () => {
  test('an Inactive key is refused (InvalidAccessKeyId on OSS, Forbidden.AccessKey on the RPC port) until it is Active again; a deleted one is unknown', async () => {
    const ram = ramClient(srv);
    const user = await newRamUser(srv, 'key-states', ['AliyunOSSReadOnlyAccess']);
    const c = userOss(srv, user, 'alpha');
    await c.get('top.txt');
    const update = (status: string) => ram.updateAccessKey(new Ram.UpdateAccessKeyRequest({ userName: 'key-states', userAccessKeyId: user.accessKeyId, status }));

    await update('Inactive');
    const err = await rejectsWith(c.get('top.txt'), 403, 'InvalidAccessKeyId');
    assert.match(err.message, /disabled/);
    const res = await signedHttp(srv, { bucket: 'alpha', key: 'top.txt', accessKeyId: user.accessKeyId, secret: user.accessKeySecret });
    assert.equal(res.status, 403);
    const rpc = await v1Request(srv.kmsUrl, 'GET', signV1('GET', v1Params('DescribeRegions', { AccessKeyId: user.accessKeyId, Version: '2016-01-20' }), user.accessKeySecret));
    assertRpcError(rpc, 403, 'Forbidden.AccessKey');

    await update('Active');
    assert.ok((await c.get('top.txt')).content.equals(data));

    await ram.deleteAccessKey(new Ram.DeleteAccessKeyRequest({ userName: 'key-states', userAccessKeyId: user.accessKeyId }));
    const gone = await rejectsWith(c.get('top.txt'), 403, 'InvalidAccessKeyId');
    assert.match(gone.message, /does not exist/);
    const rpcGone = await v1Request(srv.kmsUrl, 'GET', signV1('GET', v1Params('DescribeRegions', { AccessKeyId: user.accessKeyId, Version: '2016-01-20' }), user.accessKeySecret));
    assertRpcError(rpcGone, 404, 'InvalidAccessKeyId.NotFound');
  });

  test('the wrong secret for a RAM key is SignatureDoesNotMatch', async () => {
    const user = await newRamUser(srv, 'wrong-secret', ['AliyunOSSReadOnlyAccess']);
    await rejectsWith(userOss(srv, { ...user, accessKeySecret: 'x'.repeat(30) }, 'alpha').get('top.txt'), 403, 'SignatureDoesNotMatch');
  });
});

test('groups: members get the group\'s policies; leaving the group, or a detached policy, takes effect at once', async () => {
  const ram = ramClient(srv);
  const user = await newRamUser(srv, 'grouped');
  const c = userOss(srv, user, 'beta');
  await denied(c.get('top.txt'));
  await ram.createGroup(new Ram.CreateGroupRequest({ groupName: 'beta-readers' }));
  await ram.attachPolicyToGroup(new Ram.AttachPolicyToGroupRequest({ policyType: 'System', policyName: 'AliyunOSSReadOnlyAccess', groupName: 'beta-readers' }));
  await ram.addUserToGroup(new Ram.AddUserToGroupRequest({ groupName: 'beta-readers', userName: 'grouped' }));
  assert.ok((await c.get('top.txt')).content.equals(data));
  await ram.removeUserFromGroup(new Ram.RemoveUserFromGroupRequest({ groupName: 'beta-readers', userName: 'grouped' }));
  await denied(c.get('top.txt'));

  await attachPolicy(ram, 'grouped', { name: 'beta-get', document: statement('Allow', 'oss:GetObject', ossArn(srv, 'beta/*')) });
  assert.ok((await c.get('top.txt')).content.equals(data));
  await ram.createPolicyVersion(new Ram.CreatePolicyVersionRequest({ policyName: 'beta-get', policyDocument: JSON.stringify(statement('Allow', 'oss:GetObject', ossArn(srv, 'alpha/*'))), setAsDefault: true }));
  await denied(c.get('top.txt'));
  assert.ok((await userOss(srv, user, 'alpha').get('top.txt')).content.equals(data));
});

test('ListBuckets needs oss:ListBuckets on the account\'s buckets (acs:oss:*:<account>:*)', async () => {
  const user = await newRamUser(srv, 'bucket-lister', [{ name: 'list-buckets', document: statement('Allow', 'oss:ListBuckets', ossArn(srv, '*')) }]);
  const names = (await userOss(srv, user).listBuckets()).buckets.map((b: any) => b.name);
  assert.deepEqual(names.sort(), ['alpha', 'beta', 'public-read', 'shared']);
  await denied(userOss(srv, user, 'alpha').get('top.txt'));
});
