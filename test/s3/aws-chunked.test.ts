import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { type AwsAuthRequest, type AwsChunkSigner, authenticateAws } from '../../src/auth';
import { type AwsChunkedOptions, MAX_CHUNK_SIZE, awsChunkedDecoder } from '../../src/s3/aws-chunked';
import { AK, SECRET, captureS3, lookup, s3Client, s3Signer, signAndCapture, toAwsRequest, useBodyRecorder } from '../auth/aws-capture';

const recorder = useBodyRecorder();

interface Outcome {
  /** Everything the decoder passed on, errors or not. */
  data: Buffer;
  /** The pieces as passed on. */
  pieces: Buffer[];
  trailers: Map<string, string>;
  error?: { code: string; message: string; extras: Record<string, string> };
}

/** Feeds the body to a decoder in exactly these reads. */
async function decode(opts: AwsChunkedOptions, reads: Buffer[]): Promise<Outcome> {
  const decoder = awsChunkedDecoder(opts);
  const pieces: Buffer[] = [];
  decoder.on('data', (piece: Buffer) => pieces.push(piece));
  let error: Outcome['error'];
  await pipeline(Readable.from(reads.filter((r) => r.length > 0)), decoder).catch((e: unknown) => {
    error = e as Outcome['error'];
  });
  return { data: Buffer.concat(pieces), pieces, trailers: decoder.trailers(), ...(error && { error }) };
}

/** `body` cut at these offsets. */
function splitAt(body: Buffer, cuts: number[]): Buffer[] {
  const points = [0, ...cuts, body.length];
  return points.slice(1).map((end, i) => body.subarray(points[i]!, end));
}

function bytesOf(body: Buffer, size: number): Buffer[] {
  const reads: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) reads.push(body.subarray(i, i + size));
  return reads;
}

/** A small deterministic PRNG, so a failing random split can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** The signed aws-chunked framing: data chunks, the 0-size chunk, then the trailer lines (each ending CRLF, or none) and the blank line. */
function signedBody(chunks: Array<[Buffer, string]>, trailer = ''): Buffer {
  const parts: Buffer[] = [];
  for (const [data, signature] of chunks) {
    parts.push(Buffer.from(`${data.length.toString(16)};chunk-signature=${signature}\r\n`));
    if (data.length > 0) parts.push(data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`${trailer}\r\n`));
  return Buffer.concat(parts);
}

