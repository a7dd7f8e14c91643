/** The `coffer` command. Exit codes: 0 ok, 1 a request or transfer failed, 2 a usage error. */
import { Command, CommanderError } from 'commander';
import { registerAdmin } from './admin';
import { registerBuckets } from './buckets';
import { registerConfig } from './configure';
import { examples, helpConfiguration } from './context';
import { registerCp } from './cp';
import { registerEncrypt } from './encrypt';
import { UsageError } from './errors';
import { registerKms } from './kms';
import { registerObjects } from './objects';
import { registerRam } from './ram';
import { registerServer } from './server';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('coffer')
    .description('Coffer: a self-hosted object store speaking the Alibaba Cloud OSS API, with server-side encryption')
    .version(require('../../../package.json').version)
    .exitOverride()
    .configureHelp(helpConfiguration);
  examples(program,
    'coffer server --data-dir ./data                 # prints a coffer config line for the commands below',
    'coffer config --endpoint http://127.0.0.1:9000 --kms-endpoint http://127.0.0.1:9002 --access-key-id LTAI… --access-key-secret …',
    'coffer mb oss://examplebucket && coffer cp ./01.txt oss://examplebucket/ && coffer stat oss://examplebucket/01.txt',
    'coffer <command> --help');
  registerServer(program);
  registerConfig(program);
  registerBuckets(program);
  registerCp(program);
  registerObjects(program);
  registerEncrypt(program);
  registerKms(program);
  registerRam(program);
  registerAdmin(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    if (err instanceof UsageError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}
