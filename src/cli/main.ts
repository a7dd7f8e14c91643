/** The `coffer` command. */
import { Command, CommanderError } from 'commander';
import { registerAdmin } from './admin';
import { registerServer } from './server';

export async function main(argv: string[]): Promise<void> {
  const program = new Command('coffer')
    .description('Coffer: a self-hosted object store speaking the Alibaba Cloud OSS API, with server-side encryption')
    .version(require('../../../package.json').version)
    .exitOverride();
  registerServer(program);
  registerAdmin(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : 2);
    throw err;
  }
}
