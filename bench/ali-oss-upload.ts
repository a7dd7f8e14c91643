/**
 * The yardstick for `coffer cp`: the same file uploaded by ali-oss's own multipartUpload, in a
 * process of its own as the CLI runs in one, with the credentials from the same variables.
 *   OSS_ACCESS_KEY_ID=… OSS_ACCESS_KEY_SECRET=… node ali-oss-upload.js <oss-url> <bucket> <key> <file> <part-size> <parallel>
 */

// ali-oss ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const OSS = require('ali-oss');

async function main(): Promise<void> {
  const [url, bucket, key, file, partSize, parallel] = process.argv.slice(2);
  const client = new OSS({
    endpoint: url, accessKeyId: process.env.OSS_ACCESS_KEY_ID, accessKeySecret: process.env.OSS_ACCESS_KEY_SECRET, region: 'oss-cn-hangzhou', bucket, timeout: 600_000,
  });
  await client.multipartUpload(key, file, { partSize: Number(partSize), parallel: Number(parallel) });
}

main().catch((err) => {
  process.stderr.write(`ali-oss-upload: ${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
