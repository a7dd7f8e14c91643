/**
 * The RAM API (2015-05-01) through @alicloud/ram20150501, which signs V3 (ACS3-HMAC-SHA256):
 * users, access keys (two at most, the secret shown once and stored only sealed), policies and
 * their versions, attachments, groups; RAM's error codes and statuses; invalid documents refused
 * with the fault named and nothing created; RAM users may not call RAM at all.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { filesContaining } from '../helpers/data-dir';
import { Ram, ramClient, ramRejects, statement, type RamClient } from '../helpers/ram';
import { startTestServer, type TestServer } from '../helpers/server';
import { encodings } from '../helpers/sse';

let srv: TestServer;
let ram: RamClient;
before(async () => {
  srv = await startTestServer();
  ram = ramClient(srv);
});
after(async () => { await srv.close(); });

const RAM_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const readOnly = JSON.stringify(statement('Allow', ['oss:Get*', 'oss:List*'], '*'));

const createUser = (userName: string, extra: Record<string, string> = {}) => ram.createUser(new Ram.CreateUserRequest({ userName, ...extra }));
const createKey = async (userName: string) => (await ram.createAccessKey(new Ram.CreateAccessKeyRequest({ userName }))).body!.accessKey!;
const createPolicy = (policyName: string, policyDocument: string, description?: string) =>
  ram.createPolicy(new Ram.CreatePolicyRequest({ policyName, policyDocument, description }));
const attachToUser = (policyType: string, policyName: string, userName: string) =>
  ram.attachPolicyToUser(new Ram.AttachPolicyToUserRequest({ policyType, policyName, userName }));
const policiesOf = async (userName: string) =>
  (await ram.listPoliciesForUser(new Ram.ListPoliciesForUserRequest({ userName }))).body!.policies!.policy!.map((p) => `${p.policyType}/${p.policyName}`);

describe('users', () => {
  test('CreateUser, GetUser, UpdateUser (rename), ListUsers, DeleteUser', async () => {
    const created = (await createUser('alice', { displayName: 'Alice A', email: 'alice@example.com', mobilePhone: '86-18600008888', comments: 'first' })).body!.user!;
    assert.match(created.userId!, /^[1-9]\d{15}$/);
    assert.deepEqual(
      { name: created.userName, display: created.displayName, email: created.email, phone: created.mobilePhone, comments: created.comments },
      { name: 'alice', display: 'Alice A', email: 'alice@example.com', phone: '86-18600008888', comments: 'first' },
    );
    assert.match(created.createDate!, RAM_TIME);
    const got = (await ram.getUser(new Ram.GetUserRequest({ userName: 'ALICE' }))).body!.user!;
    assert.equal(got.userId, created.userId, 'user names are case-insensitive');

    await createKey('alice');
    await attachToUser('System', 'AliyunOSSReadOnlyAccess', 'alice');
    const renamed = (await ram.updateUser(new Ram.UpdateUserRequest({ userName: 'alice', newUserName: 'alice2', newComments: 'renamed' }))).body!.user!;
    assert.deepEqual([renamed.userId, renamed.userName, renamed.comments, renamed.displayName], [created.userId, 'alice2', 'renamed', 'Alice A']);
    await ramRejects(ram.getUser(new Ram.GetUserRequest({ userName: 'alice' })), 'EntityNotExist.User', 404);
    assert.deepEqual(await policiesOf('alice2'), ['System/AliyunOSSReadOnlyAccess'], 'policies follow the rename');
    assert.equal((await ram.listAccessKeys(new Ram.ListAccessKeysRequest({ userName: 'alice2' }))).body!.accessKeys!.accessKey!.length, 1);

    assert.ok((await ram.listUsers(new Ram.ListUsersRequest({}))).body!.users!.user!.some((u) => u.userName === 'alice2'));
    await ramRejects(ram.deleteUser(new Ram.DeleteUserRequest({ userName: 'alice2' })), 'DeleteConflict.User.AccessKey', 409);
  });

  test('errors: EntityAlreadyExists.User 409, EntityNotExist.User 404, bad names and fields name the parameter', async () => {
    await createUser('bob');
    await ramRejects(createUser('Bob'), 'EntityAlreadyExists.User', 409);
    await ramRejects(ram.getUser(new Ram.GetUserRequest({ userName: 'nobody' })), 'EntityNotExist.User', 404);
    assert.match(await ramRejects(createUser('bad name!'), 'InvalidParameter.UserName.InvalidChars', 400), /UserName/);
    await ramRejects(createUser('x'.repeat(65)), 'InvalidParameter.UserName.Length', 400);
    await ramRejects(createUser('carol', { email: 'not-an-email' }), 'InvalidParameter.Email.Format', 400);
    await ramRejects(createUser('carol', { mobilePhone: '12345' }), 'InvalidParameter.MobilePhone.Format', 400);
    await ramRejects(ram.getUser(new Ram.GetUserRequest({ userName: 'carol' })), 'EntityNotExist.User', 404);
    await ramRejects(ram.createUser(new Ram.CreateUserRequest({})), 'MissingParameter', 400);
  });

  test('ListUsers pages with MaxItems and Marker', async () => {
    for (const n of ['page-a', 'page-b', 'page-c']) await createUser(n);
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page = (await ram.listUsers(new Ram.ListUsersRequest({ maxItems: 2, marker }))).body!;
      assert.ok(page.users!.user!.length <= 2);
      seen.push(...page.users!.user!.map((u) => u.userName!));
      marker = page.isTruncated ? page.marker : undefined;
      if (page.isTruncated) assert.ok(marker);
    } while (marker);
    assert.deepEqual(seen.filter((n) => n.startsWith('page-')), ['page-a', 'page-b', 'page-c']);
    assert.equal(new Set(seen).size, seen.length);
  });
});

describe('access keys', () => {
  test('two keys at most; the secret is returned once; ListAccessKeys never shows it; Update and Delete', async () => {
    await createUser('keys');
    const first = await createKey('keys');
    assert.match(first.accessKeyId!, /^LTAI[A-Za-z0-9]{20}$/);
    assert.match(first.accessKeySecret!, /^[A-Za-z0-9]{30}$/);
    assert.equal(first.status, 'Active');
    const second = await createKey('keys');
    await ramRejects(ram.createAccessKey(new Ram.CreateAccessKeyRequest({ userName: 'keys' })), 'LimitExceeded.User.AccessKey', 409);

    const listed = (await ram.listAccessKeys(new Ram.ListAccessKeysRequest({ userName: 'keys' }))).body!;
    assert.deepEqual(listed.accessKeys!.accessKey!.map((k) => k.accessKeyId).sort(), [first.accessKeyId, second.accessKeyId].sort());
    assert.ok(!JSON.stringify(listed).includes(first.accessKeySecret!), 'a secret in ListAccessKeys');
    assert.ok(!JSON.stringify(listed).includes('AccessKeySecret'));

    await ram.updateAccessKey(new Ram.UpdateAccessKeyRequest({ userName: 'keys', userAccessKeyId: first.accessKeyId, status: 'Inactive' }));
    const statuses = (await ram.listAccessKeys(new Ram.ListAccessKeysRequest({ userName: 'keys' }))).body!.accessKeys!.accessKey!;
    assert.equal(statuses.find((k) => k.accessKeyId === first.accessKeyId)!.status, 'Inactive');
    await ramRejects(ram.updateAccessKey(new Ram.UpdateAccessKeyRequest({ userName: 'keys', userAccessKeyId: first.accessKeyId, status: 'Paused' })), 'InvalidParameter', 400);

    await ram.deleteAccessKey(new Ram.DeleteAccessKeyRequest({ userName: 'keys', userAccessKeyId: first.accessKeyId }));
    await ramRejects(ram.deleteAccessKey(new Ram.DeleteAccessKeyRequest({ userName: 'keys', userAccessKeyId: first.accessKeyId })), 'EntityNotExist.User.AccessKey', 404);
    await createKey('keys');
    await createUser('other-keys');
    await ramRejects(
      ram.updateAccessKey(new Ram.UpdateAccessKeyRequest({ userName: 'other-keys', userAccessKeyId: second.accessKeyId, status: 'Inactive' })),
      'EntityNotExist.User.AccessKey', 404,
    );
    assert.match(await ramRejects(ram.createAccessKey(new Ram.CreateAccessKeyRequest({})), 'MissingParameter', 400), /UserName/);
  });

  test('a secret is stored only sealed: no file under the data directory (meta.db, its WAL) holds it in any encoding', async () => {
    await createUser('sealed');
    const key = await createKey('sealed');
    const secret = Buffer.from(key.accessKeySecret!);
    assert.deepEqual(filesContaining(srv.dataDir, encodings(secret)), []);
    // The id is there (so the scan can find what it looks for), the secret is not.
    assert.ok(filesContaining(srv.dataDir, [Buffer.from(key.accessKeyId!)]).some((f) => f.startsWith('meta.db')));
  });
});

describe('policies', () => {
  test('CreatePolicy, GetPolicy with AttachmentCount, ListPolicies (system and custom), DeletePolicy refused while attached', async () => {
    const created = (await createPolicy('read-only', readOnly, 'reads everything')).body!.policy!;
    assert.deepEqual([created.policyName, created.policyType, created.defaultVersion, created.description], ['read-only', 'Custom', 'v1', 'reads everything']);
    await createUser('pol-user');
    await attachToUser('Custom', 'read-only', 'pol-user');

    const got = (await ram.getPolicy(new Ram.GetPolicyRequest({ policyType: 'Custom', policyName: 'read-only' }))).body!;
    assert.equal(got.policy!.attachmentCount, 1);
    assert.equal(got.policy!.policyDocument, readOnly);
    assert.deepEqual([got.defaultPolicyVersion!.versionId, got.defaultPolicyVersion!.isDefaultVersion], ['v1', true]);

    const system = (await ram.listPolicies(new Ram.ListPoliciesRequest({ policyType: 'System' }))).body!.policies!.policy!.map((p) => p.policyName);
    assert.deepEqual(system, ['AliyunKMSFullAccess', 'AliyunOSSFullAccess', 'AliyunOSSReadOnlyAccess']);
    const custom = (await ram.listPolicies(new Ram.ListPoliciesRequest({ policyType: 'Custom' }))).body!.policies!.policy!;
    assert.equal(custom.find((p) => p.policyName === 'read-only')!.attachmentCount, 1);
    const sysDoc = (await ram.getPolicy(new Ram.GetPolicyRequest({ policyType: 'System', policyName: 'AliyunOSSFullAccess' }))).body!;
    assert.deepEqual(JSON.parse(sysDoc.defaultPolicyVersion!.policyDocument!).Statement, [{ Action: 'oss:*', Effect: 'Allow', Resource: '*' }]);

    await ramRejects(createPolicy('READ-ONLY', readOnly), 'EntityAlreadyExists.Policy', 409);
    await ramRejects(createPolicy('AliyunOSSFullAccess', readOnly), 'EntityAlreadyExists.Policy', 409);
    await ramRejects(ram.deletePolicy(new Ram.DeletePolicyRequest({ policyName: 'read-only' })), 'DeleteConflict.Policy.User', 409);
    await ramRejects(attachToUser('Custom', 'read-only', 'pol-user'), 'EntityAlreadyExists.User.Policy', 409);
    await ramRejects(attachToUser('Custom', 'no-such-policy', 'pol-user'), 'EntityNotExist.Policy', 404);
    await ramRejects(attachToUser('Sys', 'read-only', 'pol-user'), 'InvalidParameter.PolicyType', 400);

    await ram.detachPolicyFromUser(new Ram.DetachPolicyFromUserRequest({ policyType: 'Custom', policyName: 'read-only', userName: 'pol-user' }));
    await ramRejects(
      ram.detachPolicyFromUser(new Ram.DetachPolicyFromUserRequest({ policyType: 'Custom', policyName: 'read-only', userName: 'pol-user' })),
      'EntityNotExist.User.Policy', 404,
    );
    await ram.deletePolicy(new Ram.DeletePolicyRequest({ policyName: 'read-only' }));
    await ramRejects(ram.getPolicy(new Ram.GetPolicyRequest({ policyType: 'Custom', policyName: 'read-only' })), 'EntityNotExist.Policy', 404);
    await ramRejects(ram.deletePolicy(new Ram.DeletePolicyRequest({ policyName: 'AliyunOSSFullAccess' })), 'EntityNotExist.Policy', 404);
  });

  test('versions: CreatePolicyVersion with SetAsDefault, at most five, SetDefaultPolicyVersion, DeletePolicyVersion; DeletePolicy with CascadingDelete', async () => {
    await createPolicy('versioned', readOnly);
    const v2 = (await ram.createPolicyVersion(new Ram.CreatePolicyVersionRequest({
      policyName: 'versioned', policyDocument: JSON.stringify(statement('Allow', 'oss:GetObject', '*')), setAsDefault: true,
    }))).body!.policyVersion!;
    assert.deepEqual([v2.versionId, v2.isDefaultVersion], ['v2', true]);
    assert.equal((await ram.getPolicy(new Ram.GetPolicyRequest({ policyType: 'Custom', policyName: 'versioned' }))).body!.policy!.defaultVersion, 'v2');
    for (const n of [3, 4, 5]) {
      const v = (await ram.createPolicyVersion(new Ram.CreatePolicyVersionRequest({ policyName: 'versioned', policyDocument: readOnly }))).body!.policyVersion!;
      assert.deepEqual([v.versionId, v.isDefaultVersion], [`v${n}`, false]);
    }
    await ramRejects(ram.createPolicyVersion(new Ram.CreatePolicyVersionRequest({ policyName: 'versioned', policyDocument: readOnly })), 'LimitExceeded.Policy.Version', 409);
    const rotated = (await ram.createPolicyVersion(new Ram.CreatePolicyVersionRequest({
      policyName: 'versioned', policyDocument: readOnly, rotateStrategy: 'DeleteOldestNonDefaultVersionWhenLimitExceeded',
    }))).body!.policyVersion!;
    assert.equal(rotated.versionId, 'v6');
    const versions = async () => (await ram.listPolicyVersions(new Ram.ListPolicyVersionsRequest({ policyType: 'Custom', policyName: 'versioned' })))
      .body!.policyVersions!.policyVersion!.map((v) => v.versionId);
    assert.deepEqual(await versions(), ['v2', 'v3', 'v4', 'v5', 'v6'], 'v1, the oldest non-default version, made room');

    await ramRejects(ram.deletePolicyVersion(new Ram.DeletePolicyVersionRequest({ policyName: 'versioned', versionId: 'v2' })), 'DeleteConflict.Policy.Version.Default', 409);
    await ram.setDefaultPolicyVersion(new Ram.SetDefaultPolicyVersionRequest({ policyName: 'versioned', versionId: 'v6' }));
    await ram.deletePolicyVersion(new Ram.DeletePolicyVersionRequest({ policyName: 'versioned', versionId: 'v2' }));
    await ramRejects(ram.getPolicyVersion(new Ram.GetPolicyVersionRequest({ policyType: 'Custom', policyName: 'versioned', versionId: 'v2' })), 'EntityNotExist.Policy.Version', 404);
    await ramRejects(ram.getPolicyVersion(new Ram.GetPolicyVersionRequest({ policyType: 'Custom', policyName: 'versioned', versionId: 'latest' })), 'InvalidParameter.VersionId.Format', 400);
    assert.equal((await ram.getPolicyVersion(new Ram.GetPolicyVersionRequest({ policyType: 'Custom', policyName: 'versioned', versionId: 'v6' }))).body!.policyVersion!.isDefaultVersion, true);

    await ramRejects(ram.deletePolicy(new Ram.DeletePolicyRequest({ policyName: 'versioned' })), 'DeleteConflict.Policy.Version', 409);
    await createUser('cascade-user');
    await attachToUser('Custom', 'versioned', 'cascade-user');
    await ram.deletePolicy(new Ram.DeletePolicyRequest({ policyName: 'versioned', cascadingDelete: true }));
    assert.deepEqual(await policiesOf('cascade-user'), []);
    await ramRejects(ram.getPolicy(new Ram.GetPolicyRequest({ policyType: 'Custom', policyName: 'versioned' })), 'EntityNotExist.Policy', 404);
  });

  test('invalid documents are refused with MalformedPolicyDocument naming the fault, and nothing is created', async () => {
    const cases: Array<[string, RegExp]> = [
      ['{"Version": "1", "Statement": [', /not valid JSON/],
      [JSON.stringify({ Version: '1', Statement: [{ Effect: 'Permit', Action: 'oss:*', Resource: '*' }] }), /Statement 1: Effect must be "Allow" or "Deny", got "Permit"/],
      [JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Resource: '*' }] }), /Statement 1: Action \(or NotAction\) is required/],
      [JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:*', Resource: '*', Condition: { IpAddres: { 'acs:SourceIp': '10.0.0.0/8' } } }] }), /unknown condition operator "IpAddres"/],
      [JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:*', Resource: '*', Condition: { IpAddress: { 'acs:SourceIp': '10.0.0.0/40' } } }] }), /invalid prefix length/],
    ];
    for (const [document, fault] of cases) {
      assert.match(await ramRejects(createPolicy('bad-doc', document), 'MalformedPolicyDocument', 400), fault);
    }
    await ramRejects(ram.getPolicy(new Ram.GetPolicyRequest({ policyType: 'Custom', policyName: 'bad-doc' })), 'EntityNotExist.Policy', 404);
    await createPolicy('good-doc', readOnly);
    assert.match(await ramRejects(ram.createPolicyVersion(new Ram.CreatePolicyVersionRequest({ policyName: 'good-doc', policyDocument: '{}' })), 'MalformedPolicyDocument', 400), /Version must be "1"/);
    assert.equal((await ram.listPolicyVersions(new Ram.ListPolicyVersionsRequest({ policyType: 'Custom', policyName: 'good-doc' }))).body!.policyVersions!.policyVersion!.length, 1);
    const long = JSON.stringify({ Version: '1', Statement: Array.from({ length: 80 }, (_, i) => ({ Effect: 'Allow', Action: `oss:GetObject`, Resource: `acs:oss:*:*:bucket-${i}/*` })) });
    assert.ok(long.length > 6144);
    await ramRejects(createPolicy('too-long', long), 'InvalidParameter.PolicyDocument.Length', 400);
  });
});

describe('groups', () => {
  test('CreateGroup, AddUserToGroup, AttachPolicyToGroup, the List* views, and the delete conflicts', async () => {
    const group = (await ram.createGroup(new Ram.CreateGroupRequest({ groupName: 'readers', comments: 'read all' }))).body!.group!;
    assert.deepEqual([group.groupName, group.comments], ['readers', 'read all']);
    await ramRejects(ram.createGroup(new Ram.CreateGroupRequest({ groupName: 'Readers' })), 'EntityAlreadyExists.Group', 409);
    await createUser('member');
    await ram.addUserToGroup(new Ram.AddUserToGroupRequest({ groupName: 'readers', userName: 'member' }));
    await ramRejects(ram.addUserToGroup(new Ram.AddUserToGroupRequest({ groupName: 'readers', userName: 'member' })), 'EntityAlreadyExists.User.Group', 409);
    await ram.attachPolicyToGroup(new Ram.AttachPolicyToGroupRequest({ policyType: 'System', policyName: 'AliyunOSSReadOnlyAccess', groupName: 'readers' }));

    const groups = (await ram.listGroupsForUser(new Ram.ListGroupsForUserRequest({ userName: 'member' }))).body!.groups!.group!;
    assert.deepEqual(groups.map((g) => g.groupName), ['readers']);
    const members = (await ram.listUsersForGroup(new Ram.ListUsersForGroupRequest({ groupName: 'readers' }))).body!.users!.user!;
    assert.deepEqual(members.map((u) => u.userName), ['member']);
    const gp = (await ram.listPoliciesForGroup(new Ram.ListPoliciesForGroupRequest({ groupName: 'readers' }))).body!.policies!.policy!;
    assert.deepEqual(gp.map((p) => p.policyName), ['AliyunOSSReadOnlyAccess']);
    const entities = (await ram.listEntitiesForPolicy(new Ram.ListEntitiesForPolicyRequest({ policyType: 'System', policyName: 'AliyunOSSReadOnlyAccess' }))).body!;
    assert.deepEqual(entities.groups!.group!.map((g) => g.groupName), ['readers']);

    await ramRejects(ram.deleteGroup(new Ram.DeleteGroupRequest({ groupName: 'readers' })), 'DeleteConflict.Group.User', 409);
    await ramRejects(ram.deleteUser(new Ram.DeleteUserRequest({ userName: 'member' })), 'DeleteConflict.User.Group', 409);
    await ram.updateGroup(new Ram.UpdateGroupRequest({ groupName: 'readers', newGroupName: 'all-readers' }));
    assert.deepEqual((await ram.listGroupsForUser(new Ram.ListGroupsForUserRequest({ userName: 'member' }))).body!.groups!.group!.map((g) => g.groupName), ['all-readers']);
    await ram.removeUserFromGroup(new Ram.RemoveUserFromGroupRequest({ groupName: 'all-readers', userName: 'member' }));
    await ramRejects(ram.removeUserFromGroup(new Ram.RemoveUserFromGroupRequest({ groupName: 'all-readers', userName: 'member' })), 'EntityNotExist.User.Group', 404);
    await ramRejects(ram.deleteGroup(new Ram.DeleteGroupRequest({ groupName: 'all-readers' })), 'DeleteConflict.Group.Policy', 409);
    await ram.detachPolicyFromGroup(new Ram.DetachPolicyFromGroupRequest({ policyType: 'System', policyName: 'AliyunOSSReadOnlyAccess', groupName: 'all-readers' }));
    await ram.deleteGroup(new Ram.DeleteGroupRequest({ groupName: 'all-readers' }));
    await ramRejects(ram.getGroup(new Ram.GetGroupRequest({ groupName: 'all-readers' })), 'EntityNotExist.Group', 404);
    await ram.deleteUser(new Ram.DeleteUserRequest({ userName: 'member' }));
  });
});

test('RAM users may not call RAM, whatever their policies say: Forbidden.NoPermission 403, nothing changes', async () => {
  await createUser('ram-probe');
  const key = await createKey('ram-probe');
  await createPolicy('allow-everything', JSON.stringify(statement('Allow', '*', '*')));
  await attachToUser('Custom', 'allow-everything', 'ram-probe');
  const asUser = ramClient(srv, { accessKeyId: key.accessKeyId!, accessKeySecret: key.accessKeySecret! });
  assert.match(await ramRejects(asUser.createUser(new Ram.CreateUserRequest({ userName: 'sneaky' })), 'Forbidden.NoPermission', 403), /ram:CreateUser/);
  await ramRejects(asUser.listUsers(new Ram.ListUsersRequest({})), 'Forbidden.NoPermission', 403);
  await ramRejects(asUser.createAccessKey(new Ram.CreateAccessKeyRequest({ userName: 'ram-probe' })), 'Forbidden.NoPermission', 403);
  await ramRejects(ram.getUser(new Ram.GetUserRequest({ userName: 'sneaky' })), 'EntityNotExist.User', 404);
  assert.equal((await ram.listAccessKeys(new Ram.ListAccessKeysRequest({ userName: 'ram-probe' }))).body!.accessKeys!.accessKey!.length, 1);
});
