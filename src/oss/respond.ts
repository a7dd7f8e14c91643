/**
 * Writing an operation's answer to the wire, shared by both dialects: the status, headers and body
 * of a response, a streamed body that fails midway, and an error document.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { firstReadable, pump } from '../common/streams';
import type { OssResponse } from './request';
import { isXmlDoc, renderXml } from './xml';

function setHeaders(res: ServerResponse, headers: Record<string, string | number | undefined>): void {
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) res.setHeader(k, v);
}

/** Sends `r`; `base` are the headers every response of the dialect carries (request id, Server, Date, CORS). */
export async function sendResponse(res: ServerResponse, raw: IncomingMessage, r: OssResponse, base: Record<string, string>): Promise<void> {
  if (r.body instanceof Readable && raw.method === 'HEAD') r.body.destroy();
  const stream = r.body instanceof Readable && raw.method !== 'HEAD' ? await firstReadable(r.body) : null;
  setHeaders(res, base);
  setHeaders(res, r.headers ?? {});
  res.statusCode = r.status;
  if (stream) {
    try {
      await pump([stream, res]);
    } catch (err) {
      // Mid-stream failure (e.g. a package failing authentication): cut the connection so the
      // client sees a short body, never a complete response with altered bytes.
      res.destroy(err as Error);
      // The client hung up, often right after the last byte (Connection: close): not a server failure.
      if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
      throw err;
    }
    return;
  }
  if (r.body instanceof Readable) {
    res.end();
    return;
  }
  const body = isXmlDoc(r.body) ? renderXml(r.body) : r.body ?? '';
  if (typeof body === 'string' && body.startsWith('<?xml') && !res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/xml');
  // A HEAD answer describes the object: the operation's Content-Length (the object size) stands.
  if (raw.method !== 'HEAD' || !res.hasHeader('Content-Length')) res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(raw.method === 'HEAD' ? undefined : body);
  raw.resume();
}

export interface ErrorAnswer {
  status: number;
  /** The error document (not sent for HEAD, which has no body). */
  body: string;
  headers: Record<string, string>;
}

/** Sends an error answer, unless the response already started (then the connection is cut). */
export function sendErrorResponse(res: ServerResponse, raw: IncomingMessage, e: ErrorAnswer, base: Record<string, string>): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.removeHeader('Content-Length');
  setHeaders(res, base);
  setHeaders(res, e.headers);
  res.statusCode = e.status;
  // A body the failure left unread (a write error stops the pipeline that consumed it) may be
  // gone with its socket: the client must not send its next request on this connection.
  if (!raw.complete) res.setHeader('Connection', 'close');
  if (raw.method === 'HEAD') {
    res.end();
  } else {
    res.setHeader('Content-Type', 'application/xml');
    res.setHeader('Content-Length', Buffer.byteLength(e.body));
    res.end(e.body);
  }
  // Drain an unread upload body so the connection can be reused.
  raw.resume();
}
