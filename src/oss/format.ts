/** Wire formats of OSS responses. */
import { isXmlText } from './xml';

export const quoteEtag = (etag: string): string => `"${etag}"`;

/** ISO-8601 with literally ".000Z": oss2 parses XML times with a regex that demands it. */
export const isoTime = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString();

export const httpDate = (ms: number): string => new Date(ms).toUTCString();

/** encoding-type=url: keys in listings are percent-encoded (oss2 decodes them with unquote). */
export const urlEncodeKey = (key: string): string => encodeURIComponent(key).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** How a response writes object keys, prefixes, markers and delimiters; encodingType goes in its <EncodingType>. */
export interface KeyEncoding { encodingType?: 'url'; encode: (s: string) => string }

/**
 * Percent-encoded when the client asks (encoding-type=url), and also when one of `names` holds a
 * character XML 1.0 cannot carry at all: OSS accepts control characters in keys, and written raw
 * or as references (&#1;) they make the whole document unreadable to ali-oss and expat. The
 * response then says <EncodingType>url</EncodingType>, by which oss2 (_is_url_encoding) and the
 * Go SDK decode the names exactly; the alternatives (refusing keys OSS accepts, or a lossy
 * replacement) would lose objects or names.
 */
export function keyEncoding(requested: string | undefined, names: Iterable<string | undefined>): KeyEncoding {
  let url = requested === 'url';
  if (!url) for (const name of names) if (name !== undefined && !isXmlText(name)) { url = true; break; }
  return url ? { encodingType: 'url', encode: urlEncodeKey } : { encode: (s) => s };
}
