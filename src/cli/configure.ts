/** `coffer config`: writes the profile file every client command reads, or shows what it holds. */
import type { Command } from 'commander';
import { configFileOf, flagKey, parseEndpoint, readProfile, resolveSettings, SETTINGS, writeProfile, type SettingName } from './config';
import { action, examples, type CommonFlags } from './context';
import { UsageError } from './errors';
import { columns } from './format';

/** Shows enough of a secret to tell two apart, not enough to use it. */
const mask = (secret: string): string => `****${secret.slice(-4)}`;

function check(name: SettingName, value: string): void {
  if (name === 'endpoint' || name === 'kms-endpoint') parseEndpoint({ value, source: 'flag', from: `--${name}` }, name);
  else if (!value.trim() || /\s/.test(value)) throw new UsageError(`--${name} must be a single word, got ${JSON.stringify(value)}`);
}

export function registerConfig(program: Command): void {
  const cmd = program
    .command('config')
    .description('write the profile file (endpoints, region, credentials) that every client command reads; without settings, show the settings in effect')
    .option('--endpoint <url>', 'OSS endpoint, e.g. http://127.0.0.1:9000')
    .option('--kms-endpoint <url>', 'KMS endpoint (KMS, RAM and admin APIs), e.g. http://127.0.0.1:9002')
    .option('--region <region>', 'region, e.g. cn-hangzhou')
    .option('--access-key-id <id>', 'AccessKeyId')
    .option('--access-key-secret <secret>', 'AccessKeySecret')
    .option('--config-file <file>', 'profile file (default: ~/.coffer/config)')
    .option('--json', 'print the settings as JSON (the secret masked)')
    .addHelpText('after', '\nSettings given here are merged into the file (mode 0600). Every command takes each setting from its\n' +
      'flag, else its environment variable (OSS_ENDPOINT, COFFER_KMS_ENDPOINT, OSS_REGION, OSS_ACCESS_KEY_ID,\nOSS_ACCESS_KEY_SECRET), else this file.');
  examples(cmd,
    'coffer config --endpoint http://127.0.0.1:9000 --kms-endpoint http://127.0.0.1:9002 --access-key-id LTAI… --access-key-secret …',
    'coffer config            # show the settings in effect and where each comes from');
  cmd.action(action<CommonFlags>(async (ctx) => {
    const file = configFileOf(ctx.flags);
    const given = SETTINGS.filter((name) => ctx.flags[flagKey(name)] !== undefined);
    if (given.length) {
      const values = readProfile(file);
      for (const name of given) {
        const value = ctx.flags[flagKey(name)]!;
        check(name, value);
        values[name] = value;
      }
      writeProfile(file, values);
      ctx.print({ file, mode: '0600', written: given }, () => `Wrote ${given.join(', ')} to ${file} (mode 0600).`);
      return;
    }
    const { settings } = resolveSettings({ configFile: ctx.flags.configFile }, process.env);
    const shown = (name: SettingName): string | undefined => {
      const v = settings[name]?.value;
      return v !== undefined && name === 'access-key-secret' ? mask(v) : v;
    };
    ctx.print(
      { file, settings: Object.fromEntries(SETTINGS.filter((n) => settings[n]).map((n) => [n, { value: shown(n), source: settings[n]!.source }])) },
      () => [`Profile file ${file}`, columns(SETTINGS.map((n) => [`  ${n}`, shown(n) ?? '(not set)', settings[n] ? `from ${settings[n]!.from}` : '']))].join('\n'),
    );
  }));
}
