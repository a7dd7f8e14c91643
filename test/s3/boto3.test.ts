/**
 * boto3 as Debian packages it (python3-boto3, 1.26, run by /usr/bin/python3) against the S3
 * dialect: a Python script written at test time makes the calls with boto3's defaults (path style
 * and the region aside) and prints one JSON document of what it saw; the test asserts on it, on the
 * files it downloaded, and on the data directory. Covered: create_bucket, put_object with Metadata
 * and ServerSideEncryption AES256, get_object, head_object, list_objects_v2 paging (paginator and
 * by hand; V1 by Marker), head_bucket, get_bucket_location, tagging, an aborted multipart upload,
 * upload_file/download_file of 12 MiB through TransferConfig (5 MB parts), copy_object,
 * delete_objects, a presigned GET through urllib, SSE-C put/get/head, and flexible checksums.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { filesContaining } from '../helpers/data-dir';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET, startTestServer, tempDir, type TestServer } from '../helpers/server';
import { encryptionOf, marker, record } from '../helpers/sse';
import { cleanEnv, requireTool, run, selfSignedCert, skipUnlessTool } from '../helpers/tools';

const skip = skipUnlessTool('python3');

/**
 * CRC-32 (ISO-HDLC, zlib's, the one S3's CRC32 is) computed bit by bit here, independently of the
 * server's tables, as S3 writes it: the 4 bytes big-endian, base64.
 */
function crc32Base64(data: Buffer): string {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let i = 0; i < 8; i++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  const b = Buffer.alloc(4);
  b.writeUInt32BE((crc ^ 0xffffffff) >>> 0);
  return b.toString('base64');
}

