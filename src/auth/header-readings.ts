import type { IncomingHttpHeaders } from 'node:http';

/**
 * The ways a client may have signed the request's header values. Node gives each value as a
 * latin1 string, one character per byte received, and the signature code hashes the UTF-8 of the
 * strings it is given. Clients sign non-ASCII values in one of two ways:
 * - the bytes they sent (oss2, the Go SDK, ali-oss with headerEncoding 'latin1'): the values
 *   decoded as UTF-8 re-encode to exactly those bytes;
 * - ali-oss with its default headerEncoding 'utf-8' sends each character of a value as one byte
 *   (Node writes latin1) but signs the UTF-8 of the string: that is the values as received.
 * Both readings carry the same text, so accepting either lets no one change what was signed
 * beyond the encoding of the same characters. A value that is not valid UTF-8 keeps its second reading
 * in both (e.g. a header the signature does not cover). Returned in trial order; one reading when every value is ASCII.
 */
export function headerReadings(headers: IncomingHttpHeaders): IncomingHttpHeaders[] {
  let decoded: IncomingHttpHeaders | null = null;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    if (values.every(isAscii)) continue;
    const utf8 = values.map((v) => utf8Text(v) ?? v);
    decoded ??= { ...headers };
    decoded[name] = Array.isArray(value) ? utf8 : utf8[0]!;
  }
  return decoded === null ? [headers] : [decoded, headers];
}

const isAscii = (value: string): boolean => !/[^\x00-\x7f]/.test(value);

/** The text whose UTF-8 is exactly these bytes, or null when they are not valid UTF-8. */
function utf8Text(latin1: string): string | null {
  const bytes = Buffer.from(latin1, 'latin1');
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : null;
}
