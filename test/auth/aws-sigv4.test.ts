import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { type AwsAuthRequest, authenticateAws, awsCanonicalUris, isAwsRequest } from '../../src/auth';
import {
  AK,
  SECRET,
  captureS3,
  encodeKey,
  httpRequest,
  lookup,
  s3Client,
  s3Signer,
  sendToRecorder,
  signAndCapture,
  toAwsRequest,
  useBodyRecorder,
} from './aws-capture';

const recorder = useBodyRecorder();

/** The credentials and time of every example in AWS's SigV4-for-S3 documentation. */
const DOC_KEY = 'AKIAIOSFODNN7EXAMPLE';
const DOC_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const DOC_TIME = new Date('2013-05-24T00:00:00Z');
const docLookup = async (id: string) => (id === DOC_KEY ? { accessKeyId: DOC_KEY, secret: DOC_SECRET } : null);
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const DOC_SCOPE = `${DOC_KEY}/20130524/us-east-1/s3/aws4_request`;

function docRequest(method: string, url: string, headers: Record<string, string>, signedHeaders: string, signature: string): AwsAuthRequest {
  return toAwsRequest({
    method,
    url,
    headers: {
      host: 'examplebucket.s3.amazonaws.com',
      'x-amz-date': '20130524T000000Z',
      ...headers,
      authorization: `AWS4-HMAC-SHA256 Credential=${DOC_SCOPE},SignedHeaders=${signedHeaders},Signature=${signature}`,
    },
  });
}

