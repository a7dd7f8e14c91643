/**
 * `coffer kms …` through @alicloud/kms20160120 against a real server: key lifecycle, aliases,
 * rotation, encrypt/decrypt, and BYOK import with the material wrapped on the client (checked on
 * the wire: the bytes the CLI sends never contain the material).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertFails, KMS_REQUEST_ID, startCli, type Cli } from './helpers';

let cli: Cli;
before(async () => { cli = await startCli(); });
after(async () => { await cli.close(); });

/** What the server's KMS holds about a key, read directly (the CLI's own output is what is under test). */
const describeKey = async (id: string) => (await cli.srv.running.kms.DescribeKey({ KeyId: id })).KeyMetadata;
const created = async (args: string[] = []): Promise<string> => (await cli.json(['kms', 'create-key', ...args])).KeyMetadata.KeyId;

describe('key lifecycle', () => {
  test('create-key: human line, JSON as the API answers it (RequestId included), key spec and rotation', async () => {
    const human = await cli.run(['kms', 'create-key', '--description', 'for the CLI test']);
    assert.equal(human.code, 0, human.stderr);
    const id = /^Created key ([0-9a-f-]{36}) \(Aliyun_AES_256, Aliyun_KMS, Enabled\)\.\n$/.exec(human.stdout)?.[1];
    assert.ok(id, human.stdout);
    assert.equal((await describeKey(id)).Description, 'for the CLI test');

    const json = await cli.json(['kms', 'create-key', '--key-spec', 'Aliyun_SM4', '--rotation-interval', '30d']);
    assert.match(`RequestId ${json.RequestId}`, KMS_REQUEST_ID);
    assert.deepEqual([json.KeyMetadata.KeySpec, json.KeyMetadata.AutomaticRotation, json.KeyMetadata.RotationInterval], ['Aliyun_SM4', 'Enabled', '2592000s']);
  });

  test('list-keys and describe-key', async () => {
    const id = await created();
    const list = await cli.run(['kms', 'list-keys']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^KeyId +KeyArn\n/);
    assert.match(list.stdout, new RegExp(`\\n${id} +acs:kms:cn-hangzhou:\\d+:key/${id}\\n`));
    const json = await cli.json(['kms', 'list-keys']);
    assert.equal(json.TotalCount, json.Keys.length);
    assert.ok(json.Keys.some((k: { KeyId: string }) => k.KeyId === id));

    const describe = await cli.run(['kms', 'describe-key', '--key-id', id]);
    assert.equal(describe.code, 0, describe.stderr);
    assert.match(describe.stdout, new RegExp(`^CreationDate {8}: \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\n`));
    assert.match(describe.stdout, new RegExp(`\\nKeyId {15}: ${id}\\nKeyState {12}: Enabled\\n`));
  });

  test('disable, enable, schedule-deletion, cancel-deletion change the state', async () => {
    const id = await created();
    const state = async (): Promise<string> => (await describeKey(id)).KeyState;
    const disable = await cli.run(['kms', 'disable', '--key-id', id]);
    assert.equal(disable.stdout, `Disabled ${id}.\n`);
    assert.equal(await state(), 'Disabled');
    await cli.run(['kms', 'enable', '--key-id', id]);
    assert.equal(await state(), 'Enabled');
    const schedule = await cli.run(['kms', 'schedule-deletion', '--key-id', id, '--pending-window-days', '7']);
    assert.equal(schedule.code, 0, schedule.stderr);
    assert.match(schedule.stdout, /for deletion in 7 day\(s\)/);
    const meta = await describeKey(id);
    assert.equal(meta.KeyState, 'PendingDeletion');
    assert.ok(Math.abs(Date.parse(meta.DeleteDate!) - Date.now() - 7 * 86_400_000) < 120_000);
    // A key pending deletion cannot be used or enabled.
    assertFails(await cli.run(['kms', 'enable', '--key-id', id]), 1, /^coffer: Rejected\.StateModifiedFailed: EnableKey is not allowed: .* is PendingDeletion\. \(RequestId /);
    await cli.run(['kms', 'cancel-deletion', '--key-id', id]);
    assert.equal(await state(), 'Enabled');
  });

  test('create-alias, list-aliases; the alias works wherever a key id does', async () => {
    const id = await created();
    const r = await cli.run(['kms', 'create-alias', '--alias-name', 'alias/cli-test', '--key-id', id]);
    assert.equal(r.code, 0, r.stderr);
    const list = await cli.run(['kms', 'list-aliases']);
    assert.match(list.stdout, new RegExp(`\\nalias/cli-test +${id}\\n`));
    const describe = await cli.json(['kms', 'describe-key', '--key-id', 'alias/cli-test']);
    assert.equal(describe.KeyMetadata.KeyId, id);
    assertFails(await cli.run(['kms', 'create-alias', '--alias-name', 'alias/cli-test', '--key-id', id]), 1, /^coffer: AliasAlreadyExists: The alias alias\/cli-test already exists\./);
  });

  test('rotate makes a new primary version; older ciphertexts still decrypt', async () => {
    const id = await created();
    const before = await describeKey(id);
    const blob = (await cli.json(['kms', 'encrypt', '--key-id', id, '--plaintext', Buffer.from('before rotation').toString('base64')])).CiphertextBlob;
    const r = await cli.run(['kms', 'rotate', '--key-id', id]);
    assert.equal(r.code, 0, r.stderr);
    const version = /version (\S+) is now primary/.exec(r.stdout)![1];
    assert.notEqual(version, before.PrimaryKeyVersion);
    assert.equal((await describeKey(id)).PrimaryKeyVersion, version);
    const plain = await cli.run(['kms', 'decrypt', '--ciphertext-blob', blob]);
    assert.equal(Buffer.from(plain.stdout.trim(), 'base64').toString(), 'before rotation');
  });
});

describe('encrypt and decrypt', () => {
  test('round trip with an encryption context; a different context is refused with the KMS code', async () => {
    const id = await created();
    const data = randomBytes(100);
    const enc = await cli.run(['kms', 'encrypt', '--key-id', id, '--plaintext', data.toString('base64'), '--context', '{"bucket":"b","key":"k"}']);
    assert.equal(enc.code, 0, enc.stderr);
    const blob = enc.stdout.trim();
    const dec = await cli.run(['kms', 'decrypt', '--ciphertext-blob', blob, '--context', '{"key":"k","bucket":"b"}']);
    assert.equal(dec.code, 0, dec.stderr);
    assert.ok(Buffer.from(dec.stdout.trim(), 'base64').equals(data));
    const json = await cli.json(['kms', 'decrypt', '--ciphertext-blob', blob, '--context', '{"bucket":"b","key":"k"}']);
    assert.equal(json.KeyId, id);

    const wrong = await cli.run(['kms', 'decrypt', '--ciphertext-blob', blob, '--context', '{"bucket":"other","key":"k"}']);
    assertFails(wrong, 1, /^coffer: InvalidParameter: /);
    assert.match(wrong.stderr, KMS_REQUEST_ID);
    assert.equal(wrong.stdout, '');
  });

  test('bad input exits 2 before any request', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['encrypt', '--key-id', 'k', '--plaintext', 'not base64!'], /--plaintext must be base64/],
      [['encrypt', '--key-id', 'k', '--plaintext', 'aGk=', '--context', '{bad'], /--context must be a JSON object/],
      [['encrypt', '--key-id', 'k', '--plaintext', 'aGk=', '--context', '{"n":1}'], /values are strings/],
      [['decrypt', '--ciphertext-blob', '%%%'], /--ciphertext-blob must be base64/],
      [['encrypt', '--plaintext', 'aGk='], /required option '--key-id <id>' not specified/],
      [['schedule-deletion', '--key-id', 'k', '--pending-window-days', '3'], /--pending-window-days must be a whole number from 7 to 366/],
      [['import-key-material', '--key-id', 'k', '--material', 'no-such-file'], /cannot read --material no-such-file/],
      [['describe-key', '--key-id', 'k', '--kms-endpoint', 'ftp://127.0.0.1'], /--kms-endpoint must be an http:\/\/ or https:\/\/ URL/],
      [['nonsense'], /unknown command 'nonsense'/],
    ];
    await Promise.all(cases.map(async ([args, message]) => assertFails(await cli.run(['kms', ...args]), 2, message)));
  });

  test('API refusals exit 1 with Code, Message and RequestId: an unknown key, wrong credentials', async () => {
    const missing = await cli.run(['kms', 'describe-key', '--key-id', 'no-such-key']);
    assertFails(missing, 1, /^coffer: Forbidden\.KeyNotFound: The specified key no-such-key is not found\. \(RequestId /);
    assert.match(missing.stderr, KMS_REQUEST_ID);
    const wrong = await cli.run(['kms', 'list-keys', '--access-key-secret', 'wrong']);
    assertFails(wrong, 1, /^coffer: SignatureDoesNotMatch: /);
    assert.match(wrong.stderr, KMS_REQUEST_ID);
    assertFails(await cli.run(['kms', 'list-keys', '--kms-endpoint', 'http://127.0.0.1:1']), 1, /^coffer: cannot reach http:\/\/127\.0\.0\.1:1: ECONNREFUSED\n$/);
  });
});

