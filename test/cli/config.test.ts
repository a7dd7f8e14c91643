/**
 * `coffer config` and where every command takes its settings from: flag > environment > profile
 * file (~/.coffer/config, mode 0600); and the ready-to-paste `coffer config` line that
 * `coffer server` prints.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, startTestServer, tempDir, type TestServer } from '../helpers/server';
import { assertFails, COFFER, OSS_REQUEST_ID, runCoffer, writeConfig, type Run } from './helpers';

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
  await srv.client().putBucket('config-bucket');
});
after(async () => { await srv.close(); });

/** A fresh HOME per test, removed afterwards. */
function withHome(t: { after(fn: () => void): void }): { home: string; run(args: string[], env?: NodeJS.ProcessEnv): Promise<Run> } {
  const home = tempDir('coffer-config-home-');
  t.after(() => rmSync(home, { recursive: true, force: true }));
  return { home, run: (args, env) => runCoffer(args, home, env) };
}

const mode = (file: string): number => statSync(file).mode & 0o777;

test('coffer config writes ~/.coffer/config with mode 0600, merges later settings, and shows them with their sources', async (t) => {
  const { home, run } = withHome(t);
  const file = path.join(home, '.coffer', 'config');
  const first = await run(['config', '--endpoint', srv.url, '--access-key-id', ACCESS_KEY_ID, '--access-key-secret', ACCESS_KEY_SECRET]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(first.stdout, `Wrote endpoint, access-key-id, access-key-secret to ${file} (mode 0600).\n`);
  assert.equal(mode(file), 0o600);
  assert.equal(mode(path.dirname(file)), 0o700);

  const second = await run(['config', '--kms-endpoint', srv.kmsUrl, '--region', 'cn-hangzhou']);
  assert.equal(second.code, 0, second.stderr);
  const text = readFileSync(file, 'utf8');
  for (const line of [`endpoint = ${srv.url}`, `kms-endpoint = ${srv.kmsUrl}`, 'region = cn-hangzhou', `access-key-id = ${ACCESS_KEY_ID}`, `access-key-secret = ${ACCESS_KEY_SECRET}`]) {
    assert.ok(text.split('\n').includes(line), `${line} missing from:\n${text}`);
  }

  const shown = await run(['config'], { OSS_ENDPOINT: 'http://127.0.0.1:9' });
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, new RegExp(`^Profile file ${file}\\n`));
  assert.match(shown.stdout, /\n {2}endpoint +http:\/\/127\.0\.0\.1:9 +from OSS_ENDPOINT\n/);
  assert.match(shown.stdout, new RegExp(`\\n {2}kms-endpoint +${srv.kmsUrl} +from ${file}\\n`));
  // The secret is masked: enough to tell two apart, not enough to use.
  assert.match(shown.stdout, /\n {2}access-key-secret +\*\*\*\*cdef +from /);
  assert.doesNotMatch(shown.stdout, new RegExp(ACCESS_KEY_SECRET));

  // The profile alone is enough for a client command.
  const ls = await run(['ls']);
  assert.equal(ls.code, 0, ls.stderr);
  assert.match(ls.stdout, /oss:\/\/config-bucket\n/);
});

