/**
 * XML for the OSS wire: a tiny writer for responses, and a strict parser for request bodies.
 *
 * The parser is Coffer's own rather than a configurable general-purpose one, because every option
 * such a parser has is a way to get a request body wrong: it never expands entities (a DTD is
 * refused outright, so there is nothing to expand or fetch), never trims or coerces a value (a key
 * "a " or "007" arrives as sent), bounds nesting, runs in one linear pass, and builds its result
 * from prototype-less objects. Whatever it refuses is MalformedXML, never an exception of another
 * kind.
 */
import { CofferError } from '../common/errors';

export type XmlValue = string | number | boolean | undefined | null | XmlObject | XmlValue[];
/**
 * Child elements by name. Two keys that are never element names: `$` holds the element's
 * attributes, `_` its text when it has attributes but no children.
 */
export interface XmlObject { [name: string]: XmlValue | XmlAttributes; $?: XmlAttributes }
export type XmlAttributes = Record<string, string>;

/**
 * A response document before it is written: operations answer with one, so that the S3 dialect
 * can reshape what an operation answered without parsing it back.
 */
export interface XmlDoc { readonly root: string; readonly value: XmlValue }

export const xmlDoc = (root: string, value: XmlValue): XmlDoc => ({ root, value });

export function isXmlDoc(body: unknown): body is XmlDoc {
  return typeof body === 'object' && body !== null && typeof (body as XmlDoc).root === 'string' && 'value' in body;
}

/** Characters outside XML 1.0's Char production: no document may contain them, not even as a reference. */
const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const NOT_XML_CHARS = new RegExp(NOT_XML_CHAR.source, 'gu');

/** Whether `text` can be written in an XML 1.0 document at all (object keys may hold control characters). */
export function isXmlText(text: string): boolean {
  return !NOT_XML_CHAR.test(text);
}

/**
 * Escapes text for element content. Tab, LF and CR are written as references so parsers keep
 * them exactly (a literal CR would be read as LF). What XML 1.0 cannot carry at all becomes
 * U+FFFD, so no response is ever ill-formed; where such text must survive (object keys), callers
 * check isXmlText first and URL-encode instead.
 */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"'\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`).replace(NOT_XML_CHARS, '\uFFFD');
}

/** Arrays become repeated elements; undefined/null children are omitted. */
function element(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((v) => element(name, v)).join('');
  if (typeof value === 'object') {
    let inner = '';
    let attributes = '';
    for (const [k, v] of Object.entries(value)) {
      if (k === '$') for (const [a, av] of Object.entries(v as XmlAttributes)) attributes += ` ${a}="${escapeXml(av)}"`;
      else if (k === '_') inner += escapeXml(String(v));
      else inner += element(k, v as XmlValue);
    }
    return `<${name}${attributes}>${inner}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function toXml(root: string, value: XmlValue): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${element(root, value)}`;
}

export const renderXml = (doc: XmlDoc): string => toXml(doc.root, doc.value);

export function malformedXml(why: string): CofferError {
  return new CofferError('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema: ${why}`);
}

/** An element's content: its text when it has no child elements, else its children by name (repeated names as arrays). */
type Content = string | Children;
interface Children { [name: string]: Content | Content[] }

/** OSS documents are at most a few levels deep; this bounds the parser's stack. */
const MAX_DEPTH = 32;
/** No OSS document uses these names; code reading the result must never meet them as keys. */
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);
const NAME = /[A-Za-z_:][-A-Za-z0-9_.:]*/y;
const ATTRIBUTE = /[ \t\r\n]+([A-Za-z_:][-A-Za-z0-9_.:]*)[ \t\r\n]*=[ \t\r\n]*(?:"([^"<]*)"|'([^'<]*)')/y;
const REFERENCE = /&(?:(lt|gt|amp|quot|apos)|#([0-9]{1,7})|#x([0-9A-Fa-f]{1,6}));|&/g;
const PREDEFINED: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: '\'' };

const isSpace = (code: number): boolean => code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;

