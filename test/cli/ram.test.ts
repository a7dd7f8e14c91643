/**
 * `coffer ram …` through @alicloud/ram20150501 against a real server, and what the policies it
 * manages do to the other commands: a RAM user's key runs exactly what its policy allows.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertFails, KMS_REQUEST_ID, OSS_REQUEST_ID, startCli, type Cli } from './helpers';

let cli: Cli;
const BUCKET = 'ram-bucket';
before(async () => {
  cli = await startCli();
  const c = cli.srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
  await c.put('report.txt', Buffer.from('quarterly numbers\n'));
  writeFileSync(path.join(cli.dir, 'upload.txt'), 'from alice\n');
  writeFileSync(path.join(cli.dir, 'read-only.json'), JSON.stringify({
    Version: '1',
    Statement: [{ Effect: 'Allow', Action: ['oss:GetObject', 'oss:ListObjects'], Resource: [`acs:oss:*:*:${BUCKET}`, `acs:oss:*:*:${BUCKET}/*`] }],
  }));
});
after(async () => { await cli.close(); });

/** alice's key, once created. */
let alice: string[] = [];
let aliceKeyId = '';

test('create-user, list-users, create-access-key (the secret shown once)', async () => {
  const user = await cli.run(['ram', 'create-user', '--user-name', 'alice', '--display-name', 'Alice']);
  assert.equal(user.code, 0, user.stderr);
  assert.match(user.stdout, /^Created RAM user alice \(id \d+\)\.\n$/);
  const users = await cli.run(['ram', 'list-users']);
  assert.match(users.stdout, /^UserName +UserId +CreateDate\nalice +\d+ +\d{4}-\d\d-\d\dT/);

  const human = await cli.run(['ram', 'create-access-key', '--user-name', 'alice']);
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^AccessKeyId {5}: LTAI\w+\nAccessKeySecret : \S+\nStatus {10}: Active\nKeep the secret now: it cannot be shown again\.\n$/);
  const key = (await cli.json(['ram', 'create-access-key', '--user-name', 'alice'])).AccessKey;
  assert.equal(key.Status, 'Active');
  aliceKeyId = key.AccessKeyId;
  alice = ['--access-key-id', key.AccessKeyId, '--access-key-secret', key.AccessKeySecret];
});

test('a user without a policy is denied: exit 1 with AccessDenied and the request id', async () => {
  const r = await cli.run(['ls', `oss://${BUCKET}`, ...alice]);
  assertFails(r, 1, /^coffer: AccessDenied: .*oss:ListObjects/);
  assert.match(r.stderr, OSS_REQUEST_ID);
});

test('create-policy from a document, attach-policy: the user may read but not write, and not use KMS or RAM', async () => {
  const created = await cli.run(['ram', 'create-policy', '--policy-name', 'read-ram-bucket', '--document', 'read-only.json', '--description', 'read the bucket']);
  assert.equal(created.code, 0, created.stderr);
  assert.equal(created.stdout, 'Created policy read-ram-bucket (Custom).\n');
  const attached = await cli.run(['ram', 'attach-policy', '--policy-name', 'read-ram-bucket', '--user-name', 'alice']);
  assert.equal(attached.stdout, 'Attached Custom policy read-ram-bucket to alice.\n');
  const listed = await cli.run(['ram', 'list-policies', '--policy-type', 'Custom']);
  assert.match(listed.stdout, /\nread-ram-bucket +Custom +1 +read the bucket\n/);
  const all = await cli.json(['ram', 'list-policies']);
  assert.ok(all.Policies.some((p: { PolicyType: string }) => p.PolicyType === 'System'));

  const ls = await cli.run(['ls', `oss://${BUCKET}`, ...alice]);
  assert.equal(ls.code, 0, ls.stderr);
  assert.match(ls.stdout, /oss:\/\/ram-bucket\/report\.txt\n/);
  const get = await cli.run(['cp', `oss://${BUCKET}/report.txt`, 'report.txt', ...alice]);
  assert.equal(get.code, 0, get.stderr);

  const put = await cli.run(['cp', 'upload.txt', `oss://${BUCKET}/upload.txt`, ...alice]);
  assertFails(put, 1, /^coffer: AccessDenied: .*oss:PutObject on acs:oss:\*:\d+:ram-bucket\/upload\.txt\. \(RequestId [0-9A-F]{24}\)\n$/);
  await assert.rejects(cli.srv.client({ bucket: BUCKET }).head('upload.txt'), { status: 404 });
  const meta = await cli.run(['set-meta', `oss://${BUCKET}/report.txt`, 'X-Oss-Server-Side-Encryption:AES256', '--update', ...alice]);
  assertFails(meta, 1, /^coffer: AccessDenied: /);
  const kms = await cli.run(['kms', 'list-keys', ...alice]);
  assertFails(kms, 1, /^coffer: Forbidden\.NoPermission: .*kms:ListKeys/);
  assert.match(kms.stderr, KMS_REQUEST_ID);
  assertFails(await cli.run(['ram', 'create-user', '--user-name', 'mallory', ...alice]), 1, /^coffer: Forbidden\.NoPermission: /);
});

test('detach-policy takes the access away again', async () => {
  const r = await cli.run(['ram', 'detach-policy', '--policy-name', 'read-ram-bucket', '--user-name', 'alice']);
  assert.equal(r.stdout, 'Detached Custom policy read-ram-bucket from alice.\n');
  assertFails(await cli.run(['ls', `oss://${BUCKET}`, ...alice]), 1, /^coffer: AccessDenied: /);
});

test('update-access-key Inactive disables the key', async () => {
  await cli.run(['ram', 'attach-policy', '--policy-name', 'read-ram-bucket', '--user-name', 'alice']);
  assert.equal((await cli.run(['ls', `oss://${BUCKET}`, ...alice])).code, 0);
  const r = await cli.run(['ram', 'update-access-key', '--user-name', 'alice', '--user-access-key-id', aliceKeyId, '--status', 'Inactive']);
  assert.equal(r.stdout, `Access key ${aliceKeyId} of alice is now Inactive.\n`);
  assertFails(await cli.run(['ls', `oss://${BUCKET}`, ...alice]), 1, /^coffer: InvalidAccessKeyId: /);
});

test('refusals: duplicates and unknown names exit 1 with the RAM code; bad arguments exit 2', async () => {
  const dup = await cli.run(['ram', 'create-user', '--user-name', 'alice']);
  assertFails(dup, 1, /^coffer: EntityAlreadyExists\.User: /);
  assert.match(dup.stderr, KMS_REQUEST_ID);
  assertFails(await cli.run(['ram', 'attach-policy', '--policy-name', 'nope', '--user-name', 'alice']), 1, /^coffer: EntityNotExist\.Policy: /);
  writeFileSync(path.join(cli.dir, 'broken.json'), '{ "Version": ');
  const cases: Array<[string[], RegExp]> = [
    [['create-policy', '--policy-name', 'p', '--document', 'broken.json'], /--document broken\.json is not JSON/],
    [['create-policy', '--policy-name', 'p', '--document', 'missing.json'], /cannot read --document missing\.json/],
    [['update-access-key', '--user-name', 'alice', '--user-access-key-id', aliceKeyId, '--status', 'Paused'], /--status must be Active or Inactive/],
    [['list-policies', '--policy-type', 'Managed'], /--policy-type must be Custom or System/],
    [['create-user'], /required option '--user-name <name>' not specified/],
  ];
  await Promise.all(cases.map(async ([args, message]) => assertFails(await cli.run(['ram', ...args]), 2, message)));
});
