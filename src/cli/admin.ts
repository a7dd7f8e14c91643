/**
 * `coffer admin …`: calls a running server's admin API (RPC style, version ADMIN_VERSION, on the
 * KMS endpoint) with the generic Alibaba RPC client (pop-core).
 */
import type { Command } from 'commander';
import { ADMIN_VERSION } from '../admin/service';
import { action, connectionOptions, examples, type CommonFlags, type Context } from './context';
import { formatBytes, formatDuration } from './format';
import { popClient } from './sdk';

type Body = Record<string, any>;

const TIMEOUT_MS = 30_000;

function call(ctx: Context, api: string): Promise<Body> {
  // POST keeps the AccessKeyId and signature out of URLs (and so out of proxy and access logs).
  return popClient(ctx, ADMIN_VERSION).request<Body>(api, {}, { method: 'POST', timeout: TIMEOUT_MS });
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

export function registerAdmin(program: Command): void {
  const admin = program
    .command('admin')
    .description('administer a running Coffer server through its admin API (served on the KMS endpoint)');
  examples(admin, 'coffer admin status', 'coffer admin <command> --help');
  const command = (name: string, description: string, api: string, text: (body: Body, ctx: Context) => string): void => {
    const cmd = connectionOptions(admin.command(name), 'kms').description(description);
    examples(cmd,
      `coffer admin ${name} --kms-endpoint http://127.0.0.1:9002 --access-key-id LTAI… --access-key-secret …`,
      `OSS_ACCESS_KEY_ID=LTAI… OSS_ACCESS_KEY_SECRET=… coffer admin ${name} --kms-endpoint http://127.0.0.1:9002 --json`);
    cmd.action(action<CommonFlags>(async (ctx) => {
      const body = await call(ctx, api);
      ctx.print(body, () => text(body, ctx));
    }));
  };
  command('rotate-master-key', 'add a new SSE-OSS master key version and make it current (account root only)', 'RotateMasterKey', rotationText);
  command('status', 'show the server version, uptime, storage use and master key versions', 'DescribeStatus', (body, ctx) => statusText(body, ctx.endpoint('kms').origin));
}
