/** A console API client for tests: keeps the session cookie and CSRF token like the page does, and records every answer. */
import http from 'node:http';
import { ACCESS_KEY_ID, ACCESS_KEY_SECRET } from '../helpers/server';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed JSON body, or null when the body is not JSON. */
  json: any;
}

/** Every answer any ConsoleClient received, headers and body, for the "the secret never comes back" check. */
export const received: string[] = [];

export interface RequestOptions {
  /** A JSON body. */
  body?: unknown;
  /** A raw body (an upload). */
  raw?: Buffer;
  /** The X-CSRF-Token to send: the session's by default, another value, or none (null). */
  csrf?: string | null;
  headers?: Record<string, string>;
}

export class ConsoleClient {
  cookie = '';
  csrfToken = '';

  /** `localAddress`: the address the requests come from (any of 127.0.0.0/8 on loopback), as another client would. */
  constructor(readonly base: string, private readonly localAddress?: string) {}

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...opts.headers };
    if (this.cookie) headers.cookie = this.cookie;
    const csrf = opts.csrf === undefined ? this.csrfToken : opts.csrf;
    if (csrf) headers['x-csrf-token'] = csrf;
    let body: Buffer | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
    } else if (opts.raw) {
      body = opts.raw;
    }
    if (body) headers['content-length'] = String(body.length);
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const req = http.request(this.base + path, { method, headers, localAddress: this.localAddress }, resolve);
      req.on('error', reject);
      req.end(body);
    });
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const answerHeaders = new Headers();
    for (let i = 0; i < res.rawHeaders.length; i += 2) answerHeaders.append(res.rawHeaders[i], res.rawHeaders[i + 1]);
    received.push(JSON.stringify([...answerHeaders]), text);
    let json: any = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON (static files, /metrics).
    }
    return { status: res.statusCode!, headers: answerHeaders, text, json };
  }

  /** Logs in; keeps the cookie and token on success. */
  async login(accessKeyId = ACCESS_KEY_ID, accessKeySecret = ACCESS_KEY_SECRET): Promise<Answer> {
    const a = await this.request('POST', '/api/session', { body: { accessKeyId, accessKeySecret } });
    if (a.status === 200) {
      this.cookie = a.headers.getSetCookie()[0].split(';')[0];
      this.csrfToken = a.json.csrfToken;
    }
    return a;
  }
}
