/** `coffer server`: runs the object store until SIGTERM/SIGINT, then drains and exits. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { Level } from '../server/log';
import { ROOT_CREDENTIALS_FILE } from '../iam/root-credentials';

interface ServerFlags {
  dataDir: string;
  host: string;
  ossPort: string;
  kmsPort: string;
  consolePort: string;
  region: string;
  domain?: string;
  readyFile?: string;
  tlsCert?: string;
  tlsKey?: string;
  rootKeyFile?: string;
  masterKeyRotationDays: string;
  logLevel: Level;
}

function port(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${flag} must be a port number (0 picks a free one)`);
  return n;
}

export function registerServer(program: Command): void {
  program
    .command('server')
    .description('run the Coffer server (OSS API on the embedded SQLite + file store)')
    .option('--data-dir <dir>', 'data directory', './data')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--oss-port <port>', 'OSS API port (0 = any free port)', '9000')
    .option('--kms-port <port>', 'KMS API port, also serving the Coffer admin API (0 = any free port)', '9002')
    .option('--console-port <port>', 'web console port (0 = any free port)', '9001')
    .option('--region <region>', 'region reported in locations and used for V4 signatures', 'cn-hangzhou')
    .option('--domain <domain>', 'base domain for virtual-hosted-style requests (<bucket>.<domain>)')
    .option('--ready-file <file>', 'write the endpoints as JSON to this file once every listener is up')
    .option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM)')
    .option('--tls-key <file>', 'private key for --tls-cert (PEM)')
    .option('--root-key-file <file>', 'root key (64 hex chars); default: COFFER_ROOT_KEY, else <data-dir>/root.key')
    .option('--master-key-rotation-days <days>', 'rotate the SSE-OSS master key after this many days', '90')
    .option('--log-level <level>', 'debug | info | warn | error', 'info')
    .addHelpText('after', '\nExample:\n  coffer server --data-dir ./data --oss-port 9000 --ready-file /tmp/coffer.json')
    .action(async (flags: ServerFlags) => {
      if (!!flags.tlsCert !== !!flags.tlsKey) throw new Error('--tls-cert and --tls-key go together');
      const rotationDays = Number(flags.masterKeyRotationDays);
      if (!(rotationDays > 0)) throw new Error('--master-key-rotation-days must be a positive number');
      // Loaded here, not at the top: the client commands start faster without the server's modules.
      const { startServer }: typeof import('../server/app') = require('../server/app');
      const server = await startServer({
        dataDir: path.resolve(flags.dataDir),
        host: flags.host,
        ossPort: port(flags.ossPort, '--oss-port'),
        kmsPort: port(flags.kmsPort, '--kms-port'),
        consolePort: port(flags.consolePort, '--console-port'),
        region: flags.region,
        domain: flags.domain,
        tls: flags.tlsCert ? { cert: flags.tlsCert, key: flags.tlsKey! } : undefined,
        rootKeyFile: flags.rootKeyFile,
        masterKeyRotationDays: rotationDays,
        logLevel: flags.logLevel,
        env: process.env,
      });
      const creds = server.rootCredentials;
      const lines = [
        'Coffer is ready.',
        `  OSS endpoint     ${server.endpoints.oss}`,
        `  KMS endpoint     ${server.endpoints.kms}   (KMS API 2016-01-20; Coffer admin API)`,
        `  Console          ${server.endpoints.console}   (log in with an access key pair; /metrics)`,
        `  Region           ${server.endpoints.region}`,
        `  Account id       ${server.coffer.accountId}`,
        `  AccessKeyId      ${creds.accessKeyId}`,
      ];
      if (creds.origin === 'generated') {
        lines.push(`  AccessKeySecret  ${creds.secret}`);
        lines.push(`  (generated now and stored in ${path.join(path.resolve(flags.dataDir), ROOT_CREDENTIALS_FILE)}; it is not printed again)`);
      } else if (creds.origin === 'data-dir') {
        lines.push(`  AccessKeySecret  in ${path.join(path.resolve(flags.dataDir), ROOT_CREDENTIALS_FILE)}`);
      } else {
        lines.push('  AccessKeySecret  from COFFER_ROOT_ACCESS_KEY_SECRET');
      }
      // The secret goes into the line only when it was just generated (and so is printed above anyway).
      const secretFlag = creds.origin === 'generated' ? ` --access-key-secret ${creds.secret}` : '';
      lines.push('', 'Point the coffer CLI at this server (writes ~/.coffer/config, mode 0600):',
        `  coffer config --endpoint ${server.endpoints.oss} --kms-endpoint ${server.endpoints.kms} --region ${server.endpoints.region} --access-key-id ${creds.accessKeyId}${secretFlag}`);
      if (!secretFlag) lines.push('  (add --access-key-secret, or set OSS_ACCESS_KEY_SECRET)');
      if (server.rootKey.origin === 'generated') {
        lines.push('', `WARNING: generated a root key in ${server.rootKey.generatedAt}. Everything encrypted here depends on it:`,
          'keep a copy somewhere else and pass it with COFFER_ROOT_KEY or --root-key-file.');
      }
      process.stdout.write(lines.join('\n') + '\n');
      if (flags.readyFile) {
        await fs.writeFile(flags.readyFile, JSON.stringify({ oss: server.endpoints.oss, kms: server.endpoints.kms, console: server.endpoints.console, region: server.endpoints.region }) + '\n');
      }
      const stop = (signal: string): void => {
        process.stdout.write(`${signal}: draining in-flight requests…\n`);
        server.close().then(() => process.exit(0), (err) => {
          process.stderr.write(`coffer: shutdown failed: ${err}\n`);
          process.exit(1);
        });
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
    });
}
