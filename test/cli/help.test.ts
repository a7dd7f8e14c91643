/** Every command, found from the CLI's own help, answers --help with exit 0 and at least one example. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, test } from 'node:test';
import { tempDir } from '../helpers/server';
import { runCoffer } from './helpers';

const home = tempDir('coffer-help-home-');
after(() => rmSync(home, { recursive: true, force: true }));

/** The subcommand names listed under "Commands:" in a help text. */
function commandsIn(help: string): string[] {
  const section = help.split('\nCommands:\n')[1]?.split('\n\n')[0] ?? '';
  return [...section.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1]).filter((name) => name !== 'help');
}

test('every command and subcommand has --help with an example', async () => {
  const top = await runCoffer(['--help'], home);
  assert.equal(top.code, 0);
  const paths: string[][] = [[]];
  for (const name of commandsIn(top.stdout)) {
    paths.push([name]);
    const sub = await runCoffer([name, '--help'], home);
    for (const child of commandsIn(sub.stdout)) paths.push([name, child]);
  }
  // Every command of the issue, so that a command missing from the help fails here.
  const all = paths.map((p) => p.join(' '));
  for (const expected of ['config', 'mb', 'rb', 'ls', 'cp', 'stat', 'set-meta', 'rm', 'presign', 'bucket-encryption', 'encrypt',
    'kms create-key', 'kms import-key-material', 'kms rotate', 'ram create-policy', 'ram list-policies', 'admin status', 'admin rotate-master-key', 'admin rewrap-master-keys']) {
    assert.ok(all.includes(expected), `${expected} missing from the help`);
  }
  for (let i = 0; i < paths.length; i += 4) {
    await Promise.all(paths.slice(i, i + 4).map(async (p) => {
      const r = await runCoffer([...p, '--help'], home);
      assert.equal(r.code, 0, `coffer ${p.join(' ')} --help: ${r.stderr}`);
      assert.match(r.stdout, /\nExamples?:\n {2}coffer /, `coffer ${p.join(' ')} --help has no example`);
    }));
  }
});

test('coffer server --help lists the metrics, log and day-length flags', async () => {
  const r = await runCoffer(['server', '--help'], home);
  assert.equal(r.code, 0);
  for (const flag of ['--log-level <level>', '--log-format <format>', '--metrics-token <token>', '--metrics-key-ids', 'COFFER_METRICS_TOKEN', '--day-seconds <s>']) {
    assert.ok(r.stdout.includes(flag), `${flag} missing from coffer server --help`);
  }
});

test('no command, or an unknown one, is a usage error (exit 2)', async () => {
  for (const args of [['kms'], ['nonsense'], ['cp', 'only-one-argument']]) {
    const r = await runCoffer(args, home);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.ok(r.stderr.length > 0);
  }
});
