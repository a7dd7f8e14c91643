/**
 * `coffer admin …`: calls a running server's admin API (RPC style, version ADMIN_VERSION, on the
 * --kms-port listener) with the generic Alibaba RPC client. Exit codes: 0 ok, 1 the call failed,
 * 2 usage.
 */
import RPCClient from '@alicloud/pop-core';
import type { Command } from 'commander';
import { ADMIN_VERSION } from '../admin/service';

interface AdminFlags {
  endpoint: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  json?: boolean;
}

type Body = Record<string, any>;

const TIMEOUT_MS = 30_000;

/** Calls `action`; an API error becomes "<Code>: <Message> (RequestId …)", which bin/coffer.js prints with exit code 1. */
async function call(cmd: Command, flags: AdminFlags, action: string): Promise<Body> {
  const accessKeyId = flags.accessKeyId ?? process.env.OSS_ACCESS_KEY_ID;
  const accessKeySecret = flags.accessKeySecret ?? process.env.OSS_ACCESS_KEY_SECRET;
  if (!accessKeyId || !accessKeySecret) {
    cmd.error('error: no credentials: pass --access-key-id and --access-key-secret, or set OSS_ACCESS_KEY_ID and OSS_ACCESS_KEY_SECRET', { exitCode: 2 });
  }
  if (!/^https?:\/\/[^/]/.test(flags.endpoint)) {
    cmd.error(`error: --endpoint must be an http:// or https:// URL, got ${JSON.stringify(flags.endpoint)}`, { exitCode: 2 });
  }
  const client = new RPCClient({ endpoint: flags.endpoint, apiVersion: ADMIN_VERSION, accessKeyId: accessKeyId!, accessKeySecret: accessKeySecret! });
  try {
    // POST keeps the AccessKeyId and signature out of URLs (and so out of proxy and access logs).
    return await client.request<Body>(action, {}, { method: 'POST', timeout: TIMEOUT_MS });
  } catch (err) {
    const e = err as { code?: string; message: string; data?: { Code?: string; Message?: string; RequestId?: string } };
    if (e.data?.Code) throw new Error(`${e.data.Code}: ${e.data.Message} (RequestId ${e.data.RequestId})`);
    throw new Error(`${action} at ${flags.endpoint} failed: ${e.code ?? e.message}`);
  }
}

function formatBytes(n: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${n.toFixed(1)} ${units[i]}`;
}

function formatDuration(seconds: number): string {
  const parts = [[Math.floor(seconds / 86_400), 'd'], [Math.floor(seconds / 3600) % 24, 'h'], [Math.floor(seconds / 60) % 60, 'm'], [seconds % 60, 's']] as const;
  const from = parts.findIndex(([n]) => n > 0);
  return from < 0 ? '0s' : parts.slice(from).map(([n, unit]) => `${n}${unit}`).join(' ');
}

function rotationText(body: Body): string {
  const rows = (body.MasterKeyVersions.MasterKeyVersion as Body[])
    .map((v) => `  ${String(v.Version).padEnd(8)} ${v.CreationDate.padEnd(21)} ${v.Current ? 'current' : ''}`.trimEnd());
  return [
    `Rotated the SSE-OSS master key: version ${body.MasterKeyVersion} is now current; new objects use it, older versions stay for reading.`,
    `  ${'VERSION'.padEnd(8)} CREATED`,
    ...rows,
  ].join('\n');
}

function statusText(body: Body, endpoint: string): string {
  const s = body.Storage;
  const keys = body.MasterKeys;
  return [
    `Coffer ${body.ServerVersion} at ${endpoint}`,
    `  Up since     ${body.StartTime} (${formatDuration(body.UptimeSeconds)})`,
    `  Buckets      ${s.Buckets}`,
    `  Objects      ${s.Objects} (${formatBytes(s.Bytes)})`,
    `  Multipart    ${s.MultipartUploads} upload(s) in progress`,
    `  Master keys  ${keys.Count} version(s), current ${keys.CurrentVersion ?? 'none yet'}`,
  ].join('\n');
}

const EXAMPLE_FLAGS = '--endpoint http://127.0.0.1:9002 --access-key-id LTAI… --access-key-secret …';

export function registerAdmin(program: Command): void {
  const admin = program
    .command('admin')
    .description('administer a running Coffer server through its admin API (served on the --kms-port listener)');
  const command = (name: string, description: string, action: string, text: (body: Body, flags: AdminFlags) => string): void => {
    admin.command(name)
      .description(description)
      .requiredOption('--endpoint <url>', 'the admin endpoint the server printed at start-up, e.g. http://127.0.0.1:9002')
      .option('--access-key-id <id>', 'root AccessKeyId (default: $OSS_ACCESS_KEY_ID)')
      .option('--access-key-secret <secret>', 'root AccessKeySecret (default: $OSS_ACCESS_KEY_SECRET, which keeps it out of the process list)')
      .option('--json', 'print the API response (with its RequestId) as JSON')
      .addHelpText('after', `\nExample:\n  coffer admin ${name} ${EXAMPLE_FLAGS}\n  OSS_ACCESS_KEY_ID=LTAI… OSS_ACCESS_KEY_SECRET=… coffer admin ${name} --endpoint http://127.0.0.1:9002 --json\n`)
      .action(async (flags: AdminFlags, cmd: Command) => {
        const body = await call(cmd, flags, action);
        process.stdout.write(`${flags.json ? JSON.stringify(body, null, 2) : text(body, flags)}\n`);
      });
  };
  command('rotate-master-key', 'add a new SSE-OSS master key version and make it current (account root only)', 'RotateMasterKey', rotationText);
  command('status', 'show the server version, uptime, storage use and master key versions', 'DescribeStatus', (body, flags) => statusText(body, flags.endpoint));
}
