/**
 * Requests Node's HTTP parser refuses before the OSS handler sees them. Node's default answer is
 * a bare status line; OSS clients expect an OSS error body, so the OSS listener answers with one.
 *
 * A request with both Content-Length and Transfer-Encoding (ali-oss sends that for
 * `put(name, stream, { headers: { 'Content-Length': n } })`: it adds `Transfer-Encoding: chunked`
 * to every stream and chunk-encodes the body) stays refused: the only way to let it through
 * Node's parser is the insecure parser for every request, which relaxes framing checks that guard
 * against request smuggling. The message names the fix (ali-oss `options.contentLength`).
 */
import type { Socket } from 'node:net';
import { CofferError } from '../common/errors';
import { renderError } from './errors';
import { newRequestId } from './handler';

interface ParserError extends Error { code?: string; reason?: string }

const STATUS_LINE: Record<string, string> = {
  HPE_HEADER_OVERFLOW: '431 Request Header Fields Too Large',
  HPE_CHUNK_EXTENSIONS_OVERFLOW: '413 Payload Too Large',
};

export function answerClientError(err: ParserError, socket: Socket & { _httpMessage?: { headersSent?: boolean } }): void {
  const code = err.code ?? '';
  // Only a request the parser refused gets an answer, and only while no response has started on the socket.
  if (socket.writable && !socket._httpMessage?.headersSent && (code.startsWith('HPE_') || code === 'ERR_HTTP_REQUEST_TIMEOUT')) {
    if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      socket.end('HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n');
    } else {
      // llhttp names the conflict in its reason, under a code that depends on which header came first.
      const reason = err.reason ?? '';
      const message = /content-length/i.test(reason) && /transfer-encoding/i.test(reason)
        ? 'A request must not carry both Content-Length and Transfer-Encoding. Send one of them (ali-oss: pass options.contentLength for a stream instead of a Content-Length header).'
        : `The request is not valid HTTP/1.1: ${reason || code}.`;
      const requestId = newRequestId();
      // The Host header may be what failed to parse: the listener's own address names the host.
      const rendered = renderError(new CofferError('InvalidRequest', message), requestId, `${socket.localAddress}:${socket.localPort}`);
      const body = Buffer.from(rendered.body, 'utf8');
      socket.end(Buffer.concat([Buffer.from([
        `HTTP/1.1 ${STATUS_LINE[code] ?? '400 Bad Request'}`,
        'Server: AliyunOSS',
        `Date: ${new Date().toUTCString()}`,
        `x-oss-request-id: ${requestId}`,
        'Content-Type: application/xml',
        `Content-Length: ${body.length}`,
        // The parser lost its place in the byte stream: nothing more is read from this connection.
        'Connection: close',
        '', '',
      ].join('\r\n'), 'latin1'), body]));
    }
  }
  socket.destroySoon();
}
