/** XML for the OSS wire: a tiny writer for responses, a validating parser for request bodies. */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { CofferError } from '../common/errors';

export type XmlValue = string | number | boolean | undefined | null | XmlObject | XmlValue[];
export interface XmlObject { [name: string]: XmlValue }

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
    // Control characters are not allowed in XML 1.0; OSS keys may contain them, so escape them too.
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Arrays become repeated elements; undefined/null children are omitted. */
function element(name: string, value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return value.map((v) => element(name, v)).join('');
  if (typeof value === 'object') {
    let inner = '';
    for (const [k, v] of Object.entries(value)) inner += element(k, v);
    return `<${name}>${inner}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function toXml(root: string, value: XmlValue): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${element(root, value)}`;
}

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: true,
  // Also decode character references (&#34;, &#x9;): Go's encoding/xml writes '"' and '\'' that way.
  htmlEntities: true,
  ignoreDeclaration: true,
});

/**
 * Parses a request body and returns its root element's content, or throws MalformedXML.
 * `arrays` names elements that may repeat, so one occurrence still comes back as a list.
 */
export function parseXml(body: string, root: string, arrays: string[] = []): Record<string, unknown> {
  const bad = (why: string): CofferError =>
    new CofferError('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema: ${why}`);
  if (!body.trim()) throw bad('empty body');
  if (XMLValidator.validate(body) !== true) throw bad('not well-formed');
  const doc = parser.parse(body) as Record<string, unknown>;
  const top = doc[root];
  if (top === undefined) throw bad(`root element must be <${root}>`);
  const content = (typeof top === 'object' && top !== null ? top : {}) as Record<string, unknown>;
  for (const name of arrays) {
    const v = content[name];
    if (v !== undefined && !Array.isArray(v)) content[name] = [v];
  }
  return content;
}

/** A child that must be a plain text element (not a nested element). */
export function textOf(content: Record<string, unknown>, name: string): string | undefined {
  const v = content[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  if (v === '' || (typeof v === 'object' && v !== null && Object.keys(v).length === 0)) return '';
  throw new CofferError('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema: <${name}> must be text`);
}
