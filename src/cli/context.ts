/**
 * What every client command shares: its connection options, the settings they resolve to, the
 * --json switch, and the translation of SDK errors into the CLI's messages and exit codes.
 */
import { Help, type Command, type Option } from 'commander';
import { ENV_VARS, normalizeRegion, parseEndpoint, resolveSettings, type SettingFlags, type SettingName, type Settings } from './config';
import { describeFailure, UsageError } from './errors';

export type Service = 'oss' | 'kms';

export interface CommonFlags extends SettingFlags {
  json?: boolean;
}

const SECRET_HELP = 'AccessKeySecret (default: $OSS_ACCESS_KEY_SECRET, then the profile file; both keep it out of the process list)';

const CONNECTION = 'Connection options:';

/** Help lists a command's own options first, then the connection options every client command shares. */
export const helpConfiguration: Partial<Help> = {
  groupItems<T extends Command | Option>(unsorted: T[], visible: T[], getGroup: (item: T) => string): Map<string, T[]> {
    const shared = (item: T): boolean => getGroup(item) === CONNECTION;
    const original = Help.prototype.groupItems as (u: T[], v: T[], g: (item: T) => string) => Map<string, T[]>;
    return original.call(this, [...unsorted.filter((i) => !shared(i)), ...unsorted.filter(shared)], visible, getGroup);
  },
};

/** Adds the options a command needs to reach `service`, plus --config-file and --json. */
export function connectionOptions(cmd: Command, service: Service): Command {
  const own = cmd.optionsGroup();
  cmd.optionsGroup(CONNECTION);
  if (service === 'oss') {
    cmd.option('--endpoint <url>', 'OSS endpoint, e.g. http://127.0.0.1:9000 (default: $OSS_ENDPOINT, then the profile file)')
      .option('--region <region>', 'region, e.g. cn-hangzhou (default: $OSS_REGION, then the profile file, then cn-hangzhou)');
  } else {
    cmd.option('--kms-endpoint <url>', 'KMS endpoint (KMS, RAM and admin APIs), e.g. http://127.0.0.1:9002 (default: $COFFER_KMS_ENDPOINT, then the profile file)');
  }
  return cmd
    .option('--access-key-id <id>', 'AccessKeyId (default: $OSS_ACCESS_KEY_ID, then the profile file)')
    .option('--access-key-secret <secret>', SECRET_HELP)
    .option('--config-file <file>', 'profile file (default: ~/.coffer/config)')
    .option('--json', 'print the result as JSON, for scripts')
    .optionsGroup(own);
}

/** "Example:" help text; every command shows one. */
export function examples(cmd: Command, ...lines: string[]): Command {
  return cmd.addHelpText('after', `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  ${l}`).join('\n')}`);
}

export interface Credentials {
  accessKeyId: string;
  accessKeySecret: string;
}

export class Context<F extends CommonFlags = CommonFlags> {
  /** Endpoints this command talked to, named when one of them cannot be reached. */
  readonly endpoints: string[] = [];
  private resolved?: Settings;

  constructor(readonly flags: F) {}

  get json(): boolean {
    return this.flags.json === true;
  }

  settings(): Settings {
    this.resolved ??= resolveSettings(this.flags, process.env).settings;
    return this.resolved;
  }

  credentials(): Credentials {
    const s = this.settings();
    const id = s['access-key-id']?.value;
    const secret = s['access-key-secret']?.value;
    if (!id || !secret) {
      const missing = !id && !secret ? 'credentials' : !id ? 'AccessKeyId' : 'AccessKeySecret';
      throw new UsageError(`no ${missing}: pass --access-key-id and --access-key-secret, set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET, or run coffer config`);
    }
    return { accessKeyId: id, accessKeySecret: secret };
  }

  /** The endpoint URL of `service`, validated; remembered for "cannot reach" messages. */
  endpoint(service: Service): URL {
    const name: SettingName = service === 'oss' ? 'endpoint' : 'kms-endpoint';
    const setting = this.settings()[name];
    if (!setting) {
      throw new UsageError(`no ${service.toUpperCase()} endpoint: pass --${name}, set ${ENV_VARS[name]}, or run coffer config --${name} URL`);
    }
    const url = parseEndpoint(setting, name);
    if (!this.endpoints.includes(url.origin)) this.endpoints.push(url.origin);
    return url;
  }

  region(): string {
    return normalizeRegion(this.settings().region!.value);
  }

  /** Prints `value` as JSON with --json, else the human text. */
  print(value: unknown, human: () => string): void {
    const text = this.json ? JSON.stringify(value, null, 2) : human();
    if (text) process.stdout.write(`${text}\n`);
  }
}

/**
 * A commander action for a client command: builds the Context from the command's options and
 * hands over the positional arguments; SDK errors leave it as the CLI reports them.
 */
export function action<F extends CommonFlags, A extends unknown[] = []>(fn: (ctx: Context<F>, ...args: A) => Promise<void>): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args.at(-1) as Command;
    const ctx = new Context(cmd.opts<F>());
    try {
      await fn(ctx, ...(args.slice(0, -2) as A));
    } catch (err) {
      throw describeFailure(err, ctx.endpoints);
    }
  };
}
