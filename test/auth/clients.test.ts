import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authenticate, type AuthTarget } from '../../src/auth';
import { AK, BUCKET, ENDPOINTS, aliClient, captureCall, lookup, useRecorder, toAuthRequest, type AliClient } from './capture';

const ODD_KEY = "dir/sub dir/a+b é 中文 100% (x)*'~!.txt";

const OPERATIONS: Array<{ name: string; call: (c: AliClient) => Promise<unknown>; target: AuthTarget }> = [
  {
    name: 'putObject with Content-MD5 and x-oss-meta headers, key with space, + and unicode',
    call: (c) => c.put('dir/a b+c é.txt', Buffer.from('hello'), { headers: { 'x-oss-meta-color': ' red ', 'x-oss-meta-n': '1' } }),
    target: { bucket: BUCKET, key: 'dir/a b+c é.txt' },
  },
  {
    name: 'getObject with response-content-type, response-content-disposition and x-oss-process',
    call: (c) =>
      c.get('k.txt', {
        subres: { 'response-content-type': 'text/x y', 'response-content-disposition': 'attachment; filename="a b.txt"' },
        process: 'image/resize,w_100',
      }),
    target: { bucket: BUCKET, key: 'k.txt' },
  },
  { name: 'headObject of a key with reserved characters', call: (c) => c.head(ODD_KEY), target: { bucket: BUCKET, key: ODD_KEY } },
  { name: 'listObjects v1 with prefix', call: (c) => c.list({ prefix: 'p/q r', 'max-keys': 5 }), target: { bucket: BUCKET } },
  {
    name: 'listObjectsV2 with continuation-token and empty prefix',
    call: (c) => c.listV2({ 'continuation-token': 'tok/1', prefix: '' }),
    target: { bucket: BUCKET },
  },
  { name: 'putBucketACL (?acl)', call: (c) => c.putBucketACL(BUCKET, 'public-read'), target: { bucket: BUCKET } },
  { name: 'initMultipartUpload (?uploads)', call: (c) => c.initMultipartUpload('big.bin'), target: { bucket: BUCKET, key: 'big.bin' } },
  {
    name: 'uploadPart (?partNumber&uploadId)',
    call: (c) => c.uploadPart('big.bin', 'UPLOAD+ID/1', 3, Buffer.from('part'), 0, 4),
    target: { bucket: BUCKET, key: 'big.bin' },
  },
  { name: 'listBuckets (service level)', call: (c) => c.listBuckets({ prefix: 'x' }), target: {} },
];

const recorder = useRecorder();

for (const [style, endpoint] of Object.entries(ENDPOINTS)) {
  for (const v4 of [false, true]) {
    describe(`ali-oss ${v4 ? 'V4' : 'V1'} header signature, ${style} endpoint`, () => {
      for (const op of OPERATIONS) {
        test(op.name, async () => {
          const client = aliClient({ ...endpoint(recorder.port), authorizationV4: v4 });
          const req = toAuthRequest(await captureCall(recorder, () => op.call(client)));
          assert.match(String(req.headers.authorization), v4 ? /^OSS4-HMAC-SHA256 / : /^OSS /);

          const result = await authenticate(req, lookup);

          assert.deepEqual(result, {
            kind: 'signed',
            accessKeyId: AK,
            version: v4 ? 'v4' : 'v1',
            presigned: false,
            target: op.target,
            ...(v4 && { region: 'cn-hangzhou' }),
          });
          if (result.kind === 'signed') assert.equal(result.target, req.targets.at(-1), 'the path-style reading verifies');
        });
      }
    });
  }
}

describe('details of real ali-oss requests', () => {
  test('putObject really carries Content-MD5 and meta headers, which are signed', async () => {
    const client = aliClient(ENDPOINTS.pathStyle(recorder.port));
    const captured = await captureCall(recorder, () =>
      client.put('m.txt', Buffer.from('hello'), { headers: { 'x-oss-meta-color': 'red' } }),
    );
    assert.equal(captured.headers['content-md5'], 'XUFAKrxLKna5cZ2REBfFkg==');
    await authenticate(toAuthRequest(captured), lookup);
    const tampered = { ...captured, headers: { ...captured.headers, 'content-md5': '1B2M2Y8AsgTpgAmY7PhCfg==' } };
    await assert.rejects(authenticate(toAuthRequest(tampered), lookup), { code: 'SignatureDoesNotMatch' });
  });

  test('IP endpoint + sldEnable gives two readings; only the path-style one verifies', async () => {
    const client = aliClient({ ...ENDPOINTS.ipSld(recorder.port), authorizationV4: true });
    const req = toAuthRequest(await captureCall(recorder, () => client.head('k.txt')));
    assert.deepEqual(req.targets, [{ bucket: BUCKET, key: `${BUCKET}/k.txt` }, { bucket: BUCKET, key: 'k.txt' }]);
    await assert.rejects(authenticate({ ...req, targets: [req.targets[0]!] }, lookup), { code: 'SignatureDoesNotMatch' });
  });

  test('V4 region is taken from the credential scope', async () => {
    const client = aliClient({ ...ENDPOINTS.ipHost(recorder.port), region: 'oss-eu-central-1', authorizationV4: true });
    const captured = await captureCall(recorder, () => client.head('k.txt'));
    assert.equal(captured.headers.host, `${BUCKET}.oss-eu-central-1.aliyuncs.com`);
    const result = await authenticate(toAuthRequest(captured), lookup);
    assert.equal(result.kind === 'signed' && result.region, 'eu-central-1');
  });

  test('STS token header is signed (V1 and V4)', async () => {
    for (const authorizationV4 of [false, true]) {
      const client = aliClient({
        ...ENDPOINTS.pathStyle(recorder.port),
        authorizationV4,
        stsToken: 'STS.token/abc',
        refreshSTSTokenInterval: 3600000,
      });
      const captured = await captureCall(recorder, () => client.head('k.txt'));
      assert.equal(captured.headers['x-oss-security-token'], 'STS.token/abc');
      await authenticate(toAuthRequest(captured), lookup);
      const tampered = { ...captured, headers: { ...captured.headers, 'x-oss-security-token': 'STS.other' } };
      await assert.rejects(authenticate(toAuthRequest(tampered), lookup), { code: 'SignatureDoesNotMatch' });
    }
  });
});
