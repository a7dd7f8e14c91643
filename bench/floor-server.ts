/**
 * The platform's floor for the large-object cases: a bare node:http server doing only what an
 * unencrypted PUT must (MD5 and CRC-64 of the body on its event loop, the bytes written to a file,
 * one fdatasync) and a plain GET (the file streamed to the socket), with no parsing, signatures,
 * metadata or checks. Its CPU per MiB, measured like Coffer's, is what Node and the kernel cost on
 * this machine. Stores under argv[2]; writes {"url": …} to argv[3] once listening.
 */
import { createHash } from 'node:crypto';
import { close, createReadStream, createWriteStream, fdatasync, open, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { growHeapForLargeBodies } from '../src/common/heap';
import { Crc64 } from '../src/crypto/crc64';

// The heap setting `coffer server` runs with, so the floor is not measured in V8's back-to-back
// full collections that it avoids.
growHeapForLargeBodies();

const [directory, readyFile] = process.argv.slice(2);
const file = (url: string): string => path.join(directory, encodeURIComponent(url.slice(1)));

function put(req: http.IncomingMessage, res: http.ServerResponse): void {
  open(file(req.url!), 'w', (err, fd) => {
    if (err) return void res.writeHead(500).end(String(err));
    const md5 = createHash('md5');
    const crc = new Crc64();
    // Idiomatic Node: a write stream (it batches queued chunks into one writev) with backpressure.
    const out = createWriteStream('', { fd, autoClose: false, highWaterMark: 512 * 1024 });
    req.on('data', (chunk: Buffer) => {
      md5.update(chunk);
      crc.update(chunk);
      if (!out.write(chunk)) {
        req.pause();
        out.once('drain', () => req.resume());
      }
    });
    req.on('end', () => out.end());
    out.on('finish', () => fdatasync(fd, () => close(fd, () => {
      res.writeHead(200, { etag: `"${md5.digest('hex')}"`, 'x-oss-hash-crc64ecma': crc.toString() }).end();
    })));
  });
}

function get(req: http.IncomingMessage, res: http.ServerResponse): void {
  const name = file(req.url!);
  res.writeHead(200, { 'content-length': statSync(name).size });
  createReadStream(name, { highWaterMark: 512 * 1024 }).pipe(res);
}

const server = http.createServer((req, res) => (req.method === 'PUT' ? put(req, res) : get(req, res)));
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  writeFileSync(readyFile, JSON.stringify({ url: `http://127.0.0.1:${port}` }));
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