const SCRIPT = String.raw`
import json, os, ssl, sys, urllib.request
import boto3, botocore
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

endpoint, region, bucket, work, ca = sys.argv[1:6]
def read(name):
    with open(os.path.join(work, name), 'rb') as f:
        return f.read()

# Path style: the endpoint is 127.0.0.1:<port>, which has no bucket subdomains. One attempt: a
# request that fails must fail the test, not pass on a retry.
s3 = boto3.client('s3', endpoint_url=endpoint, region_name=region,
                  aws_access_key_id=os.environ['COFFER_KEY_ID'], aws_secret_access_key=os.environ['COFFER_KEY_SECRET'],
                  verify=ca or None, config=Config(s3={'addressing_style': 'path'}, retries={'max_attempts': 1, 'mode': 'standard'}))
out = {'boto3': boto3.__version__, 'botocore': botocore.__version__}

# How botocore sent each request's payload: (operation, x-amz-content-sha256, Content-Encoding, x-amz-trailer).
payloads = []
def text(v):
    return v.decode() if isinstance(v, bytes) else (v or '')
def note(request, event_name, **kwargs):
    h = request.headers
    payloads.append([event_name.split('.')[-1], text(h.get('x-amz-content-sha256')), text(h.get('Content-Encoding')), text(h.get('x-amz-trailer'))])
s3.meta.events.register('before-send.s3.*', note)

def error_of(call):
    try:
        call()
    except ClientError as e:
        return {'code': e.response['Error']['Code'], 'status': e.response['ResponseMetadata']['HTTPStatusCode']}
    return None

out['create_bucket'] = s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={'LocationConstraint': region})['ResponseMetadata']['HTTPStatusCode']
out['buckets'] = [b['Name'] for b in s3.list_buckets()['Buckets']]

# put_object with user metadata and SSE-S3; get_object; head_object.
sse = read('sse.bin')
put = s3.put_object(Bucket=bucket, Key='meta/sse.bin', Body=sse, Metadata={'colour': 'blue', 'count': '42'},
                    ServerSideEncryption='AES256', ContentType='application/x-coffer')
out['put'] = {'ETag': put['ETag'], 'ServerSideEncryption': put.get('ServerSideEncryption')}
got = s3.get_object(Bucket=bucket, Key='meta/sse.bin')
body = got['Body'].read()
out['get'] = {'same': body == sse, 'length': len(body), 'Metadata': got['Metadata'], 'ContentType': got['ContentType'],
              'ServerSideEncryption': got.get('ServerSideEncryption'), 'ETag': got['ETag']}
ranged = s3.get_object(Bucket=bucket, Key='meta/sse.bin', Range='bytes=100-199')
out['range'] = {'same': ranged['Body'].read() == sse[100:200], 'ContentRange': ranged['ContentRange']}
head = s3.head_object(Bucket=bucket, Key='meta/sse.bin')
out['head'] = {'ContentLength': head['ContentLength'], 'Metadata': head['Metadata'], 'ServerSideEncryption': head.get('ServerSideEncryption'),
               'ETag': head['ETag'], 'LastModified': head['LastModified'].isoformat()}
out['head_missing'] = error_of(lambda: s3.head_object(Bucket=bucket, Key='meta/none'))
out['get_missing'] = error_of(lambda: s3.get_object(Bucket=bucket, Key='meta/none'))

# list_objects_v2 in pages of 3: the paginator follows NextContinuationToken; then by hand with StartAfter.
keys = ['page/%02d' % i for i in range(8)]
for k in keys:
    s3.put_object(Bucket=bucket, Key=k, Body=k.encode())
pages = list(s3.get_paginator('list_objects_v2').paginate(Bucket=bucket, Prefix='page/', PaginationConfig={'PageSize': 3}))
out['pages'] = [{'KeyCount': p['KeyCount'], 'IsTruncated': p['IsTruncated'], 'Keys': [o['Key'] for o in p.get('Contents', [])]} for p in pages]
after = s3.list_objects_v2(Bucket=bucket, Prefix='page/', StartAfter='page/05', MaxKeys=10)
out['start_after'] = [o['Key'] for o in after['Contents']]
delimited = s3.list_objects_v2(Bucket=bucket, Delimiter='/')
out['delimited'] = {'prefixes': [p['Prefix'] for p in delimited.get('CommonPrefixes', [])], 'keys': [o['Key'] for o in delimited.get('Contents', [])]}

# The bucket: head_bucket, its location; list_objects (V1) pages by Marker.
out['head_bucket'] = s3.head_bucket(Bucket=bucket)['ResponseMetadata']['HTTPHeaders'].get('x-amz-bucket-region')
out['location'] = s3.get_bucket_location(Bucket=bucket).get('LocationConstraint')
v1 = list(s3.get_paginator('list_objects').paginate(Bucket=bucket, Prefix='page/', PaginationConfig={'PageSize': 5}))
out['v1_pages'] = [[o['Key'] for o in p.get('Contents', [])] for p in v1]

# Tagging, and an aborted multipart upload (nothing left of it).
s3.put_object_tagging(Bucket=bucket, Key='meta/sse.bin', Tagging={'TagSet': [{'Key': 'project', 'Value': 'coffer'}]})
out['tags'] = s3.get_object_tagging(Bucket=bucket, Key='meta/sse.bin')['TagSet']
mpu = s3.create_multipart_upload(Bucket=bucket, Key='aborted')
s3.upload_part(Bucket=bucket, Key='aborted', UploadId=mpu['UploadId'], PartNumber=1, Body=b'part one')
s3.abort_multipart_upload(Bucket=bucket, Key='aborted', UploadId=mpu['UploadId'])
out['uploads_left'] = s3.list_multipart_uploads(Bucket=bucket).get('Uploads', [])
out['aborted_parts'] = error_of(lambda: s3.list_parts(Bucket=bucket, Key='aborted', UploadId=mpu['UploadId']))

# upload_file / download_file of 12 MiB in 5 MB parts.
tc = TransferConfig(multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024)
s3.upload_file(os.path.join(work, 'big.bin'), bucket, 'transfer/big.bin', Config=tc)
out['big_head'] = {'ETag': s3.head_object(Bucket=bucket, Key='transfer/big.bin')['ETag'],
                   'ContentLength': s3.head_object(Bucket=bucket, Key='transfer/big.bin')['ContentLength']}
s3.download_file(bucket, 'transfer/big.bin', os.path.join(work, 'big.down'), Config=tc)

# copy_object, with the metadata replaced; the copy asks for SSE-S3 again (without it the copy would be
# stored unencrypted, as CopyObject without x-amz-server-side-encryption does in a bucket without a default).
copy = s3.copy_object(Bucket=bucket, Key='copy/of-sse.bin', CopySource={'Bucket': bucket, 'Key': 'meta/sse.bin'},
                      MetadataDirective='REPLACE', Metadata={'copied': 'yes'}, ServerSideEncryption='AES256')
out['copy'] = {'ETag': copy['CopyObjectResult']['ETag'], 'ServerSideEncryption': copy.get('ServerSideEncryption')}
copied = s3.get_object(Bucket=bucket, Key='copy/of-sse.bin')
out['copy_get'] = {'same': copied['Body'].read() == sse, 'Metadata': copied['Metadata']}

# delete_objects: some there, one not (S3 reports it deleted too).
deleted = s3.delete_objects(Bucket=bucket, Delete={'Objects': [{'Key': k} for k in keys[:5]] + [{'Key': 'page/never'}]})
out['deleted'] = sorted(d['Key'] for d in deleted.get('Deleted', []))
out['delete_errors'] = deleted.get('Errors', [])
out['left'] = [o['Key'] for o in s3.list_objects_v2(Bucket=bucket, Prefix='page/')['Contents']]

# A presigned GET, fetched without credentials.
url = s3.generate_presigned_url('get_object', Params={'Bucket': bucket, 'Key': 'meta/sse.bin'}, ExpiresIn=300)
with urllib.request.urlopen(url, context=ssl.create_default_context(cafile=ca) if ca else None) as r:
    out['presigned'] = {'url': url, 'status': r.status, 'same': r.read() == sse}

# SSE-C: put, head and get with the key; get without it, and with another, refused.
key, other = read('sse-c.key'), read('sse-c-other.key')
ssec = read('ssec.bin')
pc = s3.put_object(Bucket=bucket, Key='ssec/obj', Body=ssec, SSECustomerAlgorithm='AES256', SSECustomerKey=key)
out['ssec_put'] = {'SSECustomerAlgorithm': pc.get('SSECustomerAlgorithm'), 'SSECustomerKeyMD5': pc.get('SSECustomerKeyMD5')}
hc = s3.head_object(Bucket=bucket, Key='ssec/obj', SSECustomerAlgorithm='AES256', SSECustomerKey=key)
out['ssec_head'] = {'ContentLength': hc['ContentLength'], 'SSECustomerAlgorithm': hc.get('SSECustomerAlgorithm')}
gc = s3.get_object(Bucket=bucket, Key='ssec/obj', SSECustomerAlgorithm='AES256', SSECustomerKey=key)
out['ssec_get'] = {'same': gc['Body'].read() == ssec, 'SSECustomerKeyMD5': gc.get('SSECustomerKeyMD5')}
out['ssec_no_key'] = error_of(lambda: s3.get_object(Bucket=bucket, Key='ssec/obj'))
out['ssec_other_key'] = error_of(lambda: s3.get_object(Bucket=bucket, Key='ssec/obj', SSECustomerAlgorithm='AES256', SSECustomerKey=other))

# Flexible checksums: put with each algorithm from a file (a stream: over HTTPS botocore sends it
# aws-chunked with the checksum in a trailer), get with ChecksumMode (botocore checks the body
# against the answered checksum and raises on a mismatch); a multipart upload with SHA256.
out['checksums'] = {}
for alg in ['CRC32', 'CRC32C', 'SHA1', 'SHA256']:
    with open(os.path.join(work, 'ck.bin'), 'rb') as f:
        p = s3.put_object(Bucket=bucket, Key='ck/' + alg, Body=f, ChecksumAlgorithm=alg)
    g = s3.get_object(Bucket=bucket, Key='ck/' + alg, ChecksumMode='ENABLED')
    out['checksums'][alg] = {'put': p.get('Checksum' + alg), 'get': g.get('Checksum' + alg), 'same': g['Body'].read() == read('ck.bin')}
s3.upload_file(os.path.join(work, 'big.bin'), bucket, 'ck/mpu', ExtraArgs={'ChecksumAlgorithm': 'SHA256'}, Config=tc)
out['mpu_checksum'] = s3.head_object(Bucket=bucket, Key='ck/mpu', ChecksumMode='ENABLED').get('ChecksumSHA256')
s3.download_file(bucket, 'ck/mpu', os.path.join(work, 'ck-mpu.down'), Config=tc)

out['payloads'] = payloads
print(json.dumps(out))
`;

