/**
 * Bucket policies (?policy) with ali-oss: put/get/delete and their validation, and the policies
 * people write: enforce encryption on every write path, refuse plain HTTP, grant one RAM user a
 * prefix, public read of a prefix; evaluated next to RAM policies and ACLs.
 */
import assert from 'node:assert/strict';
import https from 'node:https';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bytes, http, pathStyle, rejectsWith, signedHttp } from '../helpers/oss-http';
import { newRamUser, ossArn, Ram, ramClient, statement, userOss } from '../helpers/ram';
import { startTestServer, tempDir, type TestServer } from '../helpers/server';
import { selfSignedCert } from '../helpers/tools';

let srv: TestServer;
const data = bytes(3000, 5);

before(async () => {
  srv = await startTestServer();
});
after(async () => { await srv.close(); });

const denied = (call: Promise<unknown>): Promise<unknown> => rejectsWith(call, 403, 'AccessDenied');
const policy = (...statements: object[]): object => ({ Version: '1', Statement: statements });

async function newBucket(name: string): Promise<any> {
  const c = srv.client({ bucket: name });
  await c.putBucket(name);
  return c;
}

/** A raw PutBucketPolicy with the root key, for bodies ali-oss would not send. */
const putRaw = (bucket: string, body: string) => signedHttp(srv, { method: 'PUT', bucket, query: [['policy', '']], body });

