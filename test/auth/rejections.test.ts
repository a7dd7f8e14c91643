import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { authenticate, type AuthRequest } from '../../src/auth';
import { CofferError } from '../../src/common/errors';
import { AK, BUCKET, ENDPOINTS, SECRET, aliClient, captureCall, capturePresigned, lookup, useRecorder, toAuthRequest } from './capture';

const recorder = useRecorder();

/** A real ali-oss HEAD request, as the router would hand it over. */
async function signedHead(options: object = {}, key = 'k.txt'): Promise<AuthRequest> {
  const client = aliClient({ ...ENDPOINTS.pathStyle(recorder.port), ...options });
  return toAuthRequest(await captureCall(recorder, () => client.head(key)));
}

const withHeaders = (req: AuthRequest, headers: Record<string, string | undefined>): AuthRequest => ({
  ...req,
  headers: { ...req.headers, ...headers },
});

const wrongSecret = async (accessKeyId: string) => ({ accessKeyId, secret: `${SECRET}x` });

describe('SignatureDoesNotMatch', () => {
  test('V1 wrong secret reports the StringToSign and its bytes', async () => {
    const req = await signedHead();
    const date = String(req.headers['x-oss-date']);
    const expected = `HEAD\n\ntext/plain\n${date}\nx-oss-date:${date}\n/${BUCKET}/k.txt`;
    const err = await authenticate(req, wrongSecret).then(
      () => assert.fail('expected a rejection'),
      (e: unknown) => e as CofferError,
    );
    assert.ok(err instanceof CofferError);
    assert.equal(err.code, 'SignatureDoesNotMatch');
    assert.deepEqual(err.extras, {
      OSSAccessKeyId: AK,
      SignatureProvided: String(req.headers.authorization).split(':')[1],
      StringToSign: expected,
      StringToSignBytes: [...Buffer.from(expected)].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' '),
    });
    assert.match(err.extras.StringToSignBytes!, /^48 45 41 44 0A 0A 74/);
  });

  test('V4 wrong secret reports the V4 StringToSign', async () => {
    const req = await signedHead({ authorizationV4: true });
    const date = String(req.headers['x-oss-date']);
    await assert.rejects(authenticate(req, wrongSecret), (err: CofferError) => {
      assert.equal(err.code, 'SignatureDoesNotMatch');
      assert.match(err.extras.StringToSign!, new RegExp(`^OSS4-HMAC-SHA256\\n${date}\\n${date.slice(0, 8)}/cn-hangzhou/oss/aliyun_v4_request\\n[0-9a-f]{64}$`));
      assert.equal(err.extras.SignatureProvided, /Signature=([0-9a-f]+)/.exec(String(req.headers.authorization))![1]);
      return true;
    });
  });

  test('with several targets, the first target\'s StringToSign is reported', async () => {
    const client = aliClient(ENDPOINTS.ipSld(recorder.port));
    const req = toAuthRequest(await captureCall(recorder, () => client.head('k.txt')));
    assert.equal(req.targets.length, 2);
    await assert.rejects(authenticate(req, wrongSecret), (err: CofferError) => {
      assert.ok(err.extras.StringToSign!.endsWith(`\n/${BUCKET}/${BUCKET}/k.txt`));
      return true;
    });
  });

  for (const authorizationV4 of [false, true]) {
    const v = authorizationV4 ? 'V4' : 'V1';
    test(`${v}: tampered path, method, x-oss header or added x-oss header fail; an unsigned header does not`, async () => {
      const req = await signedHead({ authorizationV4 });
      assert.equal((await authenticate(req, lookup)).kind, 'signed');
      const tampered: AuthRequest[] = [
        { ...req, rawPath: `/${BUCKET}/l.txt`, targets: [{ bucket: BUCKET, key: 'l.txt' }] },
        { ...req, method: 'GET' },
        withHeaders(req, { 'x-oss-content-sha256': 'UNSIGNED-PAYLOAD', 'x-oss-meta-added': '1' }),
        withHeaders(req, { 'content-type': 'text/html' }),
      ];
      for (const t of tampered) await assert.rejects(authenticate(t, lookup), { code: 'SignatureDoesNotMatch' });
      assert.equal((await authenticate(withHeaders(req, { 'cache-control': 'no-cache' }), lookup)).kind, 'signed');
    });
  }

  test('a truncated or over-long signature fails like any other (no length shortcut)', async () => {
    const req = await signedHead();
    const auth = String(req.headers.authorization);
    for (const bad of [auth.slice(0, -2), `${auth}AA`]) {
      await assert.rejects(authenticate(withHeaders(req, { authorization: bad }), lookup), { code: 'SignatureDoesNotMatch' });
    }
  });
});

test('unknown access key → InvalidAccessKeyId', async () => {
  for (const authorizationV4 of [false, true]) {
    const req = await signedHead({ authorizationV4, accessKeyId: 'LTAIunknown' });
    await assert.rejects(authenticate(req, lookup), {
      code: 'InvalidAccessKeyId',
      message: 'The OSS Access Key Id you provided does not exist in our records.',
    });
  }
});

