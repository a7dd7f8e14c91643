/**
 * The credential cache: a RAM key (secret, status, policies) is read from the store once and
 * then served from memory; a change made through this process's RamStore is seen at once, one
 * made by another process on the same store within CREDENTIAL_CACHE_TTL_MS, never later.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { CREDENTIAL_CACHE_TTL_MS, CredentialStore } from '../../src/iam/credentials';
import { idOf, KIND } from '../../src/iam/ram/records';
import { RamStore } from '../../src/iam/ram/store';
import { AttachPolicyToUser, CreatePolicy } from '../../src/ram/policies';
import { CreateAccessKey, CreateUser, UpdateAccessKey } from '../../src/ram/users';
import { SqliteMetadataStore } from '../../src/store/sqlite/metadata-store';
import { Clock } from '../kms/helpers';
import { tempDir } from '../helpers/server';

const dir = tempDir('coffer-credentials-');
const file = path.join(dir, 'meta.db');
const rootKey = randomBytes(32);
const stores: SqliteMetadataStore[] = [];
after(async () => {
  for (const s of stores) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** One server process's view: its own store connections, RamStore and credential cache. */
function serverProcess(clock: Clock): { ram: RamStore; credentials: CredentialStore } {
  const meta = SqliteMetadataStore.open(file);
  stores.push(meta);
  const ram = new RamStore(meta, rootKey, '1234567890123456');
  const credentials = new CredentialStore('1234567890123456', { accessKeyId: 'LTAIroot', secret: 'root-secret' }, ram, clock.now);
  ram.onChange(() => credentials.invalidate());
  return { ram, credentials };
}

const params = (p: Record<string, string>): Map<string, string> => new Map(Object.entries(p));
const OBJ = 'acs:oss:*:1234567890123456:b/k';
const none = (): undefined => undefined;

test('a key is cached; this process\'s changes are seen at once, another process\'s after the TTL', async () => {
  const clock = new Clock();
  const a = serverProcess(clock);
  const b = serverProcess(clock);

  const { User } = await CreateUser(a.ram, params({ UserName: 'cached' })) as { User: { UserId: string } };
  const { AccessKey } = await CreateAccessKey(a.ram, params({ UserName: 'cached' })) as { AccessKey: { AccessKeyId: string; AccessKeySecret: string } };
  const id = AccessKey.AccessKeyId;

  const first = (await a.credentials.lookup(id))!;
  assert.equal(first.secret, AccessKey.AccessKeySecret);
  assert.equal(first.active, true);
  assert.deepEqual(first.principal, { kind: 'user', accountId: '1234567890123456', accessKeyId: id, userName: 'cached', userId: User.UserId });
  assert.equal(first.permissions!.evaluate('oss:GetObject', OBJ, none), null);
  assert.equal(await a.credentials.lookup(id), first, 'served from memory');

  // Through this process's RamStore: at once.
  await CreatePolicy(a.ram, params({ PolicyName: 'read', PolicyDocument: JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: 'oss:Get*', Resource: '*' }] }) }));
  await AttachPolicyToUser(a.ram, params({ PolicyType: 'Custom', PolicyName: 'read', UserName: 'cached' }));
  assert.equal((await a.credentials.lookup(id))!.permissions!.evaluate('oss:GetObject', OBJ, none), 'Allow');

  // Through another process: not before the TTL has passed, and then at once.
  await UpdateAccessKey(b.ram, params({ UserName: 'cached', UserAccessKeyId: id, Status: 'Inactive' }));
  assert.equal((await b.credentials.lookup(id))!.active, false);
  clock.advance(CREDENTIAL_CACHE_TTL_MS - 1);
  assert.equal((await a.credentials.lookup(id))!.active, true, 'still the cached key within the TTL');
  clock.advance(1);
  assert.equal((await a.credentials.lookup(id))!.active, false);

  // A user deleted behind its back (directly in the store) loses its key the same way.
  await b.ram.mutate(async (tx) => { await tx.deleteDoc(KIND.user, idOf('cached')); });
  assert.ok(await a.credentials.lookup(id));
  clock.advance(CREDENTIAL_CACHE_TTL_MS);
  assert.equal(await a.credentials.lookup(id), null);
});

test('the root key needs no store, unknown ids are answered null, and concurrent lookups share one load', async () => {
  const clock = new Clock();
  const { ram, credentials } = serverProcess(clock);
  const root = (await credentials.lookup('LTAIroot'))!;
  assert.deepEqual([root.principal.kind, root.active, root.permissions], ['root', true, null]);
  assert.equal(await credentials.lookup('LTAInobody'), null);

  await CreateUser(ram, params({ UserName: 'shared-load' }));
  const id = ((await CreateAccessKey(ram, params({ UserName: 'shared-load' }))) as { AccessKey: { AccessKeyId: string } }).AccessKey.AccessKeyId;
  const [x, y] = await Promise.all([credentials.lookup(id), credentials.lookup(id)]);
  assert.equal(x, y);
});