describe('Put/Get/DeleteBucketPolicy', () => {
  test('round trip: the document comes back as put; none is NoSuchBucketPolicy', async () => {
    const c = await newBucket('bp-crud');
    const none = async (): Promise<void> => {
      // ali-oss answers a 404 here with { policy: null } rather than throwing.
      const r = await c.getBucketPolicy('bp-crud');
      assert.deepEqual([r.status, r.policy], [404, null]);
      assert.match(r.res.data.toString(), /<Code>NoSuchBucketPolicy<\/Code>/);
    };
    await none();
    const doc = policy({ Effect: 'Allow', Principal: ['*'], Action: ['oss:GetObject'], Resource: [ossArn(srv, 'bp-crud/pub/*')] });
    await c.putBucketPolicy('bp-crud', doc);
    assert.deepEqual((await c.getBucketPolicy('bp-crud')).policy, doc);
    await c.deleteBucketPolicy('bp-crud');
    await none();
  });

  test('refused documents: InvalidPolicyDocument naming the fault, and the old policy stays', async () => {
    await newBucket('bp-bad');
    const good = JSON.stringify(policy({ Effect: 'Deny', Principal: '*', Action: 'oss:DeleteObject', Resource: ossArn(srv, 'bp-bad/*') }));
    assert.equal((await putRaw('bp-bad', good)).status, 200);
    const cases: Array<[string, RegExp]> = [
      ['{"Version": "1", "Statement": [', /not valid JSON/],
      [JSON.stringify(policy({ Effect: 'Allow', Action: 'oss:GetObject', Resource: ossArn(srv, 'bp-bad/*') })), /Principal is required/],
      [JSON.stringify(policy({ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'oss:GetObject', Resource: ossArn(srv, 'bp-bad/*') })), /Principal/],
      [JSON.stringify(policy({ Effect: 'Allow', Principal: ['al*ce'], Action: 'oss:GetObject', Resource: ossArn(srv, 'bp-bad/*') })), /Principal "al\*ce"/],
      [JSON.stringify(policy({ Effect: 'Allow', Principal: '*', Action: 'oss:GetObject', Resource: ossArn(srv, 'other-bucket/*') })), /is not this bucket/],
      [JSON.stringify(policy({ Effect: 'Allow', Principal: '*', Action: 'oss:GetObject', Resource: '*' })), /is not this bucket/],
      [JSON.stringify(policy({ Effect: 'Allow', Principal: '*', Action: 'oss:FlyObject', Resource: ossArn(srv, 'bp-bad/*') })), /names no OSS action/],
      [JSON.stringify(policy({ Effect: 'Allow', Principal: '*', Action: 'kms:Decrypt', Resource: ossArn(srv, 'bp-bad/*') })), /names no OSS action/],
      [JSON.stringify(policy({ Effect: 'Maybe', Principal: '*', Action: 'oss:GetObject', Resource: ossArn(srv, 'bp-bad/*') })), /Effect/],
      [JSON.stringify(policy({ Effect: 'Allow', Principal: '*', Action: 'oss:GetObject', Resource: ossArn(srv, 'bp-bad/*'), Condition: { StringSorta: { 'oss:Prefix': 'a' } } })), /StringSorta/],
      [JSON.stringify({ Version: 1, Statement: [] }), /Version/],
      [JSON.stringify(policy({ Effect: 'Allow', Principal: '*', Action: 'oss:GetObject', Resource: [ossArn(srv, 'bp-bad/*'), ...Array.from({ length: 800 }, (_, i) => ossArn(srv, `bp-bad/k${i}`))] })), /at most 16384/],
    ];
    for (const [body, why] of cases) {
      const r = await putRaw('bp-bad', body);
      assert.equal(r.status, 400, body.slice(0, 80));
      assert.match(r.text, /<Code>InvalidPolicyDocument<\/Code>/);
      assert.match(r.text.replace(/&#34;/g, '"'), why);
    }
    assert.equal((await signedHttp(srv, { bucket: 'bp-bad', query: [['policy', '']] })).text, good);
  });

  test('RAM actions oss:PutBucketPolicy/GetBucketPolicy/DeleteBucketPolicy gate them', async () => {
    const c = await newBucket('bp-ram');
    const reader = await newRamUser(srv, 'bp-reader', [{ name: 'bp-reader', document: statement('Allow', 'oss:GetBucketPolicy', ossArn(srv, 'bp-ram')) }]);
    const doc = policy({ Effect: 'Deny', Principal: '*', Action: 'oss:DeleteObject', Resource: ossArn(srv, 'bp-ram/*') });
    await denied(userOss(srv, reader, 'bp-ram').putBucketPolicy('bp-ram', doc));
    await c.putBucketPolicy('bp-ram', doc);
    assert.deepEqual((await userOss(srv, reader, 'bp-ram').getBucketPolicy('bp-ram')).policy, doc);
    await denied(userOss(srv, reader, 'bp-ram').deleteBucketPolicy('bp-ram'));
    await denied(userOss(srv, reader, 'bp-ram').put('x.txt', data));
  });
});

describe('evaluation', () => {
  test('enforce encryption: writes without x-oss-server-side-encryption are refused on every path (root included)', async () => {
    const c = await newBucket('bp-sse');
    await c.put('plain-before.txt', data);
    await c.putBucketPolicy('bp-sse', policy({
      Effect: 'Deny', Principal: ['*'], Action: ['oss:PutObject'], Resource: [ossArn(srv, 'bp-sse/*')],
      Condition: { StringNotEquals: { 'oss:x-oss-server-side-encryption': ['AES256', 'KMS'] } },
    }));
    // A fresh object each time: ali-oss adds its own headers to the one it is given.
    const sse = (): { headers: Record<string, string> } => ({ headers: { 'x-oss-server-side-encryption': 'AES256' } });
    await denied(c.put('plain.txt', data));
    await c.put('enc.txt', data, sse());
    assert.equal((await c.head('enc.txt')).res.headers['x-oss-server-side-encryption'], 'AES256');
    await denied(c.copy('copy-plain.txt', 'enc.txt'));
    await c.copy('copy-enc.txt', 'enc.txt', sse());
    await denied(c.append('app.txt', data));
    await denied(c.initMultipartUpload('mp-plain.bin'));
    // Parts and Complete carry no SSE header of their own: the upload's encryption, set at Initiate, counts.
    const big = bytes(250 * 1024, 6);
    const dir = tempDir('coffer-bp-mp-');
    const file = path.join(dir, 'big.bin');
    writeFileSync(file, big);
    await c.multipartUpload('mp-enc.bin', file, { partSize: 128 * 1024, ...sse() });
    assert.ok((await c.get('mp-enc.bin')).content.equals(big));
    await denied(c.multipartUpload('mp-plain2.bin', file, { partSize: 128 * 1024 }));
    rmSync(dir, { recursive: true, force: true });
    // Reads and deletes are not what the statement covers.
    assert.ok((await c.get('plain-before.txt')).content.equals(data));
    await c.delete('plain-before.txt');
    const user = await newRamUser(srv, 'bp-sse-writer', [{ name: 'bp-sse-writer', document: statement('Allow', 'oss:PutObject', ossArn(srv, 'bp-sse/*')) }]);
    await denied(userOss(srv, user, 'bp-sse').put('u.txt', data));
    await userOss(srv, user, 'bp-sse').put('u.txt', data, sse());
  });

  test('the account root is never locked out of the policy itself', async () => {
    const c = await newBucket('bp-lockout');
    await c.putBucketPolicy('bp-lockout', policy({ Effect: 'Deny', Principal: '*', Action: 'oss:*', Resource: [ossArn(srv, 'bp-lockout'), ossArn(srv, 'bp-lockout/*')] }));
    await denied(c.put('k.txt', data));
    await denied(c.list({}));
    assert.ok((await c.getBucketPolicy('bp-lockout')).policy);
    await c.deleteBucketPolicy('bp-lockout');
    await c.put('k.txt', data);
  });

  test('one RAM user may read one prefix, and only that prefix; others get nothing from it', async () => {
    const c = await newBucket('bp-prefix');
    for (const k of ['team/a.txt', 'secret/s.txt']) await c.put(k, data);
    const ram = ramClient(srv);
    const carol = await newRamUser(srv, 'bp-carol');
    const dave = await newRamUser(srv, 'bp-dave');
    const carolId = (await ram.getUser(new Ram.GetUserRequest({ userName: 'bp-carol' }))).body!.user!.userId!;
    await c.putBucketPolicy('bp-prefix', policy(
      { Effect: 'Allow', Principal: [carolId], Action: ['oss:GetObject'], Resource: [ossArn(srv, 'bp-prefix/team/*')] },
      { Effect: 'Allow', Principal: ['bp-carol'], Action: ['oss:ListObjects'], Resource: [ossArn(srv, 'bp-prefix')], Condition: { StringLike: { 'oss:Prefix': 'team/*' } } },
    ));
    const asCarol = userOss(srv, carol, 'bp-prefix');
    assert.ok((await asCarol.get('team/a.txt')).content.equals(data));
    assert.deepEqual((await asCarol.list({ prefix: 'team/' })).objects.map((o: { name: string }) => o.name), ['team/a.txt']);
    await denied(asCarol.get('secret/s.txt'));
    await denied(asCarol.list({}));
    await denied(asCarol.put('team/new.txt', data));
    await denied(userOss(srv, dave, 'bp-prefix').get('team/a.txt'));
    assert.equal((await http(srv, { path: pathStyle('bp-prefix', 'team/a.txt') })).status, 403);
  });

  test('a RAM user\'s explicit Deny beats the bucket policy\'s Allow, and the bucket policy\'s Deny beats a RAM Allow', async () => {
    const c = await newBucket('bp-deny');
    await c.put('d/x.txt', data);
    const erin = await newRamUser(srv, 'bp-erin', [{ name: 'bp-erin-deny', document: statement('Deny', 'oss:GetObject', ossArn(srv, 'bp-deny/d/*')) }]);
    const frank = await newRamUser(srv, 'bp-frank', [{ name: 'bp-frank-all', document: statement('Allow', 'oss:*', '*') }]);
    await c.putBucketPolicy('bp-deny', policy(
      { Effect: 'Allow', Principal: ['bp-erin'], Action: 'oss:GetObject', Resource: ossArn(srv, 'bp-deny/*') },
      { Effect: 'Deny', Principal: ['bp-frank'], Action: 'oss:GetObject', Resource: ossArn(srv, 'bp-deny/d/*') },
    ));
    await denied(userOss(srv, erin, 'bp-deny').get('d/x.txt'));
    const err = await denied(userOss(srv, frank, 'bp-deny').get('d/x.txt')) as Error;
    assert.match(err.message, /bucket policy/);
    await userOss(srv, frank, 'bp-deny').put('d/y.txt', data);
  });

  test('public read of one prefix: anonymous GETs there succeed, elsewhere and for writes they are refused', async () => {
    const c = await newBucket('bp-public');
    for (const k of ['pub/p.txt', 'priv/q.txt']) await c.put(k, data);
    await c.putBucketPolicy('bp-public', policy({ Effect: 'Allow', Principal: ['*'], Action: ['oss:GetObject'], Resource: [ossArn(srv, 'bp-public/pub/*')] }));
    const pub = await http(srv, { path: pathStyle('bp-public', 'pub/p.txt') });
    assert.equal(pub.status, 200);
    assert.ok(pub.body.equals(data));
    assert.equal((await http(srv, { path: pathStyle('bp-public', 'priv/q.txt') })).status, 403);
    assert.equal((await http(srv, { method: 'PUT', path: pathStyle('bp-public', 'pub/new.txt'), body: 'x' })).status, 403);
    assert.equal((await http(srv, { path: pathStyle('bp-public') })).status, 403);
  });
});

describe('acs:SecureTransport', () => {
  const denyPlain = (bucket: string): object => policy({
    Effect: 'Deny', Principal: ['*'], Action: ['oss:*'], Resource: [ossArn(srv, bucket), ossArn(srv, `${bucket}/*`)],
    Condition: { Bool: { 'acs:SecureTransport': 'false' } },
  });

  test('over plain HTTP a deny-non-TLS policy refuses everything but managing the policy', async () => {
    const c = await newBucket('bp-tls');
    await c.put('k.txt', data);
    await c.putBucketPolicy('bp-tls', denyPlain('bp-tls'));
    await denied(c.get('k.txt'));
    await denied(c.put('k2.txt', data));
    await c.deleteBucketPolicy('bp-tls');
  });

  test('over TLS the same policy lets requests through', async () => {
    const dir = tempDir('coffer-bp-tls-');
    const { cert, key } = selfSignedCert(dir);
    const tls = await startTestServer({ tls: { cert, key } });
    try {
      const c = tls.client({ endpoint: `https://localhost:${tls.port}`, sldEnable: true, bucket: 'bp-tls2', httpsAgent: new https.Agent({ ca: readFileSync(cert) }) });
      await c.putBucket('bp-tls2');
      await c.putBucketPolicy('bp-tls2', policy({
        Effect: 'Deny', Principal: ['*'], Action: ['oss:*'],
        Resource: [`acs:oss:*:${tls.running.coffer.accountId}:bp-tls2`, `acs:oss:*:${tls.running.coffer.accountId}:bp-tls2/*`],
        Condition: { Bool: { 'acs:SecureTransport': 'false' } },
      }));
      await c.put('k.txt', data);
      assert.ok((await c.get('k.txt')).content.equals(data));
    } finally {
      await tls.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