describe('time', () => {
  for (const authorizationV4 of [false, true]) {
    const v = authorizationV4 ? 'V4' : 'V1';
    test(`${v}: a client clock ±16 min off → RequestTimeTooSkewed; ±14 min is accepted`, async () => {
      for (const minutes of [16, -16]) {
        const req = await signedHead({ authorizationV4, amendTimeSkewed: minutes * 60000 });
        await assert.rejects(authenticate(req, lookup), (err: CofferError) => {
          assert.equal(err.code, 'RequestTimeTooSkewed');
          assert.equal(err.extras.RequestTime, req.headers['x-oss-date']);
          assert.equal(err.extras.MaxAllowedSkewMilliseconds, '900000');
          assert.match(err.extras.ServerTime!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
          return true;
        });
      }
      for (const minutes of [14, -14]) {
        const req = await signedHead({ authorizationV4, amendTimeSkewed: minutes * 60000 });
        assert.equal((await authenticate(req, lookup)).kind, 'signed');
      }
    });
  }

  test('V4: x-oss-date on another day than the credential scope → InvalidArgument', async () => {
    const req = await signedHead({ authorizationV4: true });
    const auth = String(req.headers.authorization).replace(/(Credential=[^/]+\/)\d{8}/, '$119990101');
    await assert.rejects(authenticate(withHeaders(req, { authorization: auth }), lookup), {
      code: 'InvalidArgument',
      message: /day of the credential scope/,
    });
  });

  test('missing or unparsable date → InvalidArgument', async () => {
    const v1 = await signedHead();
    const v4 = await signedHead({ authorizationV4: true });
    for (const req of [
      withHeaders(v1, { 'x-oss-date': undefined }),
      withHeaders(v1, { 'x-oss-date': 'yesterday-ish' }),
      withHeaders(v4, { 'x-oss-date': undefined }),
      withHeaders(v4, { 'x-oss-date': new Date().toUTCString() }),
    ]) {
      await assert.rejects(authenticate(req, lookup), { code: 'InvalidArgument', message: /date/i });
    }
  });
});

describe('malformed requests', () => {
  test('malformed Authorization → InvalidArgument', async () => {
    const req = await signedHead();
    for (const authorization of [
      '',
      'OSS ',
      'OSS LTAIonly',
      `OSS :${'A'.repeat(28)}`,
      'Bearer abc',
      'OSS2 AccessKeyId:AK',
      'OSS4-HMAC-SHA256 Signature=abc',
      'OSS4-HMAC-SHA256 Credential=AK/20240101/cn-hangzhou/oss/aliyun_v4_request',
      'OSS4-HMAC-SHA256 Credential=AK/20240101/cn-hangzhou/oss/aliyun_v4_request,garbage',
      'OSS4-HMAC-SHA256 Credential=AK/2024/cn-hangzhou/oss/aliyun_v4_request,Signature=abc',
      'OSS4-HMAC-SHA256 Credential=AK/20240101/cn-hangzhou/oss/aws4_request,Signature=abc',
      'OSS4-HMAC-SHA256 Credential=AK/20240101/oss/aliyun_v4_request,Signature=abc',
    ]) {
      await assert.rejects(authenticate(withHeaders(req, { authorization }), lookup), { code: 'InvalidArgument' }, authorization);
    }
  });

  test('V4 with an unsupported product (ali-oss cloudBoxId → oss-cloudbox) → AccessDenied', async () => {
    const req = await signedHead({ authorizationV4: true, cloudBoxId: 'cb-123' });
    assert.match(String(req.headers.authorization), /\/cb-123\/oss-cloudbox\//);
    await assert.rejects(authenticate(req, lookup), { code: 'AccessDenied', message: /oss-cloudbox/ });
  });

  test('partial or mixed signature parameters → InvalidArgument', async () => {
    const client = aliClient(ENDPOINTS.pathStyle(recorder.port));
    const v1 = toAuthRequest(await capturePresigned(recorder, client.signatureUrl('k.txt')));
    const v4 = toAuthRequest(await capturePresigned(recorder, await client.signatureUrlV4('GET', 60, undefined, 'k.txt')));
    const drop = (req: AuthRequest, name: string) => ({ ...req, query: req.query.filter(([n]) => n !== name) });
    const set = (req: AuthRequest, name: string, value: string) => ({
      ...req,
      query: req.query.map(([n, v]): [string, string] => [n, n === name ? value : v]),
    });
    const cases: AuthRequest[] = [
      drop(v1, 'Signature'),
      drop(v1, 'Expires'),
      set(v1, 'Expires', 'tomorrow'),
      drop(v4, 'x-oss-date'),
      drop(v4, 'x-oss-credential'),
      drop(v4, 'x-oss-signature-version'),
      set(v4, 'x-oss-signature-version', 'OSS4-HMAC-SHA1'),
      set(v4, 'x-oss-expires', '60s'),
      { ...v1, query: [...v1.query, ['x-oss-signature', 'abc']] },
      withHeaders(v1, { authorization: `OSS ${AK}:abc` }),
    ];
    for (const req of cases) {
      await assert.rejects(authenticate(req, lookup), { code: 'InvalidArgument' }, JSON.stringify(req.query));
    }
  });
});

describe('anonymous requests', () => {
  test('no Authorization and no signature parameters → anonymous, whatever else the query holds', async () => {
    const captured = await capturePresigned(recorder, `http://localhost/${BUCKET}/?acl&prefix=&x-oss-process=a&Expires=1`);
    const result = await authenticate(toAuthRequest(captured), async () => assert.fail('no lookup for anonymous'));
    assert.deepEqual(result, { kind: 'anonymous' });
  });

  test('any signature parameter makes it a signed request', async () => {
    for (const param of ['OSSAccessKeyId=AK', 'Signature=abc', 'x-oss-signature=abc', 'x-oss-credential=AK']) {
      const captured = await capturePresigned(recorder, `http://localhost/${BUCKET}/k?${param}`);
      await assert.rejects(authenticate(toAuthRequest(captured), lookup), { code: 'InvalidArgument' }, param);
    }
  });
});
