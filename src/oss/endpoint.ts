/**
 * The endpoint this server reports where OSS names one (ExtranetEndpoint, IntranetEndpoint, the
 * Location of CompleteMultipartUpload). OSS puts its public domain there; clients follow it (oss2's
 * test teardown builds a Bucket from ExtranetEndpoint), so Coffer must name itself: the configured
 * --public-endpoint, else the address the request came in on.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { OSS_HOST } from './router';

/** host[:port], as OSS writes its endpoints (no scheme, no path); IPv6 literals in brackets. */
const ENDPOINT = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Checks a --public-endpoint value; throws a message for the command line. */
export function checkPublicEndpoint(value: string): string {
  const port = /:(\d+)$/.exec(value)?.[1];
  if (!ENDPOINT.test(value) || (port !== undefined && Number(port) > 65535)) {
    throw new Error(`--public-endpoint must be host[:port] (no scheme, no path), e.g. oss.example.com:9000; got ${JSON.stringify(value)}`);
  }
  return value;
}

/** The local address and port a connection reached (IPv4-mapped IPv6 shown as IPv4). */
function listenerAddress(socket: Socket): string {
  const address = (socket.localAddress ?? '127.0.0.1').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  const host = address.includes(':') ? `[${address}]` : address;
  return `${host}:${socket.localPort}`;
}

/**
 * What the client used to reach this server: path style, its Host (host:port); virtual-hosted on
 * --domain, the domain part with the port. ali-oss on an IP endpoint sends Host
 * <bucket>.oss-<region>.aliyuncs.com, which names Alibaba, so then (and without a usable Host)
 * the address of the listener the connection reached is the answer.
 */
export function requestEndpoint(raw: IncomingMessage, domain?: string): string {
  const host = (raw.headers.host ?? '').trim().toLowerCase();
  if (!ENDPOINT.test(host)) return listenerAddress(raw.socket);
  const port = /:\d+$/.exec(host)?.[0] ?? '';
  const name = port ? host.slice(0, -port.length) : host;
  if (OSS_HOST.test(name)) return listenerAddress(raw.socket);
  if (domain && name.endsWith(`.${domain.toLowerCase()}`)) return `${domain.toLowerCase()}${port}`;
  return host;
}
