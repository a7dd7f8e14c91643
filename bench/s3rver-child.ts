/**
 * The comparison server: s3rver in its own process (so its RSS is measured like Coffer's),
 * storing under argv[2], with one bucket argv[4]; writes {"url": …} to argv[3] once listening.
 */
import { writeFileSync } from 'node:fs';

// s3rver ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const S3rver = require('s3rver');

const [directory, readyFile, bucket] = process.argv.slice(2);

async function main(): Promise<void> {
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  writeFileSync(readyFile, JSON.stringify({ url: `http://127.0.0.1:${port}` }));
  process.once('SIGTERM', () => server.close().then(() => process.exit(0)));
}

main().catch((err) => {
  process.stderr.write(`s3rver: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
