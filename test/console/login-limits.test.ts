/**
 * Console login throttling, against a real server whose clock the test moves: a brute force of
 * secrets is answered 429 with Retry-After, per AccessKey ID and per client address (the TCP
 * peer's, whatever X-Forwarded-For says); others are unaffected; the window ends; a success clears
 * the key's count; the tables stay bounded.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DEFAULT_LOGIN_LIMITS, LoginLimiter, clientBlock } from '../../src/console-server/login-limiter';
import { ACCESS_KEY_ID, startTestServer, type TestServer } from '../helpers/server';
import { ConsoleClient, type Answer } from './helpers';

const { perKey, perAddress, windowMs } = DEFAULT_LOGIN_LIMITS;

let srv: TestServer;
let clock = Date.now();
/** A RAM user's key pair, to log in as someone else. */
let other: { accessKeyId: string; accessKeySecret: string };

before(async () => {
  srv = await startTestServer({ now: () => clock });
  const root = new ConsoleClient(srv.consoleUrl, '127.0.0.9');
  assert.equal((await root.login()).status, 200);
  assert.equal((await root.request('POST', '/api/ram/users', { body: { userName: 'bystander' } })).status, 200);
  other = (await root.request('POST', '/api/ram/users/bystander/access-keys')).json.accessKey;
});
after(async () => { await srv.close(); });

/** A client at `address`: each test uses its own addresses so that their counts do not mix. */
const from = (address: string): ConsoleClient => new ConsoleClient(srv.consoleUrl, address);

function assertThrottled(a: Answer, maxSeconds: number): void {
  assert.equal(a.status, 429, a.text);
  assert.equal(a.json.error.code, 'TooManyLoginAttempts');
  const retry = Number(a.headers.get('retry-after'));
  assert.ok(Number.isInteger(retry) && retry >= 1 && retry <= maxSeconds, `Retry-After ${a.headers.get('retry-after')}`);
  assert.deepEqual(a.headers.getSetCookie(), []);
}

test('wrong secrets for one AccessKey ID get 429 after a few; other keys and addresses are unaffected; the window ends', async () => {
  const start = clock;
  // Each guess from another address: the per-key count alone stops them.
  for (let i = 0; i < perKey; i++) {
    const a = await from(`127.0.1.${i + 1}`).login(ACCESS_KEY_ID, `guess-${i}`);
    assert.equal(a.status, 401, a.text);
    assert.equal(a.json.error.code, 'SignatureDoesNotMatch');
  }
  clock += 60_000;
  // Even the right secret is not tried now: a guesser learns nothing more.
  assertThrottled(await from('127.0.1.100').login(), Math.ceil((windowMs - 60_000) / 1000));
  assertThrottled(await from('127.0.1.101').login(ACCESS_KEY_ID, 'guess-more'), windowMs / 1000);
  // Another key from another address logs in.
  assert.equal((await from('127.0.1.102').login(other.accessKeyId, other.accessKeySecret)).status, 200);

  clock = start + windowMs;
  const back = await from('127.0.1.103').login();
  assert.equal(back.status, 200, back.text);
});

test('a success clears the key\'s count: its owner mistyping now and then is never locked out', async () => {
  const c = from('127.0.2.1');
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < perKey - 1; i++) assert.equal((await c.login(other.accessKeyId, 'typo')).status, 401);
    assert.equal((await c.login(other.accessKeyId, other.accessKeySecret)).status, 200, `round ${round}`);
  }
  // The same typos without the successes in between run into the limit.
  const statuses: number[] = [];
  for (let i = 0; i < 3 * (perKey - 1); i++) statuses.push((await from(`127.0.2.${i + 2}`).login('LTAInosuccess', 'typo')).status);
  assert.deepEqual(statuses.slice(perKey - 1), [401, ...Array(2 * (perKey - 1) - 1).fill(429)]);
});

test('one address guessing many keys gets 429 after a few, even when it claims other addresses in X-Forwarded-For', async () => {
  const attacker = from('127.0.3.1');
  for (let i = 0; i < perAddress; i++) {
    const a = await attacker.request('POST', '/api/session', {
      body: { accessKeyId: `LTAIguess${i}`, accessKeySecret: 'x' }, headers: { 'x-forwarded-for': `198.51.100.${i}`, 'x-real-ip': `198.51.100.${i}` },
    });
    assert.equal(a.status, 401, `attempt ${i}: ${a.text}`);
  }
  const blocked = await attacker.request('POST', '/api/session', {
    body: { accessKeyId: other.accessKeyId, accessKeySecret: other.accessKeySecret }, headers: { 'x-forwarded-for': '203.0.113.7' },
  });
  assertThrottled(blocked, windowMs / 1000);
  assert.match(blocked.json.error.message, /from this address/);
  // The same key from elsewhere is fine: the block is the address's, not the key's.
  assert.equal((await from('127.0.3.2').login(other.accessKeyId, other.accessKeySecret)).status, 200);
});

test('guesses sent all at once are counted before they are checked: at most the limit get through to the check', async () => {
  const answers = await Promise.all(Array.from({ length: perKey * 3 }, (_, i) => from(`127.0.4.${i + 1}`).login('LTAIparallel', `guess-${i}`)));
  const statuses = answers.map((a) => a.status);
  assert.equal(statuses.filter((s) => s === 401).length, perKey, statuses.join(' '));
  assert.equal(statuses.filter((s) => s === 429).length, perKey * 2, statuses.join(' '));
});

test('the tables are bounded: a flood of made-up key ids keeps at most maxEntries, dropping the least recently failed', () => {
  let now = 0;
  const limiter = new LoginLimiter({ perAddress: 3, perKey: 2, windowMs: 1000, maxEntries: 50 }, () => now);
  // The flood's own address is blocked after three: it takes many addresses to flood.
  for (let i = 0; i < 500; i++) limiter.begin(`10.0.${i >> 8}.${i & 255}`, `LTAIflood${i}`);
  assert.deepEqual(limiter.tracked, { addresses: 50, keys: 50 });
  // The newest entries are the ones kept.
  limiter.begin('10.9.9.9', 'LTAIflood499');
  assert.throws(() => limiter.begin('10.9.9.10', 'LTAIflood499'), { status: 429 });
  now += 1000;
  limiter.begin('10.9.9.10', 'LTAIflood499');
});

test('IPv6 clients are counted per /64; IPv4 and IPv4-mapped addresses as they are', () => {
  assert.equal(clientBlock('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(clientBlock('2001:0db8:0001:0002:ffff:ffff:ffff:ffff'), '2001:db8:1:2::/64');
  assert.equal(clientBlock('2001:db8::9'), '2001:db8:0:0::/64');
  assert.equal(clientBlock('::1'), '0:0:0:0::/64');
  assert.equal(clientBlock('127.0.0.1'), '127.0.0.1');
  assert.equal(clientBlock('::ffff:192.0.2.1'), '::ffff:192.0.2.1');
});
