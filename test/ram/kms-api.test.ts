/**
 * The KMS API for RAM users, with @alicloud/kms20160120: every action checks kms:<Action> on its
 * resource (reference §5: the key ARN, also behind an alias or in a ciphertext blob; the alias
 * ARN; the key and alias containers) and refuses with Forbidden.NoPermission 403; kms:tag/<Key>
 * conditions see the key's tags; refusals are accounted like any other outcome.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { KMS_CALLS } from '../../src/kms/accounting';
import { bodyOf, createKey, Kms, kmsClient, kmsRejects, type KmsClient } from '../helpers/kms';
import { newRamUser, statement } from '../helpers/ram';
import { startTestServer, type TestServer } from '../helpers/server';

let srv: TestServer;
let root: KmsClient;
let keyA: string;
let keyB: string;

before(async () => {
  srv = await startTestServer({ metricsKeyIds: true });
  root = kmsClient(srv);
  keyA = await createKey(root);
  keyB = await createKey(root);
  await root.createAlias(new Kms.CreateAliasRequest({ keyId: keyA, aliasName: 'alias/key-a' }));
  await root.tagResource(new Kms.TagResourceRequest({ keyId: keyA, tags: JSON.stringify([{ TagKey: 'team', TagValue: 'red' }]) }));
});
after(async () => { await srv.close(); });

const arn = (resource: string): string => `acs:kms:${srv.region}:${srv.running.coffer.accountId}:${resource}`;
const encrypt = (kms: KmsClient, keyId: string) => kms.encrypt(new Kms.EncryptRequest({ keyId, plaintext: Buffer.from('hello').toString('base64') }));

test('a user without kms permissions is refused every key action with Forbidden.NoPermission; DescribeRegions needs none', async () => {
  const kms = kmsClient(srv, await newRamUser(srv, 'no-kms', ['AliyunOSSFullAccess']));
  await kmsRejects(kms.createKey(new Kms.CreateKeyRequest({})), 'Forbidden.NoPermission');
  await kmsRejects(kms.listKeys(new Kms.ListKeysRequest({})), 'Forbidden.NoPermission');
  await kmsRejects(kms.describeKey(new Kms.DescribeKeyRequest({ keyId: keyA })), 'Forbidden.NoPermission');
  await kmsRejects(encrypt(kms, keyA), 'Forbidden.NoPermission');
  await kmsRejects(kms.disableKey(new Kms.DisableKeyRequest({ keyId: keyA })), 'Forbidden.NoPermission');
  assert.equal(bodyOf(await root.describeKey(new Kms.DescribeKeyRequest({ keyId: keyA }))).keyMetadata.keyState, 'Enabled');
  assert.equal(bodyOf(await kms.describeRegions(new Kms.DescribeRegionsRequest({}))).regions.region[0].regionId, srv.region);
  assert.equal(bodyOf(await root.listKeys(new Kms.ListKeysRequest({}))).totalCount, 2, 'the refused CreateKey created nothing');
});

test('AliyunKMSFullAccess allows every action', async () => {
  const kms = kmsClient(srv, await newRamUser(srv, 'kms-admin', ['AliyunKMSFullAccess']));
  const own = bodyOf(await kms.createKey(new Kms.CreateKeyRequest({}))).keyMetadata.keyId;
  const sealed = bodyOf(await encrypt(kms, own));
  assert.equal(bodyOf(await kms.decrypt(new Kms.DecryptRequest({ ciphertextBlob: sealed.ciphertextBlob }))).plaintext, Buffer.from('hello').toString('base64'));
  await kms.scheduleKeyDeletion(new Kms.ScheduleKeyDeletionRequest({ keyId: own, pendingWindowInDays: 7 }));
});

test('a policy on one key ARN: that key (also by alias or ARN) is usable, the other key and the containers are not', async () => {
  const user = await newRamUser(srv, 'key-a-user', [{ name: 'key-a', document: statement('Allow', ['kms:Encrypt', 'kms:Decrypt', 'kms:DescribeKey'], arn(`key/${keyA}`)) }]);
  const kms = kmsClient(srv, user);
  const sealed = bodyOf(await encrypt(kms, keyA));
  assert.equal(sealed.keyId, keyA);
  assert.equal(bodyOf(await encrypt(kms, 'alias/key-a')).keyId, keyA);
  assert.equal(bodyOf(await encrypt(kms, arn(`key/${keyA}`))).keyId, keyA);
  await kmsRejects(encrypt(kms, keyB), 'Forbidden.NoPermission');
  await kmsRejects(kms.listKeys(new Kms.ListKeysRequest({})), 'Forbidden.NoPermission');
  await kmsRejects(kms.listAliases(new Kms.ListAliasesRequest({})), 'Forbidden.NoPermission');

  // Decrypt takes no KeyId: the key the blob names is the one judged.
  assert.ok(bodyOf(await kms.decrypt(new Kms.DecryptRequest({ ciphertextBlob: sealed.ciphertextBlob }))).plaintext);
  const sealedByB = bodyOf(await encrypt(root, keyB));
  await kmsRejects(kms.decrypt(new Kms.DecryptRequest({ ciphertextBlob: sealedByB.ciphertextBlob })), 'Forbidden.NoPermission');
});

test('aliases: CreateAlias needs kms:CreateAlias on the alias ARN and on the key ARN', async () => {
  const onAlias = await newRamUser(srv, 'alias-only', [{ name: 'alias-only', document: statement('Allow', 'kms:CreateAlias', arn('alias/team-*')) }]);
  await kmsRejects(kmsClient(srv, onAlias).createAlias(new Kms.CreateAliasRequest({ keyId: keyB, aliasName: 'alias/team-b' })), 'Forbidden.NoPermission');
  const both = await newRamUser(srv, 'alias-and-key', [{ name: 'alias-and-key', document: statement('Allow', 'kms:CreateAlias', [arn('alias/team-*'), arn(`key/${keyB}`)]) }]);
  await kmsClient(srv, both).createAlias(new Kms.CreateAliasRequest({ keyId: keyB, aliasName: 'alias/team-b' }));
  await kmsRejects(kmsClient(srv, both).createAlias(new Kms.CreateAliasRequest({ keyId: keyB, aliasName: 'alias/other-b' })), 'Forbidden.NoPermission');
  const aliases = bodyOf(await root.listAliasesByKeyId(new Kms.ListAliasesByKeyIdRequest({ keyId: keyB }))).aliases.alias.map((a) => a.aliasName);
  assert.deepEqual(aliases, ['alias/team-b']);
});

test('kms:tag/<TagKey> conditions see the key\'s tags', async () => {
  const user = await newRamUser(srv, 'red-team', [{ name: 'red-keys', document: statement('Allow', 'kms:Encrypt', '*', { StringEquals: { 'kms:tag/team': 'red' } }) }]);
  const kms = kmsClient(srv, user);
  assert.equal(bodyOf(await encrypt(kms, keyA)).keyId, keyA);
  await kmsRejects(encrypt(kms, keyB), 'Forbidden.NoPermission');
});

test('an explicit Deny beats AliyunKMSFullAccess; refusals are accounted with outcome Forbidden.NoPermission', async () => {
  const user = await newRamUser(srv, 'no-decrypt', ['AliyunKMSFullAccess', { name: 'deny-decrypt', document: statement('Deny', 'kms:Decrypt', '*') }]);
  const kms = kmsClient(srv, user);
  const sealed = bodyOf(await encrypt(kms, keyB));
  const before = srv.running.metrics.value(KMS_CALLS, { action: 'Decrypt', key: keyB, outcome: 'Forbidden.NoPermission', via: 'api' });
  await kmsRejects(kms.decrypt(new Kms.DecryptRequest({ ciphertextBlob: sealed.ciphertextBlob })), 'Forbidden.NoPermission');
  assert.equal(srv.running.metrics.value(KMS_CALLS, { action: 'Decrypt', key: keyB, outcome: 'Forbidden.NoPermission', via: 'api' }), before + 1);
});
