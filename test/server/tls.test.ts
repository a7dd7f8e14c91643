/** --tls-cert/--tls-key: the OSS listener speaks HTTPS, and the real client works over it (also signed by a RAM user). */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { RAM_VERSION } from '../../src/ram/api';
import { statement } from '../helpers/ram';
import { startTestServer, tempDir, type TestServer } from '../helpers/server';
import { popClient } from '../rpc/helpers';

let srv: TestServer;
let certDir: string;
let ca: Buffer;

before(async () => {
  certDir = tempDir('coffer-tls-');
  const cert = path.join(certDir, 'cert.pem');
  const key = path.join(certDir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
  ca = readFileSync(cert);
  srv = await startTestServer({ tls: { cert, key } });
});

after(async () => {
  await srv.close();
  rmSync(certDir, { recursive: true, force: true });
});

test('the OSS endpoint is https and ali-oss round-trips an object over it', async () => {
  assert.match(srv.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  // The certificate names localhost: ali-oss on an IP endpoint would send a *.aliyuncs.com Host.
  const client = srv.client({
    endpoint: `https://localhost:${srv.port}`, sldEnable: true, bucket: 'tls-bucket', httpsAgent: new https.Agent({ ca }),
  });
  await client.putBucket('tls-bucket');
  await client.put('k.txt', Buffer.from('over tls'), { headers: { 'x-oss-server-side-encryption': 'AES256' } });
  const got = await client.get('k.txt');
  assert.equal(got.content.toString(), 'over tls');
  assert.equal(got.res.headers['x-oss-server-side-encryption'], 'AES256');
});

test('plain http to the TLS port is refused', async () => {
  await assert.rejects(fetch(srv.url.replace('https:', 'http:')).then((r) => r.text()));
});

test('the RPC (admin) endpoint is https too, and pop-core calls it', async () => {
  assert.match(srv.kmsUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  const body = await popClient(srv.kmsUrl).request<Record<string, unknown>>('DescribeStatus', {}, { ca });
  assert.equal(body.ServerVersion, require('../../../package.json').version);
});

test('over TLS acs:SecureTransport is true: a RAM user whose only Allow requires it reads (RAM set up with pop-core, V1)', async () => {
  const ram = popClient(srv.kmsUrl, { apiVersion: RAM_VERSION });
  const call = (action: string, params: Record<string, string>): Promise<Record<string, any>> => ram.request(action, params, { ca, method: 'POST' });
  await call('CreateUser', { UserName: 'tls-reader' });
  const key = (await call('CreateAccessKey', { UserName: 'tls-reader' })).AccessKey;
  const document = JSON.stringify(statement('Allow', 'oss:GetObject', '*', { Bool: { 'acs:SecureTransport': 'true' } }));
  await call('CreatePolicy', { PolicyName: 'tls-only', PolicyDocument: document });
  await call('AttachPolicyToUser', { PolicyType: 'Custom', PolicyName: 'tls-only', UserName: 'tls-reader' });
  const client = srv.client({
    endpoint: `https://localhost:${srv.port}`, sldEnable: true, bucket: 'tls-bucket', httpsAgent: new https.Agent({ ca }),
    accessKeyId: key.AccessKeyId, accessKeySecret: key.AccessKeySecret,
  });
  assert.equal((await client.get('k.txt')).content.toString(), 'over tls');
});