function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) || (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

/**
 * Character data with its references decoded, once. Line ends are kept as sent (no CR → LF
 * normalization): SDKs write a key's CR raw, and reading it as LF would name another object.
 */
function decodeText(raw: string): string {
  if (NOT_XML_CHAR.test(raw)) throw malformedXml('a character XML 1.0 does not allow');
  if (raw.includes(']]>')) throw malformedXml('"]]>" in text');
  if (!raw.includes('&')) return raw;
  return raw.replace(REFERENCE, (match, named?: string, dec?: string, hex?: string) => {
    if (named) return PREDEFINED[named];
    if (dec === undefined && hex === undefined) throw malformedXml('an undefined entity or a bare "&"');
    const cp = dec !== undefined ? Number(dec) : parseInt(hex!, 16);
    if (!isXmlChar(cp)) throw malformedXml(`a reference to a character XML 1.0 does not allow (${match})`);
    return String.fromCodePoint(cp);
  });
}

interface Frame { name: string; text: string; children: Children | null }

function addChild(frame: Frame, name: string, value: Content): void {
  const children = frame.children ??= Object.create(null) as Children;
  const previous = children[name];
  if (previous === undefined) children[name] = value;
  else if (Array.isArray(previous)) previous.push(value);
  else children[name] = [previous, value];
}

/** Parses a whole document: its root element's name and content. */
function parseDocument(xml: string): { root: string; content: Content } {
  const n = xml.length;
  let pos = 0;
  const skipPast = (token: string, from: number): number => {
    const i = xml.indexOf(token, from);
    if (i < 0) throw malformedXml('unterminated markup');
    return i + token.length;
  };
  const skipSpace = (): void => {
    while (pos < n && isSpace(xml.charCodeAt(pos))) pos++;
  };
  /** Whitespace, comments and processing instructions (the XML declaration among them) around the root. */
  const skipMisc = (): void => {
    for (;;) {
      skipSpace();
      if (xml.startsWith('<!--', pos)) pos = skipPast('-->', pos + 4);
      else if (xml.startsWith('<?', pos)) pos = skipPast('?>', pos + 2);
      else if (xml.startsWith('<!', pos)) throw malformedXml('document type declarations are not allowed');
      else return;
    }
  };
  const readName = (from: number): string => {
    NAME.lastIndex = from;
    const m = NAME.exec(xml);
    if (!m) throw malformedXml('an invalid element name');
    pos = NAME.lastIndex;
    return m[0];
  };

  skipMisc();
  if (xml.charCodeAt(pos) !== 0x3c) throw malformedXml('no root element');
  const stack: Frame[] = [];
  for (;;) {
    if (pos >= n) throw malformedXml('unexpected end of document');
    const top = stack[stack.length - 1];
    if (xml.charCodeAt(pos) !== 0x3c) {
      const end = xml.indexOf('<', pos);
      top.text += decodeText(xml.slice(pos, end < 0 ? n : end));
      pos = end < 0 ? n : end;
    } else if (xml.startsWith('</', pos)) {
      const name = readName(pos + 2);
      skipSpace();
      if (xml.charCodeAt(pos) !== 0x3e || name !== top?.name) throw malformedXml(`a mismatched end tag </${name}>`);
      pos++;
      stack.pop();
      const value = top.children ?? top.text;
      if (stack.length === 0) {
        skipMisc();
        if (pos < n) throw malformedXml('content after the root element');
        return { root: name, content: value };
      }
      addChild(stack[stack.length - 1], name, value);
    } else if (xml.startsWith('<!--', pos)) {
      pos = skipPast('-->', pos + 4);
    } else if (xml.startsWith('<![CDATA[', pos)) {
      const end = xml.indexOf(']]>', pos + 9);
      if (end < 0) throw malformedXml('unterminated CDATA section');
      const raw = xml.slice(pos + 9, end);
      if (NOT_XML_CHAR.test(raw)) throw malformedXml('a character XML 1.0 does not allow');
      top.text += raw;
      pos = end + 3;
    } else if (xml.startsWith('<!', pos)) {
      throw malformedXml('document type declarations are not allowed');
    } else if (xml.startsWith('<?', pos)) {
      pos = skipPast('?>', pos + 2);
    } else {
      const name = readName(pos + 1);
      if (RESERVED.has(name)) throw malformedXml(`<${name}> is not an element of any OSS document`);
      // Attributes (xmlns and the like) are checked for well-formedness and ignored.
      const seen = new Set<string>();
      for (;;) {
        ATTRIBUTE.lastIndex = pos;
        const a = ATTRIBUTE.exec(xml);
        if (!a) break;
        if (seen.has(a[1])) throw malformedXml(`a repeated attribute ${a[1]}`);
        seen.add(a[1]);
        decodeText(a[2] ?? a[3]);
        pos = ATTRIBUTE.lastIndex;
      }
      skipSpace();
      const empty = xml.startsWith('/>', pos);
      if (!empty && xml.charCodeAt(pos) !== 0x3e) throw malformedXml(`a malformed start tag <${name}>`);
      pos += empty ? 2 : 1;
      if (stack.length >= MAX_DEPTH) throw malformedXml(`elements nested more than ${MAX_DEPTH} deep`);
      if (!empty) {
        stack.push({ name, text: '', children: null });
      } else if (top) {
        addChild(top, name, '');
      } else {
        skipMisc();
        if (pos < n) throw malformedXml('content after the root element');
        return { root: name, content: '' };
      }
    }
  }
}

/**
 * Parses a request body and returns its root element's children, or throws MalformedXML.
 * `arrays` names elements that may repeat, so one occurrence still comes back as a list.
 */
export function parseXml(body: string, root: string, arrays: string[] = []): Record<string, unknown> {
  if (!body.trim()) throw malformedXml('empty body');
  const doc = parseDocument(body);
  if (doc.root !== root) throw malformedXml(`root element must be <${root}>`);
  const content: Children = typeof doc.content === 'string' ? Object.create(null) as Children : doc.content;
  for (const name of arrays) {
    const v = content[name];
    if (v !== undefined && !Array.isArray(v)) content[name] = [v];
  }
  return content;
}

/** A child that must be a plain text element (not a nested element), exactly as sent. */
export function textOf(content: Record<string, unknown>, name: string): string | undefined {
  const v = content[name];
  if (v === undefined || typeof v === 'string') return v;
  throw malformedXml(`<${name}> must be text`);
}

/**
 * An enumerated value or identifier (SSEAlgorithm, Quiet, PartNumber, …): whitespace around it is
 * the document's layout, not data. Never for keys, ETags or prefixes, which are taken exactly.
 */
export function tokenOf(content: Record<string, unknown>, name: string): string | undefined {
  return textOf(content, name)?.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
}

/** A parsed element that must have children (`<X/>` parses as '': an element with none). */
export function elementOf(v: unknown, name: string): Record<string, unknown> {
  if (v === '') return {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw malformedXml(`<${name}> must contain elements`);
  return v as Record<string, unknown>;
}

/** A child that may repeat, as a list (none, one, or several). */
export const listOf = (v: unknown): unknown[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
