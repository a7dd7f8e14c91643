/**
 * `coffer encrypt`: re-encrypts every existing object under a prefix in place. Setting a bucket
 * rule does not touch existing objects (the seeds' FAQ); this does, by copying each object onto
 * itself with the SSE headers. It is resumable by construction: each object is checked with HEAD
 * first and left alone when it already is as asked, so a second run only does what is left.
 */
import type { Command } from 'commander';
import { action, connectionOptions, examples, type CommonFlags } from './context';
import { describeFailure, UsageError } from './errors';
import { parseCount } from './format';
import { rewriteObject } from './objects';
import { allObjects, describeSse, hasSse, objectSse, objectSseOptions, ossClient, ossUrl, parseOssUrl, SSE, sseHeaders } from './oss-client';
import { forEachLimit, Progress } from './progress';

interface EncryptFlags extends CommonFlags {
  sseAlgorithm?: string;
  sseKeyId?: string;
  sseDataEncryption?: string;
  parallel: string;
}

export function registerEncrypt(program: Command): void {
  const cmd = objectSseOptions(connectionOptions(program.command('encrypt <url>'), 'oss'))
    .description('re-encrypt every existing object under oss://bucket[/prefix] in place (CopyObject onto itself), skipping those already encrypted as asked')
    .option('--parallel <n>', 'objects at once', '8')
    .addHelpText('after', '\nETags, CRC-64s, metadata, ACLs and storage classes stay as they are. Run it again after an\n' +
      'interruption: objects already encrypted as asked are skipped. Without --sse-key-id, an object\n' +
      'under any KMS key counts as done for --sse-algorithm KMS. Exit code 1 if any object failed.\n' +
      'In a versioned bucket each object re-encrypted is a new version: its older versions keep the\n' +
      'encryption they had (a version cannot be changed in place). List them with coffer ls --all-versions,\n' +
      'and remove with coffer rm --version-id those that must not stay.');
  examples(cmd,
    'coffer encrypt oss://examplebucket --sse-algorithm AES256',
    'coffer encrypt oss://examplebucket/reports/ --sse-algorithm KMS --sse-key-id 0b6f… --parallel 16');
  cmd.action(action<EncryptFlags, [string]>(async (ctx, url) => {
    const { bucket, key: prefix } = parseOssUrl(url);
    const sse = objectSse(ctx.flags);
    if (!sse) throw new UsageError('encrypt needs --sse-algorithm (AES256, SM4 or KMS)');
    const parallel = parseCount(ctx.flags.parallel, '--parallel', 1, 256);
    const client = ossClient(ctx, bucket);
    const objects = await allObjects(client, prefix);
    const progress = new Progress('encrypt', 'objects', objects.length);
    const changed: string[] = [];
    let already = 0;
    const failed: Array<{ key: string; error: string }> = [];
    await forEachLimit(objects, parallel, async ({ name }) => {
      try {
        const current = (await client.head(name)).res.headers;
        if (hasSse(current, sse)) {
          already++;
        } else {
          // A copy resets the ACL to "default": carry it over.
          const { acl } = await client.getACL(name);
          const res = await rewriteObject(client, name, current, { ...sseHeaders(sse), 'x-oss-object-acl': acl });
          if (res.res.headers[SSE] !== sse.algorithm) throw new Error(`the server answered with encryption ${res.res.headers[SSE] ?? 'none'}`);
          changed.push(name);
        }
      } catch (err) {
        failed.push({ key: name, error: describeFailure(err, ctx.endpoints).message });
      }
      progress.add(1);
    });
    progress.finish();
    const where = ossUrl(bucket, prefix);
    const versioned = changed.length > 0 && (await client.getBucketVersioning(bucket)).versionStatus !== undefined;
    ctx.print({ url: where, encryption: sse, objects: objects.length, changed: changed.length, alreadyEncrypted: already, failed, olderVersionsKept: versioned }, () => [
      objects.length === 0
        ? `No objects under ${where}.`
        : changed.length === 0 && failed.length === 0
          ? `Nothing to do: all ${objects.length} object(s) under ${where} already are encrypted with ${describeSse(sse)}.`
          : `Encrypted ${changed.length} of ${objects.length} object(s) under ${where} with ${describeSse(sse)}; ${already} already were; ${failed.length} failed.`,
      ...failed.map((f) => `  FAILED ${ossUrl(bucket, f.key)}: ${f.error}`),
      ...(versioned ? [`The bucket is versioned: the older versions of the objects encrypted keep their encryption (coffer ls --all-versions ${where}).`] : []),
    ].join('\n'));
    if (failed.length) throw new Error(`${failed.length} of ${objects.length} object(s) could not be encrypted`);
  }));
}
