/**
 * The AWS CLI as Debian packages it (awscli, /usr/bin/aws, v2.9) against the S3 dialect, with its
 * default settings except path-style addressing (the endpoint is an IP) and a 5 MB multipart
 * threshold (so a 12 MiB file goes up and down in parts): `aws s3` mb/cp/ls/sync/rm/presign, SSE-S3,
 * SSE-KMS and SSE-C through `aws s3 cp`, `aws s3api` put/get/head-object with SSE-C and SSE-KMS,
 * list-objects-v2 in pages, and the bucket encryption rule; server-side copies. Over HTTPS (a
 * throwaway certificate): SSE-C without --allow-sse-c-over-http, and put-object with
 * --checksum-algorithm, which the CLI sends aws-chunked with an unsigned trailer. Every object read
 * back is compared byte for byte, and where encryption was asked for the data directory is searched
 * for the plaintext.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { filesContaining } from '../helpers/data-dir';
import { createKey, kmsClient } from '../helpers/kms';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, startTestServer, tempDir, type TestServer } from '../helpers/server';
import { encryptionOf, marker, record } from '../helpers/sse';
import { assertTree, cleanEnv, requireTool, run, sampleTree, selfSignedCert, skipUnlessTool, writeTree } from '../helpers/tools';

const skip = skipUnlessTool('aws');

describe('aws-cli (Debian awscli) against the S3 dialect', { skip }, () => {
  let srv: TestServer;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let keyId: string;
  const bucket = 'awscli-bucket';

  const aws = async (...args: string[]): Promise<string> => (await run(requireTool('aws'), ['--endpoint-url', srv.url, ...args], { env })).stdout;
  /** s3api calls answer JSON. */
  const api = async (...args: string[]): Promise<any> => {
    const out = await aws('s3api', ...args, '--output', 'json');
    return out.trim() === '' ? {} : JSON.parse(out);
  };
  /** A failing call: its stderr (which names the S3 error code). */
  const awsFails = async (...args: string[]): Promise<string> => {
    const err = await aws(...args).then(() => assert.fail(`aws ${args.join(' ')} succeeded`), (e: Error) => e.message);
    return err;
  };
  const file = (name: string, data: Buffer): string => {
    const p = path.join(home, 'files', name);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, data);
    return p;
  };
  const out = (name: string): string => path.join(home, 'out', name);

  before(async () => {
    srv = await startTestServer({ allowSseCOverHttp: true });
    home = tempDir('coffer-awscli-');
    mkdirSync(path.join(home, 'out'));
    env = cleanEnv(home, {
      AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: ACCESS_KEY_SECRET,
      AWS_DEFAULT_REGION: srv.region,
      AWS_CONFIG_FILE: path.join(home, 'aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_PAGER: '',
      // A request that failed and was retried must fail the test, not pass it on a second try.
      AWS_MAX_ATTEMPTS: '1',
    });
    writeFileSync(env.AWS_CONFIG_FILE!, '');
    writeFileSync(env.AWS_SHARED_CREDENTIALS_FILE!, '');
    // Path style: the endpoint is 127.0.0.1:<port>, which has no bucket subdomains.
    await run(requireTool('aws'), ['configure', 'set', 'default.s3.addressing_style', 'path'], { env });
    await run(requireTool('aws'), ['configure', 'set', 'default.s3.multipart_threshold', '5MB'], { env });
    await run(requireTool('aws'), ['configure', 'set', 'default.s3.multipart_chunksize', '5MB'], { env });
    const config = readFileSync(env.AWS_CONFIG_FILE!, 'utf8');
    assert.match(config, /addressing_style = path/);
    assert.match(config, /multipart_threshold = 5MB/);
    keyId = await createKey(kmsClient(srv));
  });
  after(async () => {
    await srv?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('uses the Debian build', async () => {
    const version = (await run(requireTool('aws'), ['--version'], { env })).stdout;
    assert.match(version, /^aws-cli\/2\./, version);
  });

  it('s3 mb, cp up and down, ls', async () => {
    assert.match(await aws('s3', 'mb', `s3://${bucket}`), new RegExp(`make_bucket: ${bucket}`));
    assert.match(await aws('s3', 'ls'), new RegExp(` ${bucket}\n`));
    const m = marker(100_000);
    await aws('s3', 'cp', file('one.bin', m.data), `s3://${bucket}/dir/one.bin`);
    const listing = await aws('s3', 'ls', `s3://${bucket}/dir/`);
    assert.match(listing, /\s100000 one\.bin\n/, listing);
    assert.match(await aws('s3', 'ls', `s3://${bucket}/`), /\s+PRE dir\/\n/);
    await aws('s3', 'cp', `s3://${bucket}/dir/one.bin`, out('one.bin'));
    assert.ok(readFileSync(out('one.bin')).equals(m.data));
    // Unencrypted: the bytes are on disk as they are (this proves the later searches can find them).
    assert.notDeepEqual(filesContaining(srv.dataDir, [m.token]), []);
  });

  it('s3 sync a tree up (a 12 MiB file in 5 MB parts) and back, sync again is a no-op, rm', async () => {
    const m = marker(64);
    const tree = sampleTree(m.token);
    const src = path.join(home, 'tree-up');
    writeTree(src, tree);
    await aws('s3', 'sync', src, `s3://${bucket}/tree`);
    const listing = await aws('s3', 'ls', '--recursive', `s3://${bucket}/tree/`);
    for (const [rel, data] of Object.entries(tree)) assert.match(listing, new RegExp(`\\s${data.length} tree/${rel.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`), listing);
    // Multipart: S3 ETags of multipart objects are "<md5 of part md5s>-<parts>"; 12 MiB in 5 MB parts is 3.
    const head = await api('head-object', '--bucket', bucket, '--key', 'tree/media/big.bin');
    assert.match(head.ETag, /-3"$/, head.ETag);
    assert.equal(head.ContentLength, tree['media/big.bin'].length);
    // Nothing changed: sync has nothing to do (sizes and times in the listing agree with the files).
    assert.equal((await aws('s3', 'sync', src, `s3://${bucket}/tree`)).trim(), '');
    const back = path.join(home, 'tree-down');
    await aws('s3', 'sync', `s3://${bucket}/tree`, back);
    assertTree(back, tree);
    // A file removed locally goes with --delete.
    rmSync(path.join(src, 'docs/readme.md'));
    assert.match(await aws('s3', 'sync', '--delete', src, `s3://${bucket}/tree`), /delete: s3:\/\/awscli-bucket\/tree\/docs\/readme\.md/);
    assert.equal(await srv.running.coffer.meta.getObject(bucket, 'tree/docs/readme.md'), null);
    await aws('s3', 'rm', `s3://${bucket}/tree/hello.txt`);
    assert.doesNotMatch(await aws('s3', 'ls', '--recursive', `s3://${bucket}/tree/`), /hello\.txt/);
    await aws('s3', 'rm', '--recursive', `s3://${bucket}/tree/`);
    assert.equal((await aws('s3', 'ls', '--recursive', `s3://${bucket}/tree/`).catch(() => '')).trim(), '');
  });

  it('s3 cp --sse AES256 (single and multipart): SSE-S3 records, ciphertext on disk', async () => {
    const m = marker(6 * 1024 * 1024 + 5);
    const small = marker(10_000);
    await aws('s3', 'cp', '--sse', 'AES256', file('sse-s3.bin', m.data), `s3://${bucket}/sse-s3/big`);
    await aws('s3', 'cp', '--sse', 'AES256', file('sse-s3-small.bin', small.data), `s3://${bucket}/sse-s3/small`);
    for (const key of ['sse-s3/big', 'sse-s3/small']) {
      assert.equal(encryptionOf(await record(srv, bucket, key))?.algorithm, 'AES256', key);
      assert.equal((await api('head-object', '--bucket', bucket, '--key', key)).ServerSideEncryption, 'AES256');
    }
    assert.deepEqual(filesContaining(srv.dataDir, [m.token, small.token]), []);
    await aws('s3', 'cp', `s3://${bucket}/sse-s3/big`, out('sse-s3.bin'));
    assert.ok(readFileSync(out('sse-s3.bin')).equals(m.data));
    await aws('s3', 'cp', `s3://${bucket}/sse-s3/small`, out('sse-s3-small.bin'));
    assert.ok(readFileSync(out('sse-s3-small.bin')).equals(small.data));
  });

  it('s3 cp --sse aws:kms --sse-kms-key-id: SSE-KMS under the key, ciphertext on disk', async () => {
    const m = marker(7 * 1024 * 1024);
    await aws('s3', 'cp', '--sse', 'aws:kms', '--sse-kms-key-id', keyId, file('kms.bin', m.data), `s3://${bucket}/kms/big`);
    const enc = encryptionOf(await record(srv, bucket, 'kms/big'));
    assert.equal(enc?.kek.provider, 'kms');
    const head = await api('head-object', '--bucket', bucket, '--key', 'kms/big');
    assert.equal(head.ServerSideEncryption, 'aws:kms');
    assert.equal(head.SSEKMSKeyId, keyId);
    assert.deepEqual(filesContaining(srv.dataDir, [m.token]), []);
    await aws('s3', 'cp', `s3://${bucket}/kms/big`, out('kms.bin'));
    assert.ok(readFileSync(out('kms.bin')).equals(m.data));
  });

  it('s3 cp --sse-c AES256 --sse-c-key fileb://… up and down (multipart too); no key, no data', async () => {
    const key = file('sse-c.key', randomBytes(32));
    const m = marker(11 * 1024 * 1024);
    const small = marker(5000);
    const sseC = ['--sse-c', 'AES256', '--sse-c-key', `fileb://${key}`];
    await aws('s3', 'cp', ...sseC, file('ssec.bin', m.data), `s3://${bucket}/ssec/big`);
    await aws('s3', 'cp', ...sseC, file('ssec-small.bin', small.data), `s3://${bucket}/ssec/small`);
    assert.equal(encryptionOf(await record(srv, bucket, 'ssec/big'))?.algorithm, 'SSE-C');
    assert.deepEqual(filesContaining(srv.dataDir, [m.token, small.token]), []);
    await aws('s3', 'cp', ...sseC, `s3://${bucket}/ssec/big`, out('ssec.bin'));
    assert.ok(readFileSync(out('ssec.bin')).equals(m.data));
    await aws('s3', 'cp', ...sseC, `s3://${bucket}/ssec/small`, out('ssec-small.bin'));
    assert.ok(readFileSync(out('ssec-small.bin')).equals(small.data));
    // Without the key the object cannot be read (HeadObject answers 400 before any GET).
    assert.match(await awsFails('s3', 'cp', `s3://${bucket}/ssec/small`, out('ssec-nokey.bin')), /\(400\)|Bad Request|InvalidRequest/);
    // With another key neither (403 AccessDenied as S3 answers a wrong SSE-C key).
    const wrong = file('sse-c-wrong.key', randomBytes(32));
    assert.match(await awsFails('s3', 'cp', '--sse-c', 'AES256', '--sse-c-key', `fileb://${wrong}`, `s3://${bucket}/ssec/small`, out('ssec-wrong.bin')), /\(403\)|Forbidden|AccessDenied/);
  });

  it('s3 cp and mv between keys: server-side copies (12 MiB by UploadPartCopy), SSE-C source to SSE-C and to SSE-S3', async () => {
    const m = marker(12 * 1024 * 1024);
    await aws('s3', 'cp', file('copy-src.bin', m.data), `s3://${bucket}/copy/src`);
    await aws('s3', 'cp', `s3://${bucket}/copy/src`, `s3://${bucket}/copy/dst`);
    const head = await api('head-object', '--bucket', bucket, '--key', 'copy/dst');
    assert.equal(head.ContentLength, m.data.length);
    // Copied in parts (CreateMultipartUpload, UploadPartCopy with ranges, Complete): a multipart ETag.
    assert.match(head.ETag, /-3"$/, head.ETag);
    await aws('s3', 'mv', `s3://${bucket}/copy/dst`, `s3://${bucket}/copy/moved`);
    assert.equal(await srv.running.coffer.meta.getObject(bucket, 'copy/dst'), null);
    await aws('s3', 'cp', `s3://${bucket}/copy/moved`, out('copy-moved.bin'));
    assert.ok(readFileSync(out('copy-moved.bin')).equals(m.data));

    const key = file('copy-c.key', randomBytes(32));
    const key2 = file('copy-c2.key', randomBytes(32));
    const c = marker(7 * 1024 * 1024);
    await aws('s3', 'cp', '--sse-c', 'AES256', '--sse-c-key', `fileb://${key}`, file('copy-c.bin', c.data), `s3://${bucket}/copy/c-src`);
    const source = ['--sse-c-copy-source', 'AES256', '--sse-c-copy-source-key', `fileb://${key}`];
    await aws('s3', 'cp', ...source, '--sse-c', 'AES256', '--sse-c-key', `fileb://${key2}`, `s3://${bucket}/copy/c-src`, `s3://${bucket}/copy/c-dst`);
    await aws('s3', 'cp', ...source, '--sse', 'AES256', `s3://${bucket}/copy/c-src`, `s3://${bucket}/copy/s3-dst`);
    assert.equal(encryptionOf(await record(srv, bucket, 'copy/c-dst'))?.algorithm, 'SSE-C');
    assert.equal(encryptionOf(await record(srv, bucket, 'copy/s3-dst'))?.algorithm, 'AES256');
    await aws('s3', 'cp', '--sse-c', 'AES256', '--sse-c-key', `fileb://${key2}`, `s3://${bucket}/copy/c-dst`, out('copy-c-dst.bin'));
    assert.ok(readFileSync(out('copy-c-dst.bin')).equals(c.data));
    await aws('s3', 'cp', `s3://${bucket}/copy/s3-dst`, out('copy-s3-dst.bin'));
    assert.ok(readFileSync(out('copy-s3-dst.bin')).equals(c.data));
    assert.deepEqual(filesContaining(srv.dataDir, [c.token]), []);
  });

  it('s3api put-object/get-object/head-object with SSE-C and with SSE-KMS', async () => {
    const key = file('api-sse-c.key', randomBytes(32));
    const c = ['--sse-customer-algorithm', 'AES256', '--sse-customer-key', `fileb://${key}`];
    const m = marker(300_000);
    const put = await api('put-object', '--bucket', bucket, '--key', 'api/ssec', '--body', file('api-ssec.bin', m.data), ...c);
    assert.equal(put.SSECustomerAlgorithm, 'AES256');
    assert.ok(put.SSECustomerKeyMD5);
    const head = await api('head-object', '--bucket', bucket, '--key', 'api/ssec', ...c);
    assert.equal(head.SSECustomerAlgorithm, 'AES256');
    assert.equal(head.SSECustomerKeyMD5, put.SSECustomerKeyMD5);
    assert.equal(head.ContentLength, m.data.length);
    const got = await api('get-object', '--bucket', bucket, '--key', 'api/ssec', ...c, out('api-ssec.bin'));
    assert.equal(got.SSECustomerAlgorithm, 'AES256');
    assert.ok(readFileSync(out('api-ssec.bin')).equals(m.data));
    assert.match(await awsFails('s3api', 'get-object', '--bucket', bucket, '--key', 'api/ssec', out('api-ssec-nokey.bin')), /InvalidRequest|\(400\)/);
    assert.equal(encryptionOf(await record(srv, bucket, 'api/ssec'))?.algorithm, 'SSE-C');

    const k = marker(200_000);
    const putK = await api('put-object', '--bucket', bucket, '--key', 'api/kms', '--body', file('api-kms.bin', k.data), '--server-side-encryption', 'aws:kms', '--ssekms-key-id', keyId);
    assert.equal(putK.ServerSideEncryption, 'aws:kms');
    assert.equal(putK.SSEKMSKeyId, keyId);
    const headK = await api('head-object', '--bucket', bucket, '--key', 'api/kms');
    assert.equal(headK.ServerSideEncryption, 'aws:kms');
    assert.equal(headK.SSEKMSKeyId, keyId);
    const gotK = await api('get-object', '--bucket', bucket, '--key', 'api/kms', out('api-kms.bin'));
    assert.equal(gotK.ServerSideEncryption, 'aws:kms');
    assert.ok(readFileSync(out('api-kms.bin')).equals(k.data));
    assert.equal(encryptionOf(await record(srv, bucket, 'api/kms'))?.kek.provider, 'kms');
    assert.deepEqual(filesContaining(srv.dataDir, [m.token, k.token]), []);
  });

  it('s3api list-objects-v2: every key, in pages of 2 (continuation tokens), with a delimiter', async () => {
    const keys = ['list/a', 'list/b/1', 'list/b/2', 'list/c', 'list/d d', 'list/é'];
    for (const k of keys) file(k, Buffer.from(k));
    await aws('s3', 'cp', '--recursive', path.join(home, 'files', 'list'), `s3://${bucket}/list`);
    // --page-size makes the CLI ask for 2 keys at a time and follow NextContinuationToken.
    const all = await api('list-objects-v2', '--bucket', bucket, '--prefix', 'list/', '--page-size', '2');
    assert.deepEqual(all.Contents.map((o: { Key: string }) => o.Key), keys);
    assert.deepEqual(all.Contents.map((o: { Size: number }) => o.Size), keys.map((k) => Buffer.byteLength(k)));
    const delimited = await api('list-objects-v2', '--bucket', bucket, '--prefix', 'list/', '--delimiter', '/');
    assert.deepEqual(delimited.Contents.map((o: { Key: string }) => o.Key), ['list/a', 'list/c', 'list/d d', 'list/é']);
    assert.deepEqual(delimited.CommonPrefixes, [{ Prefix: 'list/b/' }]);
    // One page by hand: MaxKeys, IsTruncated and the token the next call takes.
    const first = await api('list-objects-v2', '--bucket', bucket, '--prefix', 'list/', '--max-keys', '4', '--no-paginate');
    assert.equal(first.KeyCount, 4);
    assert.equal(first.IsTruncated, true);
    const rest = await api('list-objects-v2', '--bucket', bucket, '--prefix', 'list/', '--continuation-token', first.NextContinuationToken, '--no-paginate');
    assert.deepEqual(rest.Contents.map((o: { Key: string }) => o.Key), keys.slice(4));
  });

  it('s3api get-bucket-encryption / put-bucket-encryption; the default then applies to s3 cp', async () => {
    const b = 'awscli-default-enc';
    await aws('s3', 'mb', `s3://${b}`);
    assert.match(await awsFails('s3api', 'get-bucket-encryption', '--bucket', b), /ServerSideEncryptionConfigurationNotFoundError/);
    await api('put-bucket-encryption', '--bucket', b, '--server-side-encryption-configuration', JSON.stringify({ Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] }));
    const got = await api('get-bucket-encryption', '--bucket', b);
    assert.equal(got.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault.SSEAlgorithm, 'AES256');
    const m = marker(50_000);
    await aws('s3', 'cp', file('default-enc.bin', m.data), `s3://${b}/obj`);
    assert.equal(encryptionOf(await record(srv, b, 'obj'))?.algorithm, 'AES256');
    assert.equal((await api('head-object', '--bucket', b, '--key', 'obj')).ServerSideEncryption, 'AES256');
    assert.deepEqual(filesContaining(srv.dataDir, [m.token]), []);
    await aws('s3', 'cp', `s3://${b}/obj`, out('default-enc.bin'));
    assert.ok(readFileSync(out('default-enc.bin')).equals(m.data));

    await api('put-bucket-encryption', '--bucket', b, '--server-side-encryption-configuration', JSON.stringify({ Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyId } }] }));
    const kms = await api('get-bucket-encryption', '--bucket', b);
    assert.deepEqual(kms.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault, { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: keyId });
    const k = marker(50_000);
    await aws('s3', 'cp', file('default-kms.bin', k.data), `s3://${b}/kms-obj`);
    assert.equal((await api('head-object', '--bucket', b, '--key', 'kms-obj')).SSEKMSKeyId, keyId);
    assert.deepEqual(filesContaining(srv.dataDir, [k.token]), []);
  });

  it('s3 cp - (from standard input, size unknown: multipart in 5 MB parts) and to standard output', async () => {
    const m = marker(12 * 1024 * 1024 + 7);
    await run(requireTool('aws'), ['--endpoint-url', srv.url, 's3', 'cp', '-', `s3://${bucket}/stdin/obj`], { env, input: m.data });
    const head = await api('head-object', '--bucket', bucket, '--key', 'stdin/obj');
    assert.equal(head.ContentLength, m.data.length);
    assert.match(head.ETag, /-3"$/, head.ETag);
    const down = await new Promise<Buffer>((resolve, reject) => {
      execFile(requireTool('aws'), ['--endpoint-url', srv.url, 's3', 'cp', `s3://${bucket}/stdin/obj`, '-'], { env, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr.toString()}`)) : resolve(stdout)));
    });
    assert.ok(down.equals(m.data));
  });

  it('s3 presign: the URL fetched without credentials gives the object; altered, it is refused', async () => {
    const m = marker(123_456);
    await aws('s3', 'cp', file('presign.bin', m.data), `s3://${bucket}/presign/obj`);
    const url = (await aws('s3', 'presign', `s3://${bucket}/presign/obj`, '--expires-in', '300')).trim();
    assert.match(url, /X-Amz-Signature=/, url);
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.ok(Buffer.from(await res.arrayBuffer()).equals(m.data));
    const tampered = url.replace('X-Amz-Expires=300', 'X-Amz-Expires=301');
    assert.notEqual(tampered, url);
    const refused = await fetch(tampered);
    assert.equal(refused.status, 403);
    assert.match(await refused.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
  });

  it('s3 rb --force empties and removes the bucket', async () => {
    const b = 'awscli-remove-me';
    await aws('s3', 'mb', `s3://${b}`);
    await aws('s3', 'cp', file('rb.txt', Buffer.from('bye')), `s3://${b}/a/b/c.txt`);
    await aws('s3', 'rb', '--force', `s3://${b}`);
    assert.doesNotMatch(await aws('s3', 'ls'), new RegExp(` ${b}\n`));
    assert.equal(await srv.running.coffer.meta.getBucket(b), null);
  });
});

describe('aws-cli (Debian awscli) over HTTPS', { skip }, () => {
  let srv: TestServer;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let ca: string;
  const bucket = 'awscli-tls';
  const aws = async (...args: string[]): Promise<string> => (await run(requireTool('aws'), ['--endpoint-url', srv.url, '--ca-bundle', ca, ...args], { env })).stdout;

  before(async () => {
    home = tempDir('coffer-awscli-tls-');
    const tls = selfSignedCert(home);
    ca = tls.cert;
    // SSE-C over TLS, as S3 requires it: no --allow-sse-c-over-http here.
    srv = await startTestServer({ tls });
    env = cleanEnv(home, {
      AWS_ACCESS_KEY_ID: ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY: ACCESS_KEY_SECRET, AWS_DEFAULT_REGION: srv.region,
      AWS_CONFIG_FILE: path.join(home, 'aws-config'), AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'aws-credentials'),
      AWS_EC2_METADATA_DISABLED: 'true', AWS_PAGER: '', AWS_MAX_ATTEMPTS: '1',
    });
    writeFileSync(env.AWS_CONFIG_FILE!, '[default]\ns3 =\n  addressing_style = path\n  multipart_threshold = 5MB\n  multipart_chunksize = 5MB\n');
    writeFileSync(env.AWS_SHARED_CREDENTIALS_FILE!, '');
  });
  after(async () => {
    await srv?.close();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it('s3 cp with SSE-C up and down (multipart), ciphertext on disk', async () => {
    const key = path.join(home, 'sse-c.key');
    writeFileSync(key, randomBytes(32));
    const m = marker(11 * 1024 * 1024);
    writeFileSync(path.join(home, 'ssec.bin'), m.data);
    await aws('s3', 'mb', `s3://${bucket}`);
    await aws('s3', 'cp', '--sse-c', 'AES256', '--sse-c-key', `fileb://${key}`, path.join(home, 'ssec.bin'), `s3://${bucket}/ssec`);
    await aws('s3', 'cp', '--sse-c', 'AES256', '--sse-c-key', `fileb://${key}`, `s3://${bucket}/ssec`, path.join(home, 'ssec.down'));
    assert.ok(readFileSync(path.join(home, 'ssec.down')).equals(m.data));
    assert.equal(encryptionOf(await record(srv, bucket, 'ssec'))?.algorithm, 'SSE-C');
    assert.deepEqual(filesContaining(srv.dataDir, [m.token]), []);
  });

  it('s3api put-object --checksum-algorithm (a file: aws-chunked, unsigned, the checksum in a trailer), get-object --checksum-mode', async () => {
    const data = randomBytes(3 * 1024 * 1024 + 11);
    writeFileSync(path.join(home, 'ck.bin'), data);
    for (const [alg, expected] of [['SHA256', createHash('sha256').update(data).digest('base64')], ['SHA1', createHash('sha1').update(data).digest('base64')], ['CRC32', null]] as const) {
      const put = JSON.parse(await aws('s3api', 'put-object', '--bucket', bucket, '--key', `ck-${alg}`, '--body', path.join(home, 'ck.bin'), '--checksum-algorithm', alg, '--output', 'json'));
      if (expected) assert.equal(put[`Checksum${alg}`], expected, alg);
      // The CLI checks the body it receives against the answered checksum.
      const got = JSON.parse(await aws('s3api', 'get-object', '--bucket', bucket, '--key', `ck-${alg}`, '--checksum-mode', 'ENABLED', path.join(home, `ck-${alg}.down`), '--output', 'json'));
      assert.equal(got[`Checksum${alg}`], put[`Checksum${alg}`], alg);
      assert.ok(readFileSync(path.join(home, `ck-${alg}.down`)).equals(data), alg);
    }
  });
});
