/**
 * Object keys with control characters (every byte 0x01–0x1F): OSS accepts them at write time, so
 * Coffer does too, and every response naming them stays well-formed XML 1.0 (checked with expat
 * through Python's ElementTree, and by ali-oss's own parser). Tab, LF and CR are written as
 * character references and come back exact; the characters XML 1.0 cannot carry at all make the
 * response URL-encode its keys and say so in <EncodingType>url</EncodingType>, which oss2 and the
 * Go SDK decode; with encoding-type=url every key round-trips.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/server';
import { assertOssError, signedHttp } from '../helpers/oss-http';

let srv: TestServer;
let c: any;
const BUCKET = 'control-keys';

const BYTES = Array.from({ length: 0x1f }, (_, i) => i + 1);
const keyFor = (byte: number): string => `ctl-${byte.toString(16).padStart(2, '0')}-[${String.fromCharCode(byte)}]`;
const CONTROL_KEYS = BYTES.map(keyFor);
/** The control characters XML 1.0 does allow. */
const WHITESPACE_KEYS = ['ws-tab\t', 'ws-lf\n', 'ws-cr\r', 'ws-crlf\r\n'];

/** Parses with expat (Python's ElementTree), which refuses anything not well-formed XML 1.0. */
const EXPAT = `
import sys, json, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
print(json.dumps({'root': root.tag, 'encodingType': root.findtext('EncodingType'),
                  'keys': [e.text or '' for e in root.iter('Key')], 'prefixes': [e.text or '' for e in root.iter('Prefix')]}))
`;
interface Strict { root: string; encodingType: string | null; keys: string[]; prefixes: string[] }
function strictParse(xml: string): Strict {
  try {
    return JSON.parse(execFileSync('python3', ['-c', EXPAT], { input: xml, stdio: ['pipe', 'pipe', 'pipe'] }).toString()) as Strict;
  } catch (e: any) {
    assert.fail(`not well-formed XML 1.0: ${String(e.stderr).trim().split('\n').pop()}\n${JSON.stringify(xml.slice(0, 400))}`);
  }
}
/** The keys a listing names, decoded as its EncodingType says. */
const keysOf = (doc: Strict): string[] => doc.keys.map((k) => (doc.encodingType === 'url' ? decodeURIComponent(k) : k));

before(async () => {
  srv = await startTestServer();
  c = srv.client({ bucket: BUCKET });
  await c.putBucket(BUCKET);
  for (const key of [...CONTROL_KEYS, ...WHITESPACE_KEYS, 'ctl-plain a+b']) await c.put(key, Buffer.from(JSON.stringify(key)));
});
after(async () => { await srv.close(); });

describe('listings with control characters in keys', () => {
  test('every byte 0x01–0x1F: ListObjects and ListObjectsV2 stay well-formed and name each key exactly', async () => {
    const expected = [...CONTROL_KEYS, 'ctl-plain a+b'].sort();
    for (const query of [[['prefix', 'ctl-']], [['list-type', '2'], ['prefix', 'ctl-']]] as Array<Array<[string, string]>>) {
      const res = await signedHttp(srv, { bucket: BUCKET, query });
      assert.equal(res.status, 200);
      const doc = strictParse(res.text);
      assert.equal(doc.encodingType, 'url', 'keys XML cannot carry are URL-encoded, and the response says so');
      assert.deepEqual(keysOf(doc).sort(), expected);
    }
    // ali-oss parses the same pages (it does not decode; the names are the encoded ones).
    for (const page of [await c.list({ prefix: 'ctl-', 'max-keys': 1000 }), await c.listV2({ prefix: 'ctl-', 'max-keys': 1000 })]) {
      assert.deepEqual(page.objects.map((o: any) => decodeURIComponent(o.name)).sort(), expected);
    }
  });

  test('with encoding-type=url every key round-trips, delimiters and common prefixes included', async () => {
    const res = await signedHttp(srv, { bucket: BUCKET, query: [['prefix', 'ctl-'], ['delimiter', '['], ['encoding-type', 'url']] });
    const doc = strictParse(res.text);
    assert.equal(doc.encodingType, 'url');
    assert.deepEqual(keysOf(doc), ['ctl-plain a+b']);
    assert.deepEqual(doc.prefixes.map(decodeURIComponent).sort(), ['ctl-', ...CONTROL_KEYS.map((k) => k.slice(0, k.indexOf('[') + 1))].sort());
  });

  test('tab, LF, CR and CRLF keys need no encoding: exact through expat and through ali-oss', async () => {
    const res = await signedHttp(srv, { bucket: BUCKET, query: [['prefix', 'ws-']] });
    const doc = strictParse(res.text);
    assert.equal(doc.encodingType, null);
    assert.deepEqual(doc.keys.sort(), [...WHITESPACE_KEYS].sort());
    assert.deepEqual((await c.list({ prefix: 'ws-' })).objects.map((o: any) => o.name).sort(), [...WHITESPACE_KEYS].sort());
    for (const key of WHITESPACE_KEYS) assert.equal((await c.get(key)).content.toString(), JSON.stringify(key));
  });

  test('a prefix or marker with a control character is echoed encoded, not as an illegal reference', async () => {
    const res = await signedHttp(srv, { bucket: BUCKET, query: [['prefix', 'ctl-01-[\u0001'], ['marker', '\u0002']] });
    const doc = strictParse(res.text);
    assert.equal(doc.encodingType, 'url');
    assert.deepEqual(keysOf(doc), [keyFor(1)]);
  });
});

describe('other responses that name such a key', () => {
  test('multipart upload: initiate, list parts, list uploads, complete (through ali-oss) stay well-formed', async () => {
    const key = `mp-${String.fromCharCode(1)}-${String.fromCharCode(0x1f)}`;
    const { uploadId } = await c.initMultipartUpload(key);
    const part = await c.uploadPart(key, uploadId, 1, Buffer.from('part'), 0, 4);
    assert.equal((await c.listParts(key, uploadId)).res.status, 200);
    assert.deepEqual(keysOf(strictParse((await signedHttp(srv, { bucket: BUCKET, key, query: [['uploadId', uploadId]] })).text)), [key]);
    const uploads = strictParse((await signedHttp(srv, { bucket: BUCKET, query: [['uploads', ''], ['prefix', 'mp-']] })).text);
    assert.deepEqual(keysOf(uploads), [key]);
    await c.completeMultipartUpload(key, uploadId, [{ number: 1, etag: part.etag }]);
    assert.equal((await c.get(key)).content.toString(), 'part');
  });

  test('DeleteObject removes each of them; an error naming one is well-formed XML', async () => {
    for (const key of CONTROL_KEYS) assert.equal((await c.delete(key)).res.status, 204);
    const res = await signedHttp(srv, { bucket: BUCKET, key: keyFor(1) });
    assertOssError(res, 404, 'NoSuchKey');
    assert.equal(strictParse(res.text).root, 'Error');
    assert.deepEqual((await c.list({ prefix: 'ctl-' })).objects.map((o: any) => o.name), ['ctl-plain a+b']);
  });
});
