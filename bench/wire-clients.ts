/**
 * A minimal client for each of Coffer's dialects, so that the S3/OSS ratio measures the server's
 * two paths and not two SDKs: the same keep-alive node:http agent, the same request shape, and
 * header signatures computed in a few microseconds (OSS V1: HMAC-SHA1 of the canonical request;
 * S3: SigV4 with UNSIGNED-PAYLOAD, the signing key derived once per day). The SDK clients cost
 * their caller two to three times the CPU per request, which on a small machine is CPU the server
 * does not get.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import { awsCanonicalHeaders, awsCanonicalRequest, awsSign, awsSigningKey, awsStringToSign } from '../src/auth/aws-sigv4';
import type { Credentials, Driver } from './clients';

export class WireDriver implements Driver {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly base: URL;

  constructor(url: string, private readonly bucket: string, private readonly dialect: 'oss' | 's3', private readonly creds: Credentials, private readonly region: string) {
    this.base = new URL(url);
  }

  /** The request time in both dialects' forms, made once a second (each signer would). */
  private clock = { second: -1, http: '', iso: '' };

  private now(): { http: string; iso: string } {
    const ms = Date.now();
    const second = Math.floor(ms / 1000);
    if (second !== this.clock.second) {
      const d = new Date(second * 1000);
      this.clock = { second, http: d.toUTCString(), iso: d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '') };
    }
    return this.clock;
  }

  private sign(method: string, path: string, headers: Record<string, string>): void {
    if (this.dialect === 'oss') {
      headers.date = this.now().http;
      const sts = [method, headers['content-md5'] ?? '', headers['content-type'] ?? '', headers.date, path].join('\n');
      headers.authorization = `OSS ${this.creds.accessKeyId}:${createHmac('sha1', this.creds.accessKeySecret).update(sts).digest('base64')}`;
      return;
    }
    const timestamp = this.now().iso;
    const scope = { day: timestamp.slice(0, 8), region: this.region };
    headers['x-amz-date'] = timestamp;
    headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    const names = Object.keys(headers).filter((n) => n !== 'content-length').sort();
    const canonical = awsCanonicalRequest(method, path, '', awsCanonicalHeaders(headers, names), names.join(';'), 'UNSIGNED-PAYLOAD');
    const signature = awsSign(awsSigningKey(this.creds.accessKeySecret, scope), awsStringToSign(timestamp, scope, canonical));
    headers.authorization = `AWS4-HMAC-SHA256 Credential=${this.creds.accessKeyId}/${scope.day}/${scope.region}/s3/aws4_request, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  }

  private async request(method: string, key: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; bytes: number }> {
    try {
      return await this.send(method, key, { ...headers }, body);
    } catch (err) {
      // A kept-alive connection the server closed as it idled (its keep-alive timeout) just as this
      // request went out on it: sent again on a new one, as the SDKs do (both requests are idempotent).
      if ((err as { reusedSocket?: boolean }).reusedSocket) return this.send(method, key, { ...headers }, body);
      throw err;
    }
  }

  private send(method: string, key: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; bytes: number }> {
    const path = `/${this.bucket}/${encodeURIComponent(key)}`;
    headers.host = this.base.host;
    this.sign(method, path, headers);
    return new Promise((resolve, reject) => {
      const req = http.request({ host: this.base.hostname, port: this.base.port, method, path, headers, agent: this.agent }, (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => { bytes += c.length; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
        res.on('error', reject);
      });
      req.on('error', (err: NodeJS.ErrnoException & { reusedSocket?: boolean }) => {
        if (req.reusedSocket && (err.code === 'ECONNRESET' || err.message === 'socket hang up')) err.reusedSocket = true;
        reject(err);
      });
      req.end(body);
    });
  }

  async put(key: string, body: Buffer, md5: string): Promise<void> {
    const r = await this.request('PUT', key, { 'content-md5': md5, 'content-type': 'application/octet-stream', 'content-length': String(body.length) }, body);
    if (r.status !== 200) throw new Error(`${this.dialect} PUT ${key}: status ${r.status}`);
  }

  async get(key: string, range?: string): Promise<number> {
    const r = await this.request('GET', key, range ? { range } : {});
    if (r.status !== (range ? 206 : 200)) throw new Error(`${this.dialect} GET ${key}: status ${r.status}`);
    return r.bytes;
  }

  destroy(): void {
    this.agent.destroy();
  }
}
