/**
 * NonceCache: replay refusal within the TTL, forgetting after it, and a memory bound per caller,
 * so that one valid key flooding the RPC port with fresh nonces throttles only itself; then the
 * same through a real server, its RPC listener and a RAM user's key.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { KMS_VERSION } from '../../src/kms/api';
import { NONCES_PER_CALLER, NonceCache } from '../../src/rpc/nonces';
import { newRamUser, type Credentials } from '../helpers/ram';
import { startTestServer, type TestServer } from '../helpers/server';
import { assertRpcError, signV1, v1Params, v1Request } from './helpers';

describe('NonceCache', () => {
  test('a nonce is refused while remembered, per access key, and accepted again once forgotten', () => {
    const cache = new NonceCache(1000, 10, 100);
    assert.equal(cache.claim('ak1', 'n', 0), 'fresh');
    assert.equal(cache.claim('ak1', 'n', 999), 'replayed');
    assert.equal(cache.claim('ak2', 'n', 999), 'fresh');
    // Remembered for at least the TTL, at most one slot longer.
    assert.equal(cache.claim('ak1', 'n', 1099), 'replayed');
    assert.equal(cache.claim('ak1', 'n', 1100), 'fresh');
  });

  test('a caller at its bound is refused new nonces (not its older ones forgotten) until they expire', () => {
    const cache = new NonceCache(1000, 2, 100);
    assert.equal(cache.claim('ak', 'a', 0), 'fresh');
    assert.equal(cache.claim('ak', 'b', 500), 'fresh');
    assert.equal(cache.claim('ak', 'c', 600), 'full');
    assert.equal(cache.claim('ak', 'a', 600), 'replayed');
    // 'a' (slot 0–100) is forgotten at 1100, making room; 'b' is still remembered.
    assert.equal(cache.claim('ak', 'c', 1100), 'fresh');
    assert.equal(cache.claim('ak', 'b', 1100), 'replayed');
  });

  test(`one caller sending more than its bound (${NONCES_PER_CALLER}) of distinct nonces does not lock another out`, () => {
    const cache = new NonceCache(30 * 60_000, NONCES_PER_CALLER);
    const t = 1_000_000;
    for (let i = 0; i < NONCES_PER_CALLER; i++) assert.equal(cache.claim('flooder', `n${i}`, t), 'fresh');
    assert.equal(cache.claim('flooder', 'one-more', t), 'full');
    assert.equal(cache.claim('flooder', 'n0', t), 'replayed');
    for (let i = 0; i < 1000; i++) assert.equal(cache.claim('victim', `n${i}`, t), 'fresh');
    assert.equal(cache.claim('victim', 'n0', t), 'replayed');
  });

  test('access key and nonce are kept apart (no collision through concatenation)', () => {
    const cache = new NonceCache(1000, 10);
    assert.equal(cache.claim('ab', 'c', 0), 'fresh');
    assert.equal(cache.claim('a', 'bc', 0), 'fresh');
  });

  test('memory is returned: once every slot expired, a caller starts from nothing', () => {
    const cache = new NonceCache(1000, 3, 100);
    for (const n of ['a', 'b', 'c']) cache.claim('ak', n, 0);
    assert.equal(cache.claim('ak', 'd', 0), 'full');
    assert.equal(cache.size, 3);
    assert.equal(cache.claim('other', 'x', 5000), 'fresh');
    assert.equal(cache.size, 1);
    for (const n of ['a', 'b', 'c']) assert.equal(cache.claim('ak', n, 5000), 'fresh');
  });
});

describe('through the RPC listener', () => {
  const CAP = 40;
  let srv: TestServer;
  let user: Credentials;
  before(async () => {
    srv = await startTestServer({ rpcNoncesPerCaller: CAP });
    user = await newRamUser(srv, 'bystander');
  });
  after(async () => { await srv.close(); });

  /** A signed DescribeRegions (no RAM check) by the root or `creds`, with a fresh nonce unless given. */
  const describeRegions = (creds?: Credentials, nonce?: string) => {
    const params = v1Params('DescribeRegions', { Version: KMS_VERSION, ...(creds ? { AccessKeyId: creds.accessKeyId } : {}), ...(nonce ? { SignatureNonce: nonce } : {}) });
    return signV1('GET', params, creds?.accessKeySecret);
  };

  test('after the root spends more than its bound of nonces, a RAM user still gets through; replays stay refused', async () => {
    // The RAM user's own setup calls (CreateUser, CreateAccessKey) were signed by the root too.
    let refusedAt = -1;
    const first = describeRegions();
    for (let i = 0; i <= CAP && refusedAt < 0; i++) {
      const res = await v1Request(srv.kmsUrl, 'GET', i === 0 ? first : describeRegions());
      if (res.status !== 200) {
        assertRpcError(res, 429, 'Rejected.Throttling');
        refusedAt = i;
      }
    }
    assert.ok(refusedAt >= 0 && refusedAt <= CAP, `the root was never throttled (${refusedAt})`);
    // The bystander's fresh requests pass; its replay, and the root's, are still refused.
    const own = describeRegions(user);
    assert.equal((await v1Request(srv.kmsUrl, 'GET', own)).status, 200);
    assert.equal((await v1Request(srv.kmsUrl, 'GET', describeRegions(user))).status, 200);
    assertRpcError(await v1Request(srv.kmsUrl, 'GET', own), 400, 'SignatureNonceUsed');
    assertRpcError(await v1Request(srv.kmsUrl, 'GET', first), 400, 'SignatureNonceUsed');
  });
});
