/**
 * The seeds' walkthrough: a plaintext object is encrypted in place by changing its metadata
 * (update_object_meta / a self-copy with REPLACE and x-oss-server-side-encryption), and stat
 * shows the same ETag, CRC-64 and length before and after. Then SM4, then back to plaintext.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { crc64 } from '../../src/crypto/crc64';
import { blobFile } from '../helpers/data-dir';
import { startTestServer, type TestServer } from '../helpers/server';
import { md5Base64, md5Hex } from '../helpers/oss-http';
import { SIGNINGS, SSE, encryptionOf, eventually, newBucket, record, stat } from '../helpers/sse';

let srv: TestServer;
before(async () => { srv = await startTestServer(); });
after(async () => { await srv.close(); });

const KEY = '01.txt';
// 62 bytes of text/plain, as in the seeds' ossutil stat.
const BODY = Buffer.from('Coffer keeps this line of text: 62 bytes long, newline ended.\n');

for (const signing of SIGNINGS) {
  describe(`encrypting an existing object by changing its metadata (${signing})`, () => {
    test('plain → AES256 → AES256 (re-key) → SM4 → plain: same ETag, CRC-64, length and bytes throughout', async () => {
      assert.equal(BODY.length, 62);
      const c = await newBucket(srv, `seed-${signing.toLowerCase()}`, signing);
      const bucket = c.options.bucket;
      await c.put(KEY, BODY);

      const plain = await stat(c, KEY);
      assert.deepEqual(plain, {
        etag: `"${md5Hex(BODY)}"`,
        crc64: crc64(BODY).toString(),
        length: '62',
        md5: md5Base64(BODY),
        type: 'text/plain',
        objectType: 'Normal',
        sse: undefined,
        keyId: undefined,
      });
      const r0 = await record(srv, bucket, KEY);
      assert.equal(r0.encryption, null);

      // bucket.update_object_meta('01.txt', {'x-oss-server-side-encryption': 'AES256'})
      const toAes = await c.copy(KEY, KEY, { headers: { [SSE]: 'AES256' }, meta: { step: 'aes' } });
      assert.equal(toAes.res.headers[SSE], 'AES256');
      assert.equal(toAes.data.etag, plain.etag);
      assert.deepEqual(await stat(c, KEY), { ...plain, sse: 'AES256' });
      assert.deepEqual((await c.get(KEY)).content, BODY);
      assert.equal((await c.head(KEY)).meta.step, 'aes');

      // The plaintext was rewritten into a new, encrypted blob, and the plaintext blob is removed.
      const r1 = await record(srv, bucket, KEY);
      assert.equal(encryptionOf(r1)?.suite, 'AES256-GCM');
      assert.notEqual(r1.segments[0].blobId, r0.segments[0].blobId);
      assert.ok(r1.segments[0].salt);
      const plainBlob = blobFile(srv.dataDir, r0.segments[0].blobId);
      await eventually(() => !existsSync(plainBlob));
      assert.equal(existsSync(plainBlob), false, 'the plaintext blob is still on disk');

      // AES256 again: only the object key's envelope is renewed; the data stays where it is.
      await c.copy(KEY, KEY, { headers: { [SSE]: 'AES256' }, meta: { step: 'rekey' } });
      const r2 = await record(srv, bucket, KEY);
      assert.deepEqual(r2.segments, r1.segments);
      assert.notDeepEqual(encryptionOf(r2)!.wrapped, encryptionOf(r1)!.wrapped);
      assert.deepEqual(await stat(c, KEY), { ...plain, sse: 'AES256' });
      assert.deepEqual((await c.get(KEY)).content, BODY);

      // SM4 is another data cipher: re-encrypted into a new blob.
      const toSm4 = await c.copy(KEY, KEY, { headers: { [SSE]: 'SM4' }, meta: { step: 'sm4' } });
      assert.equal(toSm4.res.headers[SSE], 'SM4');
      const r3 = await record(srv, bucket, KEY);
      assert.equal(encryptionOf(r3)?.suite, 'SM4-CTR-HMAC-SM3');
      assert.notEqual(r3.segments[0].blobId, r2.segments[0].blobId);
      assert.deepEqual(await stat(c, KEY), { ...plain, sse: 'SM4' });
      assert.deepEqual((await c.get(KEY)).content, BODY);

      // putMeta is a self-copy without SSE headers: encryption is not inherited, so it decrypts.
      const back = await c.putMeta(KEY, { step: 'plain' });
      assert.equal(back.res.headers[SSE], undefined);
      const r4 = await record(srv, bucket, KEY);
      assert.equal(r4.encryption, null);
      assert.equal(r4.segments[0].salt, undefined);
      assert.notEqual(r4.segments[0].blobId, r3.segments[0].blobId);
      assert.deepEqual(await stat(c, KEY), plain);
      assert.deepEqual((await c.get(KEY)).content, BODY);
      assert.equal((await c.head(KEY)).meta.step, 'plain');
    });
  });
}
