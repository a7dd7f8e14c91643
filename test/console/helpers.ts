/** A console API client for tests: keeps the session cookie and CSRF token like the page does, and records every answer. */
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

  constructor(readonly base: string) {}

  async request(method: string, path: string, opts: RequestOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = { ...opts.headers };
    if (this.cookie) headers.cookie = this.cookie;
    const csrf = opts.csrf === undefined ? this.csrfToken : opts.csrf;
    if (csrf) headers['x-csrf-token'] = csrf;
    let body: string | Buffer | undefined;
    if (opts.body !== undefined) {
      headers['content-type'] ??= 'application/json';
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
    } else if (opts.raw) {
      body = opts.raw;
    }
    const res = await fetch(this.base + path, { method, headers, body, redirect: 'manual' });
    const text = await res.text();
    received.push(JSON.stringify([...res.headers]), text);
    let json: any = null;
    try {
      json = JSON.parse(text);
    } catch {
      // Not JSON (static files, /metrics).
    }
    return { status: res.status, headers: res.headers, text, json };
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