const docGetObject = (signature = 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41', range = 'bytes=0-9') =>
  docRequest('GET', '/test.txt', { range, 'x-amz-content-sha256': EMPTY_SHA256 }, 'host;range;x-amz-content-sha256;x-amz-date', signature);

interface Expected {
  code: string;
  message?: string | RegExp;
  /** Checked element by element: the error may carry more. */
  extras?: Record<string, unknown>;
}

/** Refused with this code (and message, and these extras among others). */
async function rejects(req: AwsAuthRequest, expected: Expected, now?: Date, lookupFn = lookup) {
  const err = (await authenticateAws(req, lookupFn, now).then(
    (result) => assert.fail(`accepted: ${JSON.stringify(result)}`),
    (e: unknown) => e,
  )) as { code: string; message: string; extras: Record<string, string> };
  assert.equal(err.code, expected.code, err.message);
  if (typeof expected.message === 'string') assert.equal(err.message, expected.message);
  else if (expected.message) assert.match(err.message, expected.message);
  for (const [name, value] of Object.entries(expected.extras ?? {})) assert.equal(err.extras[name], value, name);
}

describe('AWS documented examples (sig-v4-header-based-auth, sigv4-query-string-auth)', () => {
  test('GET object with Range: the documented signature verifies', async () => {
    assert.deepEqual(await authenticateAws(docGetObject(), docLookup, DOC_TIME), {
      kind: 'signed',
      accessKeyId: DOC_KEY,
      presigned: false,
      region: 'us-east-1',
      payload: { kind: 'sha256', hex: EMPTY_SHA256 },
    });
  });

  test('GET object: a wrong signature reports the documented CanonicalRequest and StringToSign', async () => {
    const wrong = '0'.repeat(64);
    const err = (await authenticateAws(docGetObject(wrong), docLookup, DOC_TIME).catch((e: unknown) => e)) as { code: string; extras: Record<string, string> };
    assert.equal(err.code, 'SignatureDoesNotMatch');
    assert.equal(err.extras.AWSAccessKeyId, DOC_KEY);
    assert.equal(err.extras.SignatureProvided, wrong);
    assert.equal(
      err.extras.CanonicalRequest,
      [
        'GET', '/test.txt', '',
        'host:examplebucket.s3.amazonaws.com', 'range:bytes=0-9', `x-amz-content-sha256:${EMPTY_SHA256}`, 'x-amz-date:20130524T000000Z', '',
        'host;range;x-amz-content-sha256;x-amz-date', EMPTY_SHA256,
      ].join('\n'),
    );
    assert.equal(
      err.extras.StringToSign,
      'AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972',
    );
    assert.match(err.extras.StringToSignBytes!, /^41 57 53 34 2d 48 4d 41 43 /);
    assert.match(err.extras.CanonicalRequestBytes!, /^47 45 54 0a 2f 74 65 73 74 /);
  });

  test('GET object: another Range than the one signed → SignatureDoesNotMatch', async () => {
    await rejects(docGetObject(undefined, 'bytes=0-99'), { code: 'SignatureDoesNotMatch' }, DOC_TIME, docLookup);
  });

  test('PUT object: $ in the key, Date and x-amz-date, a storage class, a hashed body', async () => {
    const hash = '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072'; // sha256("Welcome to Amazon S3.")
    const req = docRequest(
      'PUT',
      '/test%24file.text',
      { date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY', 'x-amz-content-sha256': hash },
      'date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class',
      '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
    );
    const result = await authenticateAws(req, docLookup, DOC_TIME);
    assert.deepEqual(result.kind === 'signed' && result.payload, { kind: 'sha256', hex: hash });
    // The storage class is signed: changing it breaks the signature.
    await rejects({ ...req, headers: { ...req.headers, 'x-amz-storage-class': 'STANDARD' } }, { code: 'SignatureDoesNotMatch' }, DOC_TIME, docLookup);
  });

  test('GET bucket lifecycle: a parameter without a value is signed as "lifecycle="', async () => {
    const req = docRequest('GET', '/?lifecycle', { 'x-amz-content-sha256': EMPTY_SHA256 }, 'host;x-amz-content-sha256;x-amz-date',
      'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
    assert.equal((await authenticateAws(req, docLookup, DOC_TIME)).kind, 'signed');
  });

  test('list objects: query parameters sorted (max-keys before prefix)', async () => {
    const req = docRequest('GET', '/?max-keys=2&prefix=J', { 'x-amz-content-sha256': EMPTY_SHA256 }, 'host;x-amz-content-sha256;x-amz-date',
      '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
    assert.equal((await authenticateAws(req, docLookup, DOC_TIME)).kind, 'signed');
    await rejects({ ...req, query: [['max-keys', '3'], ['prefix', 'J']] }, { code: 'SignatureDoesNotMatch' }, DOC_TIME, docLookup);
  });

  const docPresigned = () => toAwsRequest({
    method: 'GET',
    url: '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request'
      + '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host'
      + '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
    headers: { host: 'examplebucket.s3.amazonaws.com' },
  });

  test('presigned GET: valid from its date (less 15 minutes) up to and including its last second', async () => {
    const at = (offsetS: number) => new Date(DOC_TIME.getTime() + offsetS * 1000);
    assert.deepEqual(await authenticateAws(docPresigned(), docLookup, DOC_TIME), {
      kind: 'signed', accessKeyId: DOC_KEY, presigned: true, region: 'us-east-1', payload: { kind: 'unsigned' },
    });
    assert.equal((await authenticateAws(docPresigned(), docLookup, at(86400))).kind, 'signed');
    assert.equal((await authenticateAws(docPresigned(), docLookup, at(-900))).kind, 'signed');
    await rejects(docPresigned(), {
      code: 'AccessDenied',
      message: 'Request has expired',
      extras: { 'X-Amz-Expires': '86400', Expires: '2013-05-25T00:00:00Z', ServerTime: '2013-05-25T00:00:01Z' },
    }, at(86401), docLookup);
    await rejects(docPresigned(), { code: 'AccessDenied', message: 'Request is not valid yet' }, at(-901), docLookup);
  });

  test('presigned GET: the signature covers the path and the parameters', async () => {
    const req = docPresigned();
    await rejects({ ...req, rawPath: '/test2.txt' }, { code: 'SignatureDoesNotMatch' }, DOC_TIME, docLookup);
    await rejects({ ...req, query: [...req.query, ['response-content-type', 'text/html']] }, { code: 'SignatureDoesNotMatch' }, DOC_TIME, docLookup);
  });
});

describe('requests signed by the SDK signer (@smithy/signature-v4)', () => {
  const KEYS = ['plain.txt', 'dir/a b.txt', 'x+y=z%20w.txt', 'é/日本語 ü.bin', "q!'()*~$&,;:@[].txt", 'trailing/', 'a//double'];

  for (const style of ['path', 'virtual'] as const) {
    for (const key of KEYS) {
      test(`${style} style, key ${JSON.stringify(key)}: header-signed GET and hashed PUT verify`, async () => {
        const host = style === 'path' ? 's3.coffer.test:9000' : 'bkt.s3.coffer.test:9000';
        const path = style === 'path' ? `/bkt/${encodeKey(key)}` : `/${encodeKey(key)}`;
        const get = await signAndCapture(recorder, { host, path, headers: { 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } });
        assert.deepEqual(await authenticateAws(get, lookup), {
          kind: 'signed', accessKeyId: AK, presigned: false, region: 'us-east-1', payload: { kind: 'unsigned' },
        });

        const body = `body of ${key}`;
        const put = await signAndCapture(recorder, { method: 'PUT', host, path, body, headers: { 'content-type': 'text/plain', 'x-amz-meta-note': 'a  b   c' } });
        const result = await authenticateAws(put, lookup);
        assert.equal(result.kind === 'signed' && result.payload.kind, 'sha256');
        assert.equal(result.kind === 'signed' && result.payload.kind === 'sha256' && result.payload.hex,
          (await import('node:crypto')).createHash('sha256').update(body).digest('hex'));
      });
    }
  }

  test('query parameters: empty values, spaces, +, /, unicode, repeated names', async () => {
    const req = await signAndCapture(recorder, {
      path: '/bkt',
      query: { 'list-type': '2', prefix: 'a b+c/é', delimiter: '/', 'continuation-token': '', 'start-after': '=&?', tagging: ['b', 'a'] },
    });
    assert.equal((await authenticateAws(req, lookup)).kind, 'signed');
    assert.ok(req.query.some(([n, v]) => n === 'continuation-token' && v === ''), 'an empty value reached the server');
  });

  test('any region the client signs with is accepted and returned', async () => {
    for (const region of ['us-east-1', 'eu-west-3', 'cn-hangzhou', 'auto']) {
      const req = await signAndCapture(recorder, { path: '/bkt/k' }, (r) => s3Signer(region).sign(r) as never);
      const result = await authenticateAws(req, lookup);
      assert.equal(result.kind === 'signed' && result.region, region);
    }
  });

  test('secrets with spaces, unicode, +, = and %', async () => {
    for (const secret of ['a b', 'ünï/cödé+=', '%2B%20', '']) {
      const req = await signAndCapture(recorder, { path: '/bkt/k' }, (r) => s3Signer('us-east-1', secret).sign(r) as never);
      const own = async (id: string) => (id === AK ? { accessKeyId: AK, secret } : null);
      assert.equal((await authenticateAws(req, own)).kind, 'signed', `secret ${JSON.stringify(secret)}`);
      if (secret !== '') await rejects(req, { code: 'SignatureDoesNotMatch' }, undefined, async (id) => (id === AK ? { accessKeyId: AK, secret: `${secret}x` } : null));
    }
  });

  test('a header value sent as latin1 but signed as its UTF-8 text verifies (either reading)', async () => {
    const req = await signAndCapture(recorder, { method: 'PUT', path: '/bkt/k', body: 'x', headers: { 'x-amz-meta-name': 'café' } });
    assert.equal((await authenticateAws(req, lookup)).kind, 'signed');
  });

  test('a path signed exactly as sent, with characters S3 would encode, is tried as received', async () => {
    // A client that puts ! ( ) * bare on the wire and signs them that way.
    const raw = await signAndCapture(recorder, { path: "/bkt/a!b(c)*'d" });
    assert.equal(raw.rawPath, "/bkt/a!b(c)*'d");
    assert.deepEqual(awsCanonicalUris(raw.rawPath), ["/bkt/a%21b%28c%29%2A%27d", "/bkt/a!b(c)*'d"]);
    assert.equal((await authenticateAws(raw, lookup)).kind, 'signed');
    // A client that signs the canonical form but sends an equivalent encoding (%7E for ~, lower-case hex).
    const canonical = await signAndCapture(recorder, { path: '/bkt/a~b%C3%A9' });
    assert.equal((await authenticateAws({ ...canonical, rawPath: '/bkt/a%7Eb%c3%a9' }, lookup)).kind, 'signed');
    // A path given as text (not off the wire) is read as UTF-8, and a stray '%' as itself.
    assert.deepEqual(awsCanonicalUris('/bkt/é 100%'), ['/bkt/%C3%A9%20100%25', '/bkt/é 100%']);
    assert.deepEqual(awsCanonicalUris(''), ['/']);
    // Different bytes are a different request: a slash is not its encoding.
    const slash = await signAndCapture(recorder, { path: '/bkt/a%2Fb' });
    assert.equal((await authenticateAws(slash, lookup)).kind, 'signed');
    await rejects({ ...slash, rawPath: '/bkt/a/b' }, { code: 'SignatureDoesNotMatch' });
    await rejects({ ...slash, rawPath: '/bkt/a%252Fb' }, { code: 'SignatureDoesNotMatch' });
  });

  test('anything signed that changes is refused: header, path, query, method, host', async () => {
    const req = await signAndCapture(recorder, {
      method: 'PUT', path: '/bkt/k', query: { tagging: '' }, body: 'x', headers: { 'x-amz-acl': 'private', 'content-type': 'text/plain' },
    });
    assert.equal((await authenticateAws(req, lookup)).kind, 'signed');
    const changed: AwsAuthRequest[] = [
      { ...req, headers: { ...req.headers, 'x-amz-acl': 'public-read' } },
      { ...req, headers: { ...req.headers, 'content-type': 'text/html' } },
      { ...req, headers: { ...req.headers, host: 'other.s3.coffer.test:9000' } },
      { ...req, rawPath: '/bkt/k2' },
      { ...req, rawPath: '/bkt/K' },
      { ...req, query: [['tagging', 'x']] },
      { ...req, query: [...req.query, ['versionId', '1']] },
      { ...req, query: [] },
      { ...req, method: 'POST' },
      { ...req, headers: { ...req.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } },
    ];
    for (const c of changed) await rejects(c, { code: 'SignatureDoesNotMatch' });
  });

  test('unknown access key → InvalidAccessKeyId', async () => {
    const req = await signAndCapture(recorder, { path: '/bkt/k' }, (r) => s3Signer('us-east-1', SECRET, 'AKIDUNKNOWN').sign(r) as never);
    await rejects(req, {
      code: 'InvalidAccessKeyId',
      message: 'The AWS Access Key Id you provided does not exist in our records.',
      extras: { AWSAccessKeyId: 'AKIDUNKNOWN' },
    });
  });

  test('stale or future x-amz-date beyond 15 minutes → RequestTimeTooSkewed; within → accepted', async () => {
    const signingDate = new Date(Date.now() - 60_000);
    const req = await signAndCapture(recorder, { path: '/bkt/k' }, (r) => s3Signer().sign(r, { signingDate }) as never);
    const at = (ms: number) => new Date(Math.floor(signingDate.getTime() / 1000) * 1000 + ms);
    assert.equal((await authenticateAws(req, lookup, at(15 * 60_000))).kind, 'signed');
    assert.equal((await authenticateAws(req, lookup, at(-15 * 60_000))).kind, 'signed');
    await rejects(req, { code: 'RequestTimeTooSkewed', extras: { RequestTime: req.headers['x-amz-date'], MaxAllowedSkewMilliseconds: '900000' } }, at(15 * 60_000 + 1000));
    await rejects(req, { code: 'RequestTimeTooSkewed' }, at(-15 * 60_000 - 1000));
  });

  test('an x-amz-* header or host left unsigned → AccessDenied naming them', async () => {
    const req = await signAndCapture(recorder, { path: '/bkt/k' });
    await rejects({ ...req, headers: { ...req.headers, 'x-amz-acl': 'public-read', 'x-amz-meta-late': '1' } }, {
      code: 'AccessDenied',
      message: 'There were headers present in the request which were not signed',
      extras: { HeadersNotSigned: 'x-amz-acl, x-amz-meta-late' },
    });
    const unhosted = await signAndCapture(recorder, { path: '/bkt/k' }, (r) => s3Signer().sign(r, { unsignableHeaders: new Set(['host']) }) as never);
    assert.doesNotMatch(String(unhosted.headers.authorization), /SignedHeaders=[^,]*host/);
    await rejects(unhosted, { code: 'AccessDenied', extras: { HeadersNotSigned: 'host' } });
    // Headers outside x-amz-* need not be signed (proxies add them).
    assert.equal((await authenticateAws({ ...req, headers: { ...req.headers, 'user-agent': 'x', 'x-forwarded-for': '1.2.3.4' } }, lookup)).kind, 'signed');
  });

  test('x-amz-content-sha256 is required, and only S3\'s values are accepted', async () => {
    const req = await signAndCapture(recorder, { path: '/bkt/k' });
    const headers = { ...req.headers };
    delete headers['x-amz-content-sha256'];
    await rejects({ ...req, headers }, { code: 'InvalidRequest', message: 'Missing required header for this request: x-amz-content-sha256' });
    for (const value of ['STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD', 'unsigned-payload', 'abc', 'e3b0c442']) {
      const bad = await signAndCapture(recorder, { path: '/bkt/k', headers: { 'x-amz-content-sha256': value } });
      await rejects(bad, { code: 'InvalidArgument', extras: { ArgumentName: 'x-amz-content-sha256', ArgumentValue: value } });
    }
    for (const [value, payload] of [
      ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD', { kind: 'streaming', signed: true, trailer: false }],
      ['STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER', { kind: 'streaming', signed: true, trailer: true }],
      ['STREAMING-UNSIGNED-PAYLOAD-TRAILER', { kind: 'streaming', signed: false, trailer: true }],
      ['E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855', { kind: 'sha256', hex: EMPTY_SHA256 }],
    ] as const) {
      const ok = await signAndCapture(recorder, { method: 'PUT', path: '/bkt/k', headers: { 'x-amz-content-sha256': value } });
      const result = await authenticateAws(ok, lookup);
      assert.ok(result.kind === 'signed');
      assert.deepEqual(result.payload, payload);
      assert.equal(result.chunkSigner !== undefined, payload.kind === 'streaming' && payload.signed);
      if (result.chunkSigner) assert.match(String(ok.headers.authorization), new RegExp(`Signature=${result.chunkSigner.seedSignature}$`));
    }
  });

  test('no Authorization and no X-Amz-Algorithm → anonymous', async () => {
    assert.deepEqual(await authenticateAws({ method: 'GET', rawPath: '/bkt/k', query: [['X-Amz-Credential', 'x']], headers: { host: 'h', 'x-amz-date': 'x' } }, lookup), { kind: 'anonymous' });
  });
});

describe('presigned URLs from the SDK signer', () => {
  /** As @aws-sdk/s3-request-presigner does: the body is UNSIGNED-PAYLOAD, the header hoisted into the URL. */
  const presign = (expiresIn = 3600, signingDate?: Date, region = 'us-east-1') => (r: ReturnType<typeof httpRequest>) => {
    r.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    return s3Signer(region).presign(r, { expiresIn, ...(signingDate && { signingDate }) }) as never;
  };

  test('GET with response-* parameters, a key with spaces and unicode, virtual-hosted', async () => {
    const req = await signAndCapture(recorder, {
      host: 'bkt.s3.coffer.test',
      path: `/${encodeKey('d/ä b+c.txt')}`,
      query: { 'response-content-disposition': 'attachment; filename="x y.txt"', 'response-content-type': 'text/plain', 'x-id': 'GetObject' },
    }, presign(600, undefined, 'eu-central-1'));
    assert.ok(req.query.some(([n, v]) => n === 'x-amz-content-sha256' && v === 'UNSIGNED-PAYLOAD'));
    assert.deepEqual(await authenticateAws(req, lookup), {
      kind: 'signed', accessKeyId: AK, presigned: true, region: 'eu-central-1', payload: { kind: 'unsigned' },
    });
    await rejects({ ...req, query: req.query.map(([n, v]): [string, string] => [n, n === 'response-content-type' ? 'text/html' : v]) }, { code: 'SignatureDoesNotMatch' });
    await rejects({ ...req, rawPath: `/${encodeKey('d/ä b+c.txT')}` }, { code: 'SignatureDoesNotMatch' });
    await rejects({ ...req, headers: { ...req.headers, host: 'other.s3.coffer.test' } }, { code: 'SignatureDoesNotMatch' });
  });

  test('PUT with a signed header kept as a header (and its payload hash kept in a header)', async () => {
    const req = await signAndCapture(recorder, { method: 'PUT', path: '/bkt/k', body: 'data', headers: { 'content-type': 'text/plain' } },
      (r) => {
        r.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
        return s3Signer().presign(r, { expiresIn: 60, unhoistableHeaders: new Set(['x-amz-content-sha256']) }) as never;
      });
    assert.equal(req.headers['x-amz-content-sha256'], 'UNSIGNED-PAYLOAD');
    assert.match(req.query.find(([n]) => n === 'X-Amz-SignedHeaders')![1], /content-type/);
    assert.equal((await authenticateAws(req, lookup)).kind, 'signed');
    await rejects({ ...req, headers: { ...req.headers, 'content-type': 'text/html' } }, { code: 'SignatureDoesNotMatch' });
  });

  test('expiry: valid through X-Amz-Date + X-Amz-Expires, then AccessDenied; not before X-Amz-Date − 15 min', async () => {
    const signingDate = new Date('2026-01-01T00:00:00Z');
    const req = await signAndCapture(recorder, { path: '/bkt/k' }, presign(120, signingDate));
    const at = (s: number) => new Date(signingDate.getTime() + s * 1000);
    assert.equal((await authenticateAws(req, lookup, at(120))).kind, 'signed');
    await rejects(req, { code: 'AccessDenied', message: 'Request has expired' }, at(121));
    await rejects(req, { code: 'AccessDenied', message: 'Request is not valid yet' }, at(-901));
    // A week is the longest life: the signer's own limit, and the server's.
    const week = await signAndCapture(recorder, { path: '/bkt/k' }, presign(604800, signingDate));
    assert.equal((await authenticateAws(week, lookup, at(604800))).kind, 'signed');
    await rejects(week, { code: 'AccessDenied' }, at(604801));
  });

  test('X-Amz-Expires and the other parameters are checked before the signature', async () => {
    const req = await signAndCapture(recorder, { path: '/bkt/k' }, presign());
    const withParam = (name: string, value: string | undefined): AwsAuthRequest => ({
      ...req,
      query: value === undefined ? req.query.filter(([n]) => n !== name) : req.query.map(([n, v]): [string, string] => [n, n === name ? value : v]),
    });
    const queryError = (message: string) => ({ code: 'AuthorizationQueryParametersError', message });
    await rejects(withParam('X-Amz-Expires', '604801'), queryError('X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds'));
    await rejects(withParam('X-Amz-Expires', '-1'), queryError('X-Amz-Expires must be non-negative'));
    await rejects(withParam('X-Amz-Expires', 'soon'), queryError('X-Amz-Expires should be a number'));
    await rejects(withParam('X-Amz-Expires', '3599'), { code: 'SignatureDoesNotMatch' });
    for (const name of ['X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders', 'X-Amz-Expires']) {
      await rejects(withParam(name, undefined), queryError('Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.'));
    }
    await rejects(withParam('X-Amz-Algorithm', 'AWS4-HMAC-SHA1'), queryError('X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"'));
    await rejects(withParam('X-Amz-Date', '2026-01-01'), { code: 'AuthorizationQueryParametersError' });
    const credential = req.query.find(([n]) => n === 'X-Amz-Credential')![1];
    await rejects(withParam('X-Amz-Credential', credential.replace('/s3/', '/ec2/')),
      queryError('Error parsing the X-Amz-Credential parameter; incorrect service "ec2". This endpoint belongs to "s3".'));
    await rejects(withParam('X-Amz-Credential', credential.replace(/\/\d{8}\//, '/20000101/')),
      { code: 'AuthorizationQueryParametersError', message: /^Invalid credential date "20000101"\. This date is not the same as X-Amz-Date: "\d{8}"\.$/ });
    await rejects(withParam('X-Amz-Credential', 'nokey'), { code: 'AuthorizationQueryParametersError', message: /^Error parsing the X-Amz-Credential parameter; the Credential is mal-formed/ });
  });

  test('an x-amz-* header the URL does not sign → AccessDenied', async () => {
    const req = await signAndCapture(recorder, { method: 'PUT', path: '/bkt/k', body: 'x' }, presign());
    await rejects({ ...req, headers: { ...req.headers, 'x-amz-meta-a': '1' } }, { code: 'AccessDenied', extras: { HeadersNotSigned: 'x-amz-meta-a' } });
  });

  test('both an Authorization header and X-Amz-Algorithm → InvalidArgument', async () => {
    const req = await signAndCapture(recorder, { path: '/bkt/k' }, presign());
    await rejects({ ...req, headers: { ...req.headers, authorization: `AWS4-HMAC-SHA256 Credential=${AK}/x` } }, {
      code: 'InvalidArgument',
      message: 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified',
      extras: { ArgumentName: 'Authorization' },
    });
  });
});

describe('malformed Authorization headers', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  const base = (authorization: string, headers: Record<string, string> = {}): AwsAuthRequest => ({
    method: 'GET',
    rawPath: '/bkt/k',
    query: [],
    headers: { host: 'h', 'x-amz-date': '20260301T120000Z', 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD', authorization, ...headers },
  });
  const sig = '0'.repeat(64);
  const malformed = (detail: string | RegExp) => ({
    code: 'AuthorizationHeaderMalformed',
    message: typeof detail === 'string' ? `The authorization header is malformed; ${detail}` : detail,
  });

  test('missing components, unknown components', async () => {
    await rejects(base(`AWS4-HMAC-SHA256 Credential=${AK}/20260301/us-east-1/s3/aws4_request, Signature=${sig}`),
      malformed('the authorization header requires three components: Credential, SignedHeaders, and Signature.'), now);
    await rejects(base(`AWS4-HMAC-SHA256 Credential=${AK}/20260301/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${sig}, Extra=1`),
      malformed('the authorization component "Extra=1" is malformed.'), now);
    await rejects(base('AWS4-HMAC-SHA256 garbage'), malformed('the authorization component "garbage" is malformed.'), now);
  });

  test('credential scope: form, service, terminator, date, empty key', async () => {
    const auth = (credential: string) => base(`AWS4-HMAC-SHA256 Credential=${credential}, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${sig}`);
    await rejects(auth(`${AK}/20260301/us-east-1/s3`), malformed('the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'), now);
    await rejects(auth(`${AK}/20260301/us-east-1/ec2/aws4_request`), malformed('incorrect service "ec2". This endpoint belongs to "s3".'), now);
    await rejects(auth(`${AK}/20260301/us-east-1/s3/aws4_reques`), malformed('incorrect terminal "aws4_reques". This endpoint uses "aws4_request".'), now);
    await rejects(auth(`${AK}/20260228/us-east-1/s3/aws4_request`), malformed('Invalid credential date "20260228". This date is not the same as X-Amz-Date: "20260301".'), now);
    await rejects(auth('/20260301/us-east-1/s3/aws4_request'), malformed('a non-empty Access Key (AKID) must be provided in the credential.'), now);
    await rejects(auth(`${AK}/2026031/us-east-1/s3/aws4_request`), malformed(/incorrect date format "2026031"/), now);
    // Well-formed, but the key is unknown.
    await rejects(auth(`AKIDNOBODY/20260301/us-east-1/s3/aws4_request`), { code: 'InvalidAccessKeyId' }, now);
    // Well-formed, known, wrong signature.
    await rejects(auth(`${AK}/20260301/us-east-1/s3/aws4_request`), { code: 'SignatureDoesNotMatch' }, now);
  });

  test('no usable date → AccessDenied; the Date header stands in for x-amz-date', async () => {
    const auth = `AWS4-HMAC-SHA256 Credential=${AK}/20260301/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256, Signature=${sig}`;
    const noDate = base(auth);
    delete noDate.headers['x-amz-date'];
    await rejects(noDate, { code: 'AccessDenied', message: 'AWS authentication requires a valid Date or x-amz-date header' }, now);
    await rejects(base(auth, { 'x-amz-date': '2026-03-01T12:00:00Z' }), { code: 'AccessDenied' }, now);
    // x-amz-date, when it is the request time, must be signed like any x-amz-* header.
    await rejects(base(auth), { code: 'AccessDenied', extras: { HeadersNotSigned: 'x-amz-date' } }, now);
    const dated = { ...noDate, headers: { ...noDate.headers, date: 'Sun, 01 Mar 2026 12:00:00 GMT' } };
    const err = (await authenticateAws(dated, lookup, now).catch((e: unknown) => e)) as { code: string; extras: Record<string, string> };
    assert.equal(err.code, 'SignatureDoesNotMatch');
    assert.match(err.extras.StringToSign!, /^AWS4-HMAC-SHA256\n20260301T120000Z\n/);
  });

  test('Signature Version 2 and other schemes', async () => {
    const v2 = { code: 'InvalidRequest', message: 'The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.' };
    await rejects(base(`AWS ${AK}:frJIUN8DYpKDtOLCwo//yllqDzg=`), v2, now);
    await rejects({ method: 'GET', rawPath: '/bkt/k', query: [['AWSAccessKeyId', AK], ['Expires', '1'], ['Signature', 'x']], headers: { host: 'h' } }, v2, now);
    await rejects(base('Bearer abc'), { code: 'InvalidArgument', message: 'Unsupported Authorization Type', extras: { ArgumentName: 'Authorization', ArgumentValue: 'Bearer abc' } }, now);
  });
});

describe('isAwsRequest', () => {
  test('S3 signatures, SigV2, presigned URLs and unsigned x-amz-* requests are the S3 dialect; OSS ones are not', () => {
    assert.equal(isAwsRequest({ authorization: 'AWS4-HMAC-SHA256 Credential=a/b' }, []), true);
    assert.equal(isAwsRequest({ authorization: 'AWS AKID:sig' }, []), true);
    assert.equal(isAwsRequest({}, [['X-Amz-Algorithm', 'AWS4-HMAC-SHA256']]), true);
    assert.equal(isAwsRequest({}, [['AWSAccessKeyId', 'a'], ['Signature', 's']]), true);
    assert.equal(isAwsRequest({ 'x-amz-acl': 'private' }, []), true);
    assert.equal(isAwsRequest({ host: 'h' }, []), false);
    assert.equal(isAwsRequest({ authorization: 'OSS a:b' }, []), false);
    assert.equal(isAwsRequest({ authorization: 'OSS4-HMAC-SHA256 Credential=a' }, []), false);
    assert.equal(isAwsRequest({ authorization: 'OSS a:b', 'x-amz-meta-a': '1' }, []), false);
    assert.equal(isAwsRequest({ 'x-amz-meta-a': '1' }, [['OSSAccessKeyId', 'a'], ['Signature', 's']]), false);
    assert.equal(isAwsRequest({ 'x-oss-date': 'x' }, [['x-oss-signature', 's']]), false);
  });
});

describe('the real S3 client (@aws-sdk/client-s3)', () => {
  for (const forcePathStyle of [true, false]) {
    const style = forcePathStyle ? 'path style' : 'virtual-hosted';
    test(`${style}: PutObject (odd key, metadata, checksum header), GetObject with Range, ListObjectsV2`, async () => {
      const client = s3Client(recorder, { forcePathStyle });
      const key = "dir/a b+c=d%e!'()*é~/x.txt";
      const put = await captureS3(recorder, () => client.send(new PutObjectCommand({
        Bucket: 'bkt', Key: key, Body: Buffer.from('hello'), ContentType: 'text/plain', Metadata: { note: 'two  spaces' },
      })));
      assert.equal(String(put.headers.host).startsWith('bkt.'), !forcePathStyle);
      const putResult = await authenticateAws(toAwsRequest(put), lookup);
      assert.ok(putResult.kind === 'signed');
      assert.equal(putResult.region, 'eu-west-3');
      assert.deepEqual(putResult.payload, { kind: 'sha256', hex: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824' });

      const get = await captureS3(recorder, () => client.send(new GetObjectCommand({ Bucket: 'bkt', Key: key, Range: 'bytes=0-1' })));
      assert.equal((await authenticateAws(toAwsRequest(get), lookup)).kind, 'signed');
      const list = await captureS3(recorder, () => client.send(new ListObjectsV2Command({ Bucket: 'bkt', Prefix: 'a b+/é', Delimiter: '/', StartAfter: '' })));
      assert.equal((await authenticateAws(toAwsRequest(list), lookup)).kind, 'signed');
      await rejects({ ...toAwsRequest(list), query: toAwsRequest(list).query.map(([n, v]): [string, string] => [n, n === 'prefix' ? 'a b /é' : v]) }, { code: 'SignatureDoesNotMatch' });
    });
  }
});

test('sendToRecorder keeps the signed Host (sanity check of the harness)', async () => {
  const captured = await sendToRecorder(recorder, await s3Signer().sign(httpRequest({ host: 'bkt.example:1', path: '/k' })) as never);
  assert.equal(captured.headers.host, 'bkt.example:1');
});