test('a profile file written with a wider mode becomes 0600 when coffer config rewrites it', async (t) => {
  const { home, run } = withHome(t);
  const file = writeConfig(home, { region: 'cn-hangzhou' });
  chmodSync(file, 0o644);
  const r = await run(['config', '--access-key-id', ACCESS_KEY_ID]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(mode(file), 0o600);
  assert.match(readFileSync(file, 'utf8'), /^region = cn-hangzhou$/m);
});

test('--config-file chooses another profile, for writing and for reading', async (t) => {
  const { home, run } = withHome(t);
  const file = path.join(home, 'elsewhere', 'profile');
  const write = await run(['config', '--config-file', file, '--endpoint', srv.url, '--access-key-id', ACCESS_KEY_ID, '--access-key-secret', ACCESS_KEY_SECRET, '--json']);
  assert.equal(write.code, 0, write.stderr);
  assert.deepEqual(JSON.parse(write.stdout), { file, mode: '0600', written: ['endpoint', 'access-key-id', 'access-key-secret'] });
  assert.equal(mode(file), 0o600);
  assertFails(await run(['ls']), 2, /no OSS endpoint: pass --endpoint, set OSS_ENDPOINT, or run coffer config --endpoint URL/);
  const ls = await run(['ls', '--config-file', file]);
  assert.equal(ls.code, 0, ls.stderr);
});

test('precedence: a flag beats the environment, which beats the profile file', async (t) => {
  const { home, run } = withHome(t);
  // Nothing listens on port 1 of loopback.
  const dead = 'http://127.0.0.1:1';
  writeConfig(home, { 'endpoint': dead, 'access-key-id': ACCESS_KEY_ID, 'access-key-secret': 'wrong-in-file' });

  assertFails(await run(['ls']), 1, /^coffer: cannot reach http:\/\/127\.0\.0\.1:1: ECONNREFUSED\n$/);
  // The environment's endpoint wins over the file's; the file's wrong secret is still used.
  const envEndpoint = await run(['ls'], { OSS_ENDPOINT: srv.url });
  assertFails(envEndpoint, 1, /^coffer: SignatureDoesNotMatch: /);
  assert.match(envEndpoint.stderr, OSS_REQUEST_ID);
  // The environment's secret wins over the file's.
  const envSecret = await run(['ls'], { OSS_ENDPOINT: srv.url, OSS_ACCESS_KEY_SECRET: ACCESS_KEY_SECRET });
  assert.equal(envSecret.code, 0, envSecret.stderr);
  assert.match(envSecret.stdout, /oss:\/\/config-bucket\n/);
  // A flag wins over the environment: a wrong secret on the command line fails although the environment's is right…
  assertFails(await run(['ls', '--access-key-secret', 'wrong-flag'], { OSS_ENDPOINT: srv.url, OSS_ACCESS_KEY_SECRET: ACCESS_KEY_SECRET }), 1, /SignatureDoesNotMatch/);
  // …and a dead endpoint flag fails although the environment's is live.
  assertFails(await run(['ls', '--endpoint', dead], { OSS_ENDPOINT: srv.url, OSS_ACCESS_KEY_SECRET: ACCESS_KEY_SECRET }), 1, /cannot reach http:\/\/127\.0\.0\.1:1/);
  const flags = await run(['ls', '--endpoint', srv.url, '--access-key-secret', ACCESS_KEY_SECRET], { OSS_ENDPOINT: dead, OSS_ACCESS_KEY_SECRET: 'wrong-env' });
  assert.equal(flags.code, 0, flags.stderr);
});

test('usage errors exit 2: a malformed profile file, an endpoint without a scheme, no credentials; a refused config writes nothing', async (t) => {
  const { home, run } = withHome(t);
  const file = path.join(home, '.coffer', 'config');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '[default]\nendpoint = http://127.0.0.1:9000\nendpiont = typo\n');
  assertFails(await run(['ls']), 2, new RegExp(`^error: ${file}:3: expected "<setting> = <value>"`));
  rmSync(file);

  assertFails(await run(['config', '--endpoint', '127.0.0.1:9000']), 2, /--endpoint must be an http:\/\/ or https:\/\/ URL with no path, got "127\.0\.0\.1:9000"/);
  assert.throws(() => statSync(file), /ENOENT/);
  assertFails(await run(['ls'], { OSS_ENDPOINT: 'localhost:9000' }), 2, /got "localhost:9000" \(from OSS_ENDPOINT\)/);
  assertFails(await run(['ls', '--endpoint', srv.url]), 2, /no credentials: pass --access-key-id and --access-key-secret, set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET, or run coffer config/);
  assertFails(await run(['config', '--region', 'cn hangzhou']), 2, /--region must be a single word/);
});

/** Starts `coffer server` on free ports; resolves with its banner once the `coffer config` line is out. */
async function startServerProcess(dataDir: string): Promise<{ banner: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [COFFER, 'server', '--data-dir', dataDir, '--oss-port', '0', '--kms-port', '0', '--console-port', '0', '--log-level', 'error'], {
    env: { PATH: process.env.PATH, COFFER_ROOT_KEY: '22'.repeat(32) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async (): Promise<void> => {
    child.kill('SIGTERM');
    await exited;
  };
  let out = '';
  const banner = await new Promise<string>((resolve, reject) => {
    child.stdout!.setEncoding('utf8').on('data', (s: string) => {
      out += s;
      if (/coffer config .*\n/.test(out)) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`coffer server exited (${code}) before its banner: ${out}`)));
  });
  return { banner, stop };
}

test('coffer server prints a coffer config line that sets the CLI up; the secret only when it was just generated', async (t) => {
  const dataDir = tempDir('coffer-banner-');
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const { banner, stop } = await startServerProcess(dataDir);
  t.after(stop);
  const line = /^ {2}(coffer config .*)$/m.exec(banner)![1];
  const secret = /^ {2}AccessKeySecret +(\S+)$/m.exec(banner)![1];
  assert.match(line, /^coffer config --endpoint http:\/\/127\.0\.0\.1:\d+ --kms-endpoint http:\/\/127\.0\.0\.1:\d+ --region cn-hangzhou --access-key-id LTAI\w+ --access-key-secret \S+$/);
  assert.ok(line.endsWith(` --access-key-secret ${secret}`));

  // Pasted as is (the values need no quoting), it makes every kind of client command work.
  const { run } = withHome(t);
  const configured = await run(line.split(' ').slice(1));
  assert.equal(configured.code, 0, configured.stderr);
  const mb = await run(['mb', 'oss://from-banner']);
  assert.equal(mb.code, 0, mb.stderr);
  const status = await run(['admin', 'status']);
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /\n {2}Buckets +1\n/);
});

test('after a restart the line leaves the secret out and says where to add it', async (t) => {
  const dataDir = tempDir('coffer-banner-');
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  // The first start generates the credentials and prints the secret.
  await (await startServerProcess(dataDir)).stop();
  const { banner, stop } = await startServerProcess(dataDir);
  t.after(stop);
  assert.match(banner, /^ {2}coffer config --endpoint \S+ --kms-endpoint \S+ --region cn-hangzhou --access-key-id LTAI\w+$/m);
  assert.match(banner, /^ {2}\(add --access-key-secret, or set OSS_ACCESS_KEY_SECRET\)$/m);
  assert.doesNotMatch(banner, /--access-key-secret \S/);
});
