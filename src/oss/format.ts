/** Wire formats of OSS responses. */
export const quoteEtag = (etag: string): string => `"${etag}"`;

/** ISO-8601 with literally ".000Z": oss2 parses XML times with a regex that demands it. */
export const isoTime = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString();

export const httpDate = (ms: number): string => new Date(ms).toUTCString();

/** encoding-type=url: keys in listings are percent-encoded (oss2 decodes them with unquote). */
export const urlEncodeKey = (key: string): string => encodeURIComponent(key).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
