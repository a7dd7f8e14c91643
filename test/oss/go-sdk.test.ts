/**
 * A second official SDK, in another language: Alibaba's Go OSS SDK as Debian packages it
 * (golang-github-aliyun-aliyun-oss-go-sdk-dev, built in GOPATH mode with Debian's Go; .ci/run
 * installs both). test/go-sdk/main.go drives a real server through buckets, SSE-OSS/SSE-KMS
 * objects, re-encryption by copy, multipart, append, listing, deletes, error codes and UTF-8
 * metadata, with the SDK's CRC-64 checks on; this test runs it and checks what the server holds afterwards.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { goProgram, runGoProgram } from '../helpers/go-sdk';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, startTestServer, tempDir, type TestServer } from '../helpers/server';

let srv: TestServer;
let work: string;
before(async () => {
  srv = await startTestServer();
  work = tempDir('coffer-go-sdk-');
});
after(async () => {
  await srv.close();
  rmSync(work, { recursive: true, force: true });
});

test('the Go SDK runs its whole scenario against Coffer, and the server ends as the scenario left it', async () => {
  const lines = await runGoProgram(goProgram('main.go'), [srv.url, ACCESS_KEY_ID, ACCESS_KEY_SECRET, 'go-sdk-bucket', work], work);
  assert.ok(lines.length > 50, `${lines.length} lines`);
  for (const step of ['ok PutObject plain (SDK CRC-64 check)', 'ok GetObjectToFile AES256 (SDK CRC-64 check)', 'ok SM4 reported',
    'ok KMS reported with a key id', 'ok GetObjectToFile multipart (SDK CRC-64 check)', 'ok UTF-8 metadata round-trips', 'ok wrong secret is SignatureDoesNotMatch 403']) {
    assert.ok(lines.includes(step), `missing: ${step}`);
  }
  // The scenario ends by deleting everything it made.
  assert.equal(await srv.running.coffer.meta.getBucket('go-sdk-bucket'), null);
});