/**
 * Runs the script against a fresh server: over HTTP (SSE-C allowed there for the test), or over
 * HTTPS with a throwaway certificate (botocore then sends UNSIGNED-PAYLOAD, and streams with a
 * checksum as aws-chunked with an unsigned trailer).
 */
function scenario(transport: 'HTTP' | 'HTTPS'): void {
  describe(`boto3 (Debian python3-boto3) against the S3 dialect over ${transport}`, { skip }, () => {
    let srv: TestServer;
    let work: string;
    let ca = '';
    const bucket = 'boto3-bucket';

    before(async () => {
      work = tempDir('coffer-boto3-');
      if (transport === 'HTTPS') {
        const tls = selfSignedCert(work);
        ca = tls.cert;
        srv = await startTestServer({ tls });
      } else {
        srv = await startTestServer({ allowSseCOverHttp: true });
      }
    });
    after(async () => {
      await srv?.close();
      if (work) rmSync(work, { recursive: true, force: true });
    });

    it('the script\'s calls, their answers, the downloaded bytes and the data directory', async (t) => {
      const sse = marker(200_000);
      const ssec = marker(150_000);
      const ck = randomBytes(300_000);
      const big = randomBytes(12 * 1024 * 1024);
      const keyC = randomBytes(32);
      writeFileSync(path.join(work, 'sse.bin'), sse.data);
      writeFileSync(path.join(work, 'ssec.bin'), ssec.data);
      writeFileSync(path.join(work, 'ck.bin'), ck);
      writeFileSync(path.join(work, 'big.bin'), big);
      writeFileSync(path.join(work, 'sse-c.key'), keyC);
      writeFileSync(path.join(work, 'sse-c-other.key'), randomBytes(32));
      writeFileSync(path.join(work, 'script.py'), SCRIPT);
      const env = cleanEnv(work, { COFFER_KEY_ID: ACCESS_KEY_ID, COFFER_KEY_SECRET: ACCESS_KEY_SECRET, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true' });
      const { stdout } = await run(requireTool('python3'), [path.join(work, 'script.py'), srv.url, srv.region, bucket, work, ca], { env });
      const r = JSON.parse(stdout);
      const md5 = (b: Buffer): string => `"${createHash('md5').update(b).digest('hex')}"`;
      const b64 = (alg: string, b: Buffer): string => createHash(alg).update(b).digest('base64');
      assert.match(r.boto3, /^1\.26\./, 'Debian\'s boto3');
      assert.equal(r.create_bucket, 200);
      assert.ok(r.buckets.includes(bucket));

      assert.deepEqual(r.put, { ETag: md5(sse.data), ServerSideEncryption: 'AES256' });
      assert.deepEqual(r.get, { same: true, length: sse.data.length, Metadata: { colour: 'blue', count: '42' }, ContentType: 'application/x-coffer', ServerSideEncryption: 'AES256', ETag: md5(sse.data) });
      assert.deepEqual(r.range, { same: true, ContentRange: `bytes 100-199/${sse.data.length}` });
      assert.equal(r.head.ContentLength, sse.data.length);
      assert.deepEqual(r.head.Metadata, { colour: 'blue', count: '42' });
      assert.equal(r.head.ServerSideEncryption, 'AES256');
      assert.equal(r.head.ETag, md5(sse.data));
      assert.ok(Math.abs(Date.parse(r.head.LastModified) - Date.now()) < 120_000, r.head.LastModified);
      assert.deepEqual(r.head_missing, { code: '404', status: 404 });
      assert.deepEqual(r.get_missing, { code: 'NoSuchKey', status: 404 });
      assert.equal(encryptionOf(await record(srv, bucket, 'meta/sse.bin'))?.algorithm, 'AES256');

      const keys = Array.from({ length: 8 }, (_, i) => `page/0${i}`);
      assert.deepEqual(r.pages, [
        { KeyCount: 3, IsTruncated: true, Keys: keys.slice(0, 3) },
        { KeyCount: 3, IsTruncated: true, Keys: keys.slice(3, 6) },
        { KeyCount: 2, IsTruncated: false, Keys: keys.slice(6) },
      ]);
      assert.deepEqual(r.start_after, keys.slice(6));
      assert.deepEqual(r.delimited, { prefixes: ['meta/', 'page/'], keys: [] });

      assert.equal(r.head_bucket, srv.region);
      assert.equal(r.location, srv.region);
      assert.deepEqual(r.v1_pages, [keys.slice(0, 5), keys.slice(5)]);
      assert.deepEqual(r.tags, [{ Key: 'project', Value: 'coffer' }]);
      assert.deepEqual(r.uploads_left, []);
      assert.deepEqual(r.aborted_parts, { code: 'NoSuchUpload', status: 404 });

      assert.match(r.big_head.ETag, /-3"$/, 'three 5 MiB parts');
      assert.equal(r.big_head.ContentLength, big.length);
      assert.ok(readFileSync(path.join(work, 'big.down')).equals(big), 'download_file gives the bytes upload_file sent');

      assert.deepEqual(r.copy, { ETag: md5(sse.data), ServerSideEncryption: 'AES256' });
      assert.equal(encryptionOf(await record(srv, bucket, 'copy/of-sse.bin'))?.algorithm, 'AES256');
      assert.deepEqual(r.copy_get, { same: true, Metadata: { copied: 'yes' } });

      assert.deepEqual(r.deleted, [...keys.slice(0, 5), 'page/never'].sort());
      assert.deepEqual(r.delete_errors, []);
      assert.deepEqual(r.left, keys.slice(5));

      assert.match(r.presigned.url, /X-Amz-Signature=|Signature=/);
      assert.deepEqual({ status: r.presigned.status, same: r.presigned.same }, { status: 200, same: true });

      const keyMd5 = createHash('md5').update(keyC).digest('base64');
      assert.deepEqual(r.ssec_put, { SSECustomerAlgorithm: 'AES256', SSECustomerKeyMD5: keyMd5 });
      assert.deepEqual(r.ssec_head, { ContentLength: ssec.data.length, SSECustomerAlgorithm: 'AES256' });
      assert.deepEqual(r.ssec_get, { same: true, SSECustomerKeyMD5: keyMd5 });
      assert.deepEqual(r.ssec_no_key, { code: 'InvalidRequest', status: 400 });
      assert.deepEqual(r.ssec_other_key, { code: 'AccessDenied', status: 403 });
      assert.equal(encryptionOf(await record(srv, bucket, 'ssec/obj'))?.algorithm, 'SSE-C');

      assert.deepEqual(filesContaining(srv.dataDir, [sse.token, ssec.token]), []);

      // Flexible checksums: each answered as computed here (CRC32C: as botocore computed it, and
      // botocore checked the body against it on the GET).
      const expected: Record<string, string | undefined> = { CRC32: crc32Base64(ck), CRC32C: undefined, SHA1: b64('sha1', ck), SHA256: b64('sha256', ck) };
      for (const [alg, c] of Object.entries(r.checksums as Record<string, { put: string; get: string; same: boolean }>)) {
        assert.ok(c.same, alg);
        assert.ok(c.put, alg);
        assert.equal(c.get, c.put, alg);
        if (expected[alg]) assert.equal(c.put, expected[alg], alg);
      }
      // The multipart upload's checksum is S3's composite: the SHA256 of the parts' SHA256s, "-<parts>".
      const parts = [0, 1, 2].map((i) => createHash('sha256').update(big.subarray(i * 5 * 1024 * 1024, (i + 1) * 5 * 1024 * 1024)).digest());
      assert.equal(r.mpu_checksum, `${b64('sha256', Buffer.concat(parts))}-3`);
      assert.ok(readFileSync(path.join(work, 'ck-mpu.down')).equals(big));

      // How the bodies went: signed SHA256 hashes over HTTP; over HTTPS UNSIGNED-PAYLOAD, and
      // aws-chunked with an unsigned trailer for the streams with a checksum.
      const uploads = (r.payloads as string[][]).filter(([op]) => op === 'PutObject' || op === 'UploadPart');
      const modes = [...new Set(uploads.map(([, sha, encoding, trailer]) => `${/^[0-9a-f]{64}$/.test(sha) ? '<sha256>' : sha} ${encoding} ${trailer}`))].sort();
      t.diagnostic(`PutObject/UploadPart payloads: ${modes.join(', ')}`);
      if (transport === 'HTTP') {
        assert.deepEqual(modes, ['<sha256>  ']);
      } else {
        assert.ok(modes.includes('UNSIGNED-PAYLOAD  '), modes.join(', '));
        for (const alg of ['crc32', 'crc32c', 'sha1', 'sha256']) assert.ok(modes.includes(`STREAMING-UNSIGNED-PAYLOAD-TRAILER aws-chunked x-amz-checksum-${alg}`), modes.join(', '));
      }
    });
  });
}

scenario('HTTP');
scenario('HTTPS');