function unsignedBody(chunks: Buffer[], trailer = ''): Buffer {
  return Buffer.concat([
    ...chunks.flatMap((c) => [Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n')]),
    Buffer.from(`0\r\n${trailer}\r\n`),
  ]);
}

// ---------------------------------------------------------------------------------------------
// AWS's documented examples (sigv4-streaming, sigv4-streaming-trailers): PUT of 66560 bytes of
// 'a' in chunks of 64 KiB, 1 KiB and 0, at 20130524T000000Z with AWS's example credentials.

const DOC_KEY = 'AKIAIOSFODNN7EXAMPLE';
const DOC_TIME = new Date('2013-05-24T00:00:00Z');
const docLookup = async (id: string) => (id === DOC_KEY ? { accessKeyId: DOC_KEY, secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' } : null);
const A64K = Buffer.alloc(65536, 'a');
const A1K = Buffer.alloc(1024, 'a');
const EMPTY = Buffer.alloc(0);
const DOC = {
  seed: '4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9',
  chunks: [
    'ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
    '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
    'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9',
  ],
};
const DOC_TRAILER = {
  seed: '106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e',
  chunks: [
    'b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2',
    '1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7',
    '2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992',
  ],
  trailer: 'x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435\r\n',
};

function docSeedRequest(trailer: boolean): AwsAuthRequest {
  const signedHeaders = trailer
    ? 'content-encoding;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class;x-amz-trailer'
    : 'content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class';
  return {
    method: 'PUT',
    rawPath: '/examplebucket/chunkObject.txt',
    query: [],
    headers: {
      host: 's3.amazonaws.com',
      'x-amz-date': '20130524T000000Z',
      'x-amz-storage-class': 'REDUCED_REDUNDANCY',
      'content-encoding': 'aws-chunked',
      'x-amz-decoded-content-length': '66560',
      'x-amz-content-sha256': trailer ? 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER' : 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
      ...(trailer ? { 'x-amz-trailer': 'x-amz-checksum-crc32c' } : { 'content-length': '66824' }),
      authorization: `AWS4-HMAC-SHA256 Credential=${DOC_KEY}/20130524/us-east-1/s3/aws4_request,SignedHeaders=${signedHeaders},Signature=${trailer ? DOC_TRAILER.seed : DOC.seed}`,
    },
  };
}

async function docSigner(trailer = false): Promise<AwsChunkSigner> {
  const result = await authenticateAws(docSeedRequest(trailer), docLookup, DOC_TIME);
  assert.ok(result.kind === 'signed' && result.chunkSigner, 'the documented seed request verifies');
  return result.chunkSigner;
}

const docBody = () => signedBody([[A64K, DOC.chunks[0]!], [A1K, DOC.chunks[1]!], [EMPTY, DOC.chunks[2]!]]);
const docTrailerBody = () =>
  signedBody([[A64K, DOC_TRAILER.chunks[0]!], [A1K, DOC_TRAILER.chunks[1]!], [EMPTY, DOC_TRAILER.chunks[2]!]], DOC_TRAILER.trailer);
const docOptions = async (): Promise<AwsChunkedOptions> => ({ signer: await docSigner(), trailers: [], signedTrailer: false, decodedLength: 66560 });
const A66560 = Buffer.alloc(66560, 'a');

/** Offsets of the framing (chunk headers, CRLFs, trailer) in a body, and a few data bytes either side. */
function framingOffsets(body: Buffer, dataRuns: Array<[number, number]>): number[] {
  const offsets: number[] = [];
  for (let i = 1; i < body.length; i++) {
    const inData = dataRuns.some(([start, end]) => i > start + 3 && i < end - 3);
    if (!inData) offsets.push(i);
  }
  return offsets;
}

describe('signed aws-chunked (STREAMING-AWS4-HMAC-SHA256-PAYLOAD): AWS\'s example', () => {
  test('the seed request verifies and its signer yields the documented chunk signatures', async () => {
    const signer = await docSigner();
    assert.equal(signer.seedSignature, DOC.seed);
    const first = signer.chunk(DOC.seed, A64K);
    assert.equal(first, DOC.chunks[0]);
    const second = signer.chunk(first, A1K);
    assert.equal(second, DOC.chunks[1]);
    assert.equal(signer.chunk(second, EMPTY), DOC.chunks[2]);
    assert.equal(docBody().length, 66824, 'the documented Content-Length');
  });

  test('decodes in one read, in 1-byte reads, and in reads of assorted sizes', async () => {
    const body = docBody();
    for (const reads of [[body], bytesOf(body, 1), bytesOf(body, 7), bytesOf(body, 8192), bytesOf(body, 65536 + 89)]) {
      const out = await decode(await docOptions(), reads);
      assert.equal(out.error, undefined, `reads of ${reads[0]!.length}`);
      assert.ok(out.data.equals(A66560));
    }
  });

  test('decodes split in two at every offset in and around the framing', async () => {
    const body = docBody();
    const runs: Array<[number, number]> = [[88, 88 + 65536], [88 + 65536 + 2 + 86, 88 + 65536 + 2 + 86 + 1024]];
    const offsets = framingOffsets(body, runs);
    assert.ok(offsets.length > 250);
    const opts = await docOptions();
    for (const offset of offsets) {
      const out = await decode({ ...opts }, splitAt(body, [offset]));
      assert.equal(out.error, undefined, `split at ${offset}: ${out.error?.code}`);
      assert.equal(out.data.length, 66560, `split at ${offset}`);
    }
  });

  test('decodes at random multi-way splits', async () => {
    const body = docBody();
    const random = prng(20130524);
    const opts = await docOptions();
    for (let round = 0; round < 100; round++) {
      const cuts = Array.from({ length: 1 + Math.floor(random() * 20) }, () => 1 + Math.floor(random() * (body.length - 1)));
      const out = await decode({ ...opts }, splitAt(body, [...new Set(cuts)].sort((a, b) => a - b)));
      assert.equal(out.error, undefined, `round ${round}`);
      assert.ok(out.data.equals(A66560));
    }
  });

  test('a tampered data byte: SignatureDoesNotMatch, nothing of that chunk passed on', async () => {
    // In the second chunk: the first is passed on (it verified), the second never.
    const body = docBody();
    body[88 + 65536 + 2 + 86 + 10] = 'b'.charCodeAt(0);
    for (const reads of [[body], bytesOf(body, 1), bytesOf(body, 4096)]) {
      const out = await decode(await docOptions(), reads);
      assert.equal(out.error?.code, 'SignatureDoesNotMatch');
      assert.equal(out.error?.extras.SignatureProvided, DOC.chunks[1]);
      assert.ok(out.data.equals(A64K), `passed on ${out.data.length} bytes`);
    }
    // In the first chunk: nothing at all is passed on.
    const first = docBody();
    first[100] = 'b'.charCodeAt(0);
    const out = await decode(await docOptions(), bytesOf(first, 1000));
    assert.equal(out.error?.code, 'SignatureDoesNotMatch');
    assert.equal(out.data.length, 0);
  });

  test('a tampered, missing, reordered or replayed chunk signature is refused', async () => {
    const flip = (sig: string) => `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`;
    const cases: Array<[string, Buffer]> = [
      ['first signature changed', signedBody([[A64K, flip(DOC.chunks[0]!)], [A1K, DOC.chunks[1]!], [EMPTY, DOC.chunks[2]!]])],
      ['final signature changed', signedBody([[A64K, DOC.chunks[0]!], [A1K, DOC.chunks[1]!], [EMPTY, flip(DOC.chunks[2]!)]])],
      ['chunks swapped', signedBody([[A1K, DOC.chunks[1]!], [A64K, DOC.chunks[0]!], [EMPTY, DOC.chunks[2]!]])],
      ['middle chunk dropped', signedBody([[A64K, DOC.chunks[0]!], [EMPTY, DOC.chunks[2]!]])],
      ['first chunk replayed', signedBody([[A64K, DOC.chunks[0]!], [A64K, DOC.chunks[0]!], [A1K, DOC.chunks[1]!], [EMPTY, DOC.chunks[2]!]])],
      ['no signature on a chunk', Buffer.concat([Buffer.from('10000\r\n'), A64K, Buffer.from('\r\n'), signedBody([[A1K, DOC.chunks[1]!], [EMPTY, DOC.chunks[2]!]])])],
      ['the signature of the trailer example', signedBody([[A64K, DOC_TRAILER.chunks[0]!], [A1K, DOC_TRAILER.chunks[1]!], [EMPTY, DOC_TRAILER.chunks[2]!]])],
    ];
    for (const [name, body] of cases) {
      const out = await decode({ ...(await docOptions()), decodedLength: undefined }, bytesOf(body, 5000));
      assert.equal(out.error?.code, 'SignatureDoesNotMatch', name);
    }
  });

  test('x-amz-decoded-content-length must match the payload', async () => {
    const short = await decode({ ...(await docOptions()), decodedLength: 66561 }, [docBody()]);
    assert.equal(short.error?.code, 'IncompleteBody');
    // A chunk that would pass the declared length is refused before any of it is passed on.
    const long = await decode({ ...(await docOptions()), decodedLength: 66559 }, [docBody()]);
    assert.equal(long.error?.code, 'IncompleteBody');
    assert.equal(long.data.length, 65536);
  });

  test('the body ending early, anywhere, is IncompleteBody', async () => {
    const body = docBody();
    for (const end of [0, 1, 5, 87, 88, 89, 1000, 88 + 65536, 88 + 65537, 88 + 65538, 66000, body.length - 86, body.length - 3, body.length - 2, body.length - 1]) {
      const out = await decode(await docOptions(), bytesOf(body.subarray(0, end), 3000));
      assert.equal(out.error?.code, 'IncompleteBody', `ended at ${end}`);
      assert.equal(out.error?.message, 'The request body terminated unexpectedly');
    }
  });

  test('bytes after the end of the body, or framing gone wrong, are IncompleteBody', async () => {
    const cases: Array<[string, Buffer]> = [
      ['extra bytes', Buffer.concat([docBody(), Buffer.from('0\r\n\r\n')])],
      ['data not closed by CRLF', Buffer.from(docBody().toString('latin1').replace(`${'a'.repeat(10)}\r\n400;`, `${'a'.repeat(10)}\n\n400;`), 'latin1')],
      ['a bare LF after the size', Buffer.from(docBody().toString('latin1').replace(`;chunk-signature=${DOC.chunks[0]}\r\n`, `;chunk-signature=${DOC.chunks[0]}\n`), 'latin1')],
      ['a size that is not hex', Buffer.from(docBody().toString('latin1').replace('10000;', '1000g;'), 'latin1')],
      ['a size with a sign', Buffer.from(docBody().toString('latin1').replace('10000;', '+10000;'), 'latin1')],
    ];
    for (const [name, body] of cases) {
      const out = await decode({ ...(await docOptions()), decodedLength: undefined }, [body]);
      assert.equal(out.error?.code, 'IncompleteBody', name);
    }
  });
});

describe('signed aws-chunked with a signed trailer (STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER): AWS\'s example', () => {
  const options = async (): Promise<AwsChunkedOptions> => ({
    signer: await docSigner(true), trailers: ['x-amz-checksum-crc32c'], signedTrailer: true, decodedLength: 66560,
  });

  test('decodes, verifies the trailer signature over "name:value\\n", and returns the trailer', async () => {
    const body = docTrailerBody();
    for (const reads of [[body], bytesOf(body, 1), bytesOf(body, 9999)]) {
      const out = await decode(await options(), reads);
      assert.equal(out.error, undefined);
      assert.ok(out.data.equals(A66560));
      assert.deepEqual([...out.trailers], [['x-amz-checksum-crc32c', 'sOO8/Q==']]);
    }
  });

  test('a changed trailer value or signature → SignatureDoesNotMatch', async () => {
    for (const trailer of [
      DOC_TRAILER.trailer.replace('sOO8/Q==', 'sOO8/Q=='.replace('s', 'S')),
      DOC_TRAILER.trailer.replace('d81f82fc', 'd81f82fd'),
    ]) {
      const body = signedBody([[A64K, DOC_TRAILER.chunks[0]!], [A1K, DOC_TRAILER.chunks[1]!], [EMPTY, DOC_TRAILER.chunks[2]!]], trailer);
      const out = await decode(await options(), [body]);
      assert.equal(out.error?.code, 'SignatureDoesNotMatch');
    }
  });

  test('trailer lines not as announced → MalformedTrailerError', async () => {
    const sig = 'x-amz-trailer-signature:d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435';
    const cases: Array<[string, string]> = [
      ['no trailer signature', 'x-amz-checksum-crc32c:sOO8/Q=='],
      // Validly signed, but the trailer x-amz-trailer announced is not there.
      ['no announced trailer', `x-amz-trailer-signature:${(await docSigner(true)).trailer(DOC_TRAILER.chunks[2]!, '')}`],
      ['an unannounced trailer', `x-amz-checksum-sha256:abc\r\n${sig}`],
      ['a line after the signature', `x-amz-checksum-crc32c:sOO8/Q==\r\n${sig}\r\nx-amz-meta-a:1`],
      ['the trailer twice', `x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-checksum-crc32c:sOO8/Q==\r\n${sig}`],
      ['a line without a colon', `x-amz-checksum-crc32c sOO8/Q==\r\n${sig}`],
    ];
    for (const [name, trailer] of cases) {
      const body = signedBody([[A64K, DOC_TRAILER.chunks[0]!], [A1K, DOC_TRAILER.chunks[1]!], [EMPTY, DOC_TRAILER.chunks[2]!]], `${trailer}\r\n`);
      const out = await decode(await options(), [body]);
      assert.equal(out.error?.code, 'MalformedTrailerError', name);
      assert.equal(out.error?.message, 'The request contained trailing data that was not well-formed or did not conform to our published schema.');
    }
  });
});

// ---------------------------------------------------------------------------------------------

/** An independent statement of AWS's chunk signing, to build signed bodies the server did not sign. */
function chunkSignature(secret: string, region: string, timestamp: string, previous: string, data: Buffer): string {
  const day = timestamp.slice(0, 8);
  const key = [day, region, 's3', 'aws4_request'].reduce<Buffer>((k, part) => createHmac('sha256', k).update(part).digest(), Buffer.from(`AWS4${secret}`));
  const hash = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
  const stringToSign = ['AWS4-HMAC-SHA256-PAYLOAD', timestamp, `${day}/${region}/s3/aws4_request`, previous, hash(''), hash(data)].join('\n');
  return createHmac('sha256', key).update(stringToSign).digest('hex');
}

describe('signed aws-chunked seeded by the SDK signer', () => {
  test('chunks of varied sizes (64 KiB, 1 MiB, 8 KiB, a last small one) chain from the SDK\'s seed', async () => {
    const random = prng(7);
    const sizes = [65536, 1 << 20, 8192, 65536, 17];
    const chunks = sizes.map((size) => Buffer.from(Array.from({ length: size }, () => Math.floor(random() * 256))));
    const total = sizes.reduce((a, b) => a + b, 0);
    const req = await signAndCapture(recorder, {
      method: 'PUT',
      path: '/bkt/big.bin',
      headers: {
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD',
        'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': String(total),
      },
    }, (r) => s3Signer('eu-west-3').sign(r) as never);
    const result = await authenticateAws(req, lookup);
    assert.ok(result.kind === 'signed' && result.chunkSigner);
    const timestamp = String(req.headers['x-amz-date']);
    let previous = result.chunkSigner.seedSignature;
    const framed: Array<[Buffer, string]> = [];
    for (const data of [...chunks, EMPTY]) {
      previous = chunkSignature(SECRET, 'eu-west-3', timestamp, previous, data);
      framed.push([data, previous]);
    }
    const body = signedBody(framed);
    const opts = { signer: result.chunkSigner, trailers: [], signedTrailer: false, decodedLength: total };
    for (const reads of [[body], bytesOf(body, 65536), bytesOf(body, 1000)]) {
      const out = await decode(opts, reads);
      assert.equal(out.error, undefined);
      assert.ok(out.data.equals(Buffer.concat(chunks)));
    }
    // Another key's signatures are refused.
    assert.notEqual(chunkSignature(`${SECRET}x`, 'eu-west-3', timestamp, result.chunkSigner.seedSignature, chunks[0]!), framed[0]![1]);
    assert.equal(AK, result.accessKeyId);
  });
});

describe('unsigned aws-chunked with a trailer (STREAMING-UNSIGNED-PAYLOAD-TRAILER)', () => {
  const crc32Base64 = (data: Buffer) => {
    const out = Buffer.alloc(4);
    out.writeUInt32BE(crc32(data));
    return out.toString('base64');
  };

  test('the S3 client\'s streaming PutObject: the request verifies, the body decodes, the CRC32 trailer matches', async () => {
    const random = prng(99);
    const data = Buffer.from(Array.from({ length: 300_000 }, () => Math.floor(random() * 256)));
    const parts = [data.subarray(0, 1), data.subarray(1, 70_000), data.subarray(70_000, 250_000), data.subarray(250_000)];
    const client = s3Client(recorder);
    const sent = await captureS3(recorder, () => client.send(new PutObjectCommand({
      Bucket: 'bkt', Key: 'streamed.bin', Body: Readable.from(parts), ContentLength: data.length,
    })));
    const req = toAwsRequest(sent);
    const result = await authenticateAws(req, lookup);
    assert.ok(result.kind === 'signed');
    assert.deepEqual(result.payload, { kind: 'streaming', signed: false, trailer: true });
    assert.equal(result.chunkSigner, undefined);
    const trailers = String(req.headers['x-amz-trailer']).split(',').map((t) => t.trim().toLowerCase());
    assert.deepEqual(trailers, ['x-amz-checksum-crc32']);
    const opts = { trailers, signedTrailer: false, decodedLength: Number(req.headers['x-amz-decoded-content-length']) };
    for (const reads of [[sent.body], bytesOf(sent.body, 1), bytesOf(sent.body, 4099)]) {
      const out = await decode(opts, reads);
      assert.equal(out.error, undefined);
      assert.ok(out.data.equals(data));
      assert.equal(out.trailers.get('x-amz-checksum-crc32'), crc32Base64(data));
    }
  });

  test('a small body by hand; chunks pass through as they arrive, without copies', async () => {
    const body = Buffer.from('3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n\r\n');
    assert.equal(crc32Base64(Buffer.from('abc')), 'NSRBwg==');
    const opts = { trailers: ['x-amz-checksum-crc32'], signedTrailer: false, decodedLength: 3 };
    const whole = await decode(opts, [body]);
    assert.equal(whole.error, undefined);
    assert.equal(whole.data.toString(), 'abc');
    assert.equal(whole.pieces[0]!.buffer, body.buffer, 'the data is a view of the read, not a copy');
    assert.deepEqual([...whole.trailers], [['x-amz-checksum-crc32', 'NSRBwg==']]);

    // Split in two inside the data: the first part is passed on before the rest arrives.
    const decoder = awsChunkedDecoder({ trailers: [], signedTrailer: false });
    const seen: string[] = [];
    decoder.on('data', (piece: Buffer) => seen.push(piece.toString()));
    decoder.write(Buffer.from('5\r\nhel'));
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(seen, ['hel']);
    decoder.end(Buffer.from('lo\r\n0\r\n\r\n'));
    await new Promise((resolve) => decoder.on('end', resolve));
    assert.deepEqual(seen, ['hel', 'lo']);
  });

  test('1-byte reads and every two-way split of an unsigned body with several chunks', async () => {
    const chunks = [Buffer.from('hello '), Buffer.from('aws-chunked '), Buffer.alloc(300, 'z')];
    const data = Buffer.concat(chunks);
    const body = unsignedBody(chunks, `x-amz-checksum-crc32:${crc32Base64(data)}\r\n`);
    const opts = { trailers: ['x-amz-checksum-crc32'], signedTrailer: false, decodedLength: data.length };
    for (let cut = 1; cut < body.length; cut++) {
      const out = await decode(opts, splitAt(body, [cut]));
      assert.equal(out.error, undefined, `cut at ${cut}`);
      assert.ok(out.data.equals(data));
      assert.equal(out.trailers.get('x-amz-checksum-crc32'), crc32Base64(data));
    }
    assert.ok((await decode(opts, bytesOf(body, 1))).data.equals(data));
  });

  test('trailer errors: missing, unannounced, malformed; truncated inside the trailer', async () => {
    const opts = { trailers: ['x-amz-checksum-crc32'], signedTrailer: false };
    const malformed = ['3\r\nabc\r\n0\r\n\r\n', '3\r\nabc\r\n0\r\nx-amz-checksum-sha256:xyz\r\n\r\n', '3\r\nabc\r\n0\r\nx-amz-checksum-crc32\r\n\r\n',
      '3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\nx-amz-trailer-signature:00\r\n\r\n', '3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\n\r\n'];
    for (const body of malformed) {
      assert.equal((await decode(opts, [Buffer.from(body)])).error?.code, 'MalformedTrailerError', JSON.stringify(body));
    }
    // No trailer expected, one sent.
    assert.equal((await decode({ trailers: [], signedTrailer: false }, [Buffer.from('3\r\nabc\r\n0\r\nx-amz-meta-a:1\r\n\r\n')])).error?.code, 'MalformedTrailerError');
    for (const body of ['3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSRBwg==\r\n', '3\r\nabc\r\n0\r\nx-amz-checksum-crc32:NSR', '3\r\nabc\r\n0\r\n', '3\r\nab']) {
      assert.equal((await decode(opts, [Buffer.from(body)])).error?.code, 'IncompleteBody', JSON.stringify(body));
    }
  });
});

describe('bounds', () => {
  const unsigned = { trailers: [], signedTrailer: false };

  test('a declared chunk over 16 MiB is refused before its data; 16 MiB itself is accepted', async () => {
    for (const size of [(MAX_CHUNK_SIZE + 1).toString(16), 'ffffffff', 'fffffffffffffffffffff', '00000000001000001']) {
      const out = await decode(unsigned, [Buffer.from(`${size}\r\nabc`)]);
      assert.equal(out.error?.code, 'InvalidRequest', size);
      assert.equal(out.data.length, 0);
    }
    const max = await decode(unsigned, [Buffer.from(`${MAX_CHUNK_SIZE.toString(16)}\r\nabc`)]);
    assert.equal(max.error?.code, 'IncompleteBody', 'accepted, then cut short');
    assert.equal(max.data.toString(), 'abc');
  });

  test('a line over 4 KiB is refused without waiting for its end', async () => {
    const out = await decode(unsigned, [Buffer.from(`1;${'x'.repeat(5000)}`)]);
    assert.equal(out.error?.code, 'InvalidRequest');
    const trailer = await decode({ trailers: ['x-amz-checksum-crc32'], signedTrailer: false }, [Buffer.from(`1\r\na\r\n0\r\nx-amz-checksum-crc32:${'x'.repeat(4100)}`)]);
    assert.equal(trailer.error?.code, 'InvalidRequest');
    // Just under the limit is fine (an extension the decoder ignores).
    const long = await decode(unsigned, [Buffer.from(`1;${'x'.repeat(4000)}\r\na\r\n0\r\n\r\n`)]);
    assert.equal(long.error, undefined);
  });

  test('errors are CofferErrors carried by the stream, never thrown', async () => {
    const decoder = awsChunkedDecoder(unsigned);
    const failed = new Promise<unknown>((resolve) => decoder.on('error', resolve));
    decoder.resume();
    decoder.write(Buffer.from('zz\r\n'));
    const err = (await failed) as { name: string; code: string };
    assert.equal(err.name, 'CofferError');
    assert.equal(err.code, 'IncompleteBody');
  });
});