/** A TCP relay to `target` that keeps every byte the client sends. */
async function recordingRelay(target: string): Promise<{ url: string; sent(): Buffer; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => { client.destroy(); upstream.destroy(); });
      s.on('close', () => sockets.delete(s));
    }
    client.on('data', (d: Buffer) => chunks.push(d));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    sent: () => Buffer.concat(chunks),
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

describe('BYOK: import-key-material', () => {
  test('an EXTERNAL key gets its material wrapped on the client; the material never appears on the wire; OSS then encrypts with it', async () => {
    const created = await cli.run(['kms', 'create-key', '--origin', 'EXTERNAL']);
    const id = /^Created key (\S+) \(Aliyun_AES_256, EXTERNAL, PendingImport\); import its material with coffer kms import-key-material\.\n$/.exec(created.stdout)?.[1];
    assert.ok(id, created.stdout);

    const material = randomBytes(32);
    const file = path.join(cli.dir, 'key.bin');
    writeFileSync(file, material);
    const relay = await recordingRelay(cli.srv.kmsUrl);
    try {
      const r = await cli.run(['kms', 'import-key-material', '--key-id', id, '--material', 'key.bin', '--kms-endpoint', relay.url]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `Imported key material into ${id}.\n`);
      const sent = relay.sent();
      const wire = sent.toString('latin1');
      assert.match(wire, /Action=GetParametersForImport/);
      assert.match(wire, /Action=ImportKeyMaterial/);
      const b64 = material.toString('base64');
      for (const form of [b64, encodeURIComponent(b64), material.toString('base64url'), material.toString('hex'), material.toString('hex').toUpperCase()]) {
        assert.ok(!wire.includes(form), `the material went out as ${form}`);
      }
      assert.equal(sent.indexOf(material), -1);
    } finally {
      await relay.close();
    }
    assert.equal((await describeKey(id)).KeyState, 'Enabled');

    // The imported key protects objects, as in the seeds' BYOK walk-through.
    await cli.srv.client().putBucket('byok-bucket');
    writeFileSync(path.join(cli.dir, '01.txt'), 'protected by my own key material\n');
    const up = await cli.run(['cp', '01.txt', 'oss://byok-bucket/', '--sse-algorithm', 'KMS', '--sse-key-id', id]);
    assert.equal(up.code, 0, up.stderr);
    const stat = await cli.run(['stat', 'oss://byok-bucket/01.txt']);
    assert.match(stat.stdout, new RegExp(`\\nX-Oss-Server-Side-Encryption: KMS\\nX-Oss-Server-Side-Encryption-Key-Id: ${id}\\n`));

    // Other material for the same key is refused.
    writeFileSync(file, randomBytes(32));
    assertFails(await cli.run(['kms', 'import-key-material', '--key-id', id, '--material', 'key.bin']), 1, /^coffer: InvalidKeyMaterial/);
  });
});
