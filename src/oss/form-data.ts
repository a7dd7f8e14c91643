/**
 * An incremental multipart/form-data reader for PostObject: it reads the text fields before the
 * file part (bounded in size and count), then hands over the file part as a stream that pulls
 * the request body on demand, so a 5 GiB upload never sits in memory. As in OSS, the file part
 * ends the form: whatever follows it is read and discarded, never parsed.
 *
 * A parser of our own rather than busboy: the project cannot add a dependency from a worktree
 * whose node_modules is shared, and what PostObject needs is narrow — one file part that must come
 * last, streamed with backpressure, and hard limits on everything before it — which is shorter to
 * write and check than to configure around a general parser.
 */
import type { Readable } from 'node:stream';
import { Readable as ReadableStream } from 'node:stream';
import { CofferError } from '../common/errors';

export const FORM_LIMITS = {
  /** Bytes of one part's headers. */
  partHeaderBytes: 16 * 1024,
  /** Bytes of all text fields together (the policy is the largest). */
  fieldBytes: 1024 * 1024,
  fields: 1000,
};

export interface FormFile {
  /** The part's filename parameter ('' when absent). */
  filename: string;
  /** The part's own Content-Type header, if any. */
  contentType?: string;
  /** The file's bytes, read from the request as they are consumed. */
  data: Readable;
}

export interface Form {
  /** Text fields before the file part: lower-cased names, values as the bytes sent (first occurrence wins). */
  fields: Map<string, Buffer>;
  file: FormFile | null;
}

export function malformedForm(detail: string): CofferError {
  return new CofferError('InvalidArgument', `The body of the POST request is not valid multipart/form-data: ${detail}`, { ArgumentName: 'Content-Type' });
}

/** The boundary of a multipart/form-data Content-Type, or null when the request is not one. */
export function formBoundary(contentType: string | undefined): string | null {
  if (!contentType || !/^\s*multipart\/form-data\s*(;|$)/i.test(contentType)) return null;
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^;\s]{1,70}))/i.exec(contentType);
  return m ? (m[1] ?? m[2]!) : null;
}

/** Pulls bytes from the body on demand and finds delimiters across chunk boundaries. */
class Scanner {
  private buf: Buffer = Buffer.alloc(0);
  private done = false;
  private readonly it: AsyncIterator<Buffer>;
  constructor(body: Readable) {
    this.it = body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  private async more(): Promise<boolean> {
    if (this.done) return false;
    const next = await this.it.next();
    if (next.done) {
      this.done = true;
      return false;
    }
    this.buf = this.buf.length === 0 ? next.value : Buffer.concat([this.buf, next.value]);
    return true;
  }

  /** Bytes up to `needle` (which is consumed), reading at most `max` bytes before it. */
  async until(needle: Buffer, max: number, what: string): Promise<Buffer> {
    for (;;) {
      const at = this.buf.indexOf(needle);
      if (at >= 0) {
        if (at > max) throw malformedForm(`${what} is too large`);
        const out = this.buf.subarray(0, at);
        this.buf = this.buf.subarray(at + needle.length);
        return out;
      }
      if (this.buf.length > max + needle.length) throw malformedForm(`${what} is too large`);
      if (!(await this.more())) throw malformedForm(`the body ended inside ${what}`);
    }
  }

  /** The next `n` bytes (fewer only at the end of the body). */
  async take(n: number): Promise<Buffer> {
    while (this.buf.length < n && (await this.more()));
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(out.length);
    return out;
  }

  /** Yields the bytes before `needle` as they arrive, keeping back only what could be its start. */
  async *streamUntil(needle: Buffer): AsyncGenerator<Buffer> {
    for (;;) {
      const at = this.buf.indexOf(needle);
      if (at >= 0) {
        if (at > 0) yield this.buf.subarray(0, at);
        this.buf = this.buf.subarray(at + needle.length);
        return;
      }
      const safe = this.buf.length - (needle.length - 1);
      if (safe > 0) {
        const out = this.buf.subarray(0, safe);
        this.buf = this.buf.subarray(safe);
        yield out;
      }
      if (!(await this.more())) throw malformedForm('the body ended inside the file');
    }
  }

  async drain(): Promise<void> {
    this.buf = Buffer.alloc(0);
    while (await this.more()) this.buf = Buffer.alloc(0);
  }
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

interface PartHeaders { name: string; filename?: string; contentType?: string }

function parsePartHeaders(raw: Buffer): PartHeaders {
  let name: string | undefined;
  let filename: string | undefined;
  let contentType: string | undefined;
  for (const line of raw.toString('latin1').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const header = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (header === 'content-type') contentType = value;
    if (header !== 'content-disposition') continue;
    // Browsers send parameter values as UTF-8 with '"' as %22 and no backslash escapes (old ones
    // send a Windows path's backslashes as they are); read here as latin1, decoded as UTF-8.
    for (const m of value.matchAll(/;\s*([a-z*]+)\s*=\s*(?:"([^"]*)"|([^;\s]*))/gi)) {
      const param = m[1]!.toLowerCase();
      const v = Buffer.from(m[2] ?? m[3] ?? '', 'latin1').toString('utf8');
      if (param === 'name') name = v;
      else if (param === 'filename') filename = v;
    }
  }
  if (name === undefined) throw malformedForm('a part has no Content-Disposition name');
  return { name, filename, contentType };
}

/**
 * Reads the form up to the start of the part named `file` (or to the end, when there is none).
 * The returned file stream must be consumed (or destroyed); the rest of the body is discarded
 * once it ends.
 */
export async function readForm(body: Readable, boundary: string): Promise<Form> {
  const scanner = new Scanner(body);
  const delimiter = Buffer.from(`\r\n--${boundary}`);
  // The first delimiter opens the body without the CRLF that precedes the others (browsers send no preamble).
  if (!(await scanner.take(delimiter.length - 2)).equals(delimiter.subarray(2))) throw malformedForm('the body does not start with the boundary');
  const fields = new Map<string, Buffer>();
  let fieldBytes = 0;
  for (;;) {
    const after = await scanner.take(2);
    if (after.toString('latin1') === '--') {
      await scanner.drain();
      return { fields, file: null };
    }
    if (!after.equals(CRLF)) throw malformedForm('a delimiter is not followed by CRLF');
    const part = parsePartHeaders(await scanner.until(HEADER_END, FORM_LIMITS.partHeaderBytes, 'the part headers'));
    const name = part.name.toLowerCase();
    if (name === 'file') {
      const stream = ReadableStream.from((async function* () {
        yield* scanner.streamUntil(delimiter);
        // Fields after the file are ignored, as OSS does: read to the end without parsing.
        await scanner.drain();
      })(), { objectMode: false });
      return { fields, file: { filename: part.filename ?? '', contentType: part.contentType, data: stream } };
    }
    const value = await scanner.until(delimiter, FORM_LIMITS.fieldBytes - fieldBytes, `the field ${part.name}`);
    fieldBytes += value.length;
    if (fields.size >= FORM_LIMITS.fields) throw malformedForm('too many fields');
    if (!fields.has(name)) fields.set(name, Buffer.from(value));
  }
}
