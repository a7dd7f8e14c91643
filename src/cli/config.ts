/**
 * Where a command's endpoints and credentials come from: a flag, else an environment variable,
 * else the profile file (~/.coffer/config, written by `coffer config`, mode 0600).
 */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from './errors';

export const SETTINGS = ['endpoint', 'kms-endpoint', 'region', 'access-key-id', 'access-key-secret'] as const;
export type SettingName = (typeof SETTINGS)[number];

export const ENV_VARS: Record<SettingName, string> = {
  'endpoint': 'OSS_ENDPOINT',
  'kms-endpoint': 'COFFER_KMS_ENDPOINT',
  'region': 'OSS_REGION',
  'access-key-id': 'OSS_ACCESS_KEY_ID',
  'access-key-secret': 'OSS_ACCESS_KEY_SECRET',
};

const DEFAULT_REGION = 'cn-hangzhou';
const SECTION = '[default]';

type Source = 'flag' | 'env' | 'file' | 'default';

export interface Setting {
  value: string;
  source: Source;
  /** For messages: "--endpoint", "OSS_ENDPOINT", "/home/u/.coffer/config". */
  from: string;
}

export type Settings = Partial<Record<SettingName, Setting>>;

/** The flags as commander hands them over (camelCase). */
export type SettingFlags = Partial<Record<'endpoint' | 'kmsEndpoint' | 'region' | 'accessKeyId' | 'accessKeySecret' | 'configFile', string>>;

export const flagKey = (name: SettingName): keyof SettingFlags =>
  name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof SettingFlags;

function defaultConfigFile(): string {
  return path.join(os.homedir(), '.coffer', 'config');
}

export function configFileOf(flags: SettingFlags): string {
  return path.resolve(flags.configFile ?? defaultConfigFile());
}

/** The profile file's settings; a missing file has none. */
export function readProfile(file: string): Partial<Record<SettingName, string>> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new UsageError(`cannot read the profile file ${file}: ${(err as Error).message}`);
  }
  const values: Partial<Record<SettingName, string>> = {};
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line === SECTION) continue;
    const m = /^([a-z-]+)\s*=\s*(.*)$/.exec(line);
    if (!m || !(SETTINGS as readonly string[]).includes(m[1])) {
      throw new UsageError(`${file}:${i + 1}: expected "<setting> = <value>" with a setting among ${SETTINGS.join(', ')}; run coffer config to rewrite it`);
    }
    values[m[1] as SettingName] = m[2];
  }
  return values;
}

/** Writes the profile file atomically, readable by its owner only. */
export function writeProfile(file: string, values: Partial<Record<SettingName, string>>): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const lines = ['# Written by `coffer config`; read by every coffer command. Flags and environment variables win over it.', SECTION];
  for (const name of SETTINGS) {
    if (values[name] !== undefined) lines.push(`${name} = ${values[name]}`);
  }
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, lines.join('\n') + '\n', { mode: 0o600 });
  // The mode given to writeFileSync applies only when the file is created, and is narrowed by the umask.
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

/** Each setting from its flag, else its environment variable, else the profile file. */
export function resolveSettings(flags: SettingFlags, env: NodeJS.ProcessEnv): { file: string; settings: Settings } {
  const file = configFileOf(flags);
  const profile = readProfile(file);
  const settings: Settings = {};
  for (const name of SETTINGS) {
    const flag = flags[flagKey(name)];
    const fromEnv = env[ENV_VARS[name]];
    if (flag !== undefined) settings[name] = { value: flag, source: 'flag', from: `--${name}` };
    else if (fromEnv) settings[name] = { value: fromEnv, source: 'env', from: ENV_VARS[name] };
    else if (profile[name] !== undefined) settings[name] = { value: profile[name]!, source: 'file', from: file };
  }
  settings.region ??= { value: DEFAULT_REGION, source: 'default', from: 'the default' };
  return { file, settings };
}

/** An endpoint as the SDKs take it: http(s)://host[:port], nothing after. */
export function parseEndpoint(setting: Setting, name: SettingName): URL {
  let url: URL | null = null;
  try {
    url = new URL(setting.value);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.pathname !== '/' || url.search || url.hash) {
    throw new UsageError(`--${name} must be an http:// or https:// URL with no path, got ${JSON.stringify(setting.value)} (from ${setting.from})`);
  }
  return url;
}

/** "oss-cn-hangzhou" and "cn-hangzhou" name the same region; the KMS and V4 scopes use the latter. */
export const normalizeRegion = (region: string): string => region.replace(/^oss-/, '');
