import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from './helpers/server';

let srv: TestServer;
before(async () => { srv = await startTestServer(); });
after(async () => { await srv.close(); });

test('ali-oss round trip on the IP endpoint, V1 and V4', async () => {
  for (const authorizationV4 of [false, true]) {
    const c = srv.client({ bucket: `smoke-${authorizationV4 ? 'v4' : 'v1'}`, authorizationV4 });
    await c.putBucket(c.options.bucket);
    await c.put('a.txt', Buffer.from('hello'));
    assert.equal((await c.get('a.txt')).content.toString(), 'hello');
  }
});
