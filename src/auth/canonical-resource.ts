import { SUB_RESOURCES } from './sub-resources';
import type { AuthTarget } from './types';

/** "/" (service), "/<bucket>/" (bucket) or "/<bucket>/<key>" (object), key decoded. */
export function resourcePath(target: AuthTarget): string {
  if (target.bucket === undefined) return '/';
  return `/${target.bucket}/${target.key ?? ''}`;
}

/** V1 CanonicalizedResource: the path plus the §2.2 sub-resources present, sorted, decoded, empty ones bare. */
export function v1CanonicalResource(target: AuthTarget, query: Array<[string, string]>): string {
  const subResources = query
    .filter(([name]) => SUB_RESOURCES.has(name))
    .sort(([a], [b]) => compareCodeUnits(a, b))
    .map(([name, value]) => (value === '' ? name : `${name}=${value}`));
  const path = resourcePath(target);
  return subResources.length === 0 ? path : `${path}?${subResources.join('&')}`;
}

const UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;
const UNRESERVED_OR_SLASH = /^[A-Za-z0-9\-_.~/]*$/;

/** Percent-encodes every UTF-8 byte except A–Z a–z 0–9 - _ . ~ (and '/' when keepSlash), upper-case hex. */
export function uriEncode(text: string, keepSlash = false): string {
  // Runs on every signed request: most names and values need no encoding at all, and
  // encodeURIComponent (upper-case hex, UTF-8) leaves only !'()* of what must be encoded.
  if ((keepSlash ? UNRESERVED_OR_SLASH : UNRESERVED).test(text)) return text;
  try {
    const encoded = encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
    return keepSlash ? encoded.replace(/%2F/g, '/') : encoded;
  } catch {
    // A lone surrogate (URIError): encoded below as the bytes Buffer makes of it (EF BF BD).
  }
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(ch) || (keepSlash && ch === '/')
      ? ch
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function v4CanonicalUri(target: AuthTarget): string {
  return uriEncode(resourcePath(target), true);
}

/**
 * V4 CanonicalQuery. Clients disagree on how an empty value is written (oss2: always bare `k`;
 * ali-oss: bare only for sub-resources, `k=` otherwise), so the caller chooses via bareWhenEmpty.
 */
export function v4CanonicalQuery(
  query: Array<[string, string]>,
  bareWhenEmpty: (name: string) => boolean,
): string {
  return query
    .map(([name, value]) => [uriEncode(name), uriEncode(value), name] as const)
    .sort(([a, av], [b, bv]) => compareCodeUnits(a, b) || compareCodeUnits(av, bv))
    .map(([name, value, rawName]) => (value === '' && bareWhenEmpty(rawName) ? name : `${name}=${value}`))
    .join('&');
}

/** Plain code-unit order (not locale order), which is byte order for the ASCII names involved. */
export function compareCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
