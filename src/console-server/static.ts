/**
 * The built single-page app (dist/console, written by Vite): files by path, index.html for any
 * other page path (the app routes in the browser), long-lived caching for content-hashed assets.
 */
import { createReadStream, promises as fs } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';

/** Compiled to dist/src/console-server/; Vite writes the app to dist/console. */
export const STATIC_DIR = path.resolve(__dirname, '../../console');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

/** Everything the app loads comes from this origin; no inline script or style, no framing. */
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
  + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/** Vite names built assets <name>-<content hash>.<ext> under assets/: a changed file gets a new name. */
const HASHED = /^\/assets\/[^/]+-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

async function regularFile(file: string): Promise<number | null> {
  const st = await fs.stat(file).catch(() => null);
  return st?.isFile() ? st.size : null;
}

export async function serveStatic(dir: string, req: IncomingMessage, res: ServerResponse, pathname: string): Promise<void> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    decoded = '';
  }
  // path.join normalizes '..' away from the root only when the path is absolute under it: check.
  let file = path.join(dir, decoded);
  let size = decoded && !decoded.includes('\0') && file.startsWith(dir + path.sep) ? await regularFile(file) : null;
  if (size === null) {
    // A missing file with an extension is a 404; anything else is a page of the app.
    if (path.extname(decoded) !== '') {
      res.statusCode = 404;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('Not found\n');
      return;
    }
    file = path.join(dir, 'index.html');
    size = await regularFile(file);
    if (size === null) {
      res.statusCode = 503;
      res.setHeader('Content-Type', 'text/plain; charset=utf-8');
      res.end('The console has not been built: run `npm run build`.\n');
      return;
    }
  }
  const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
  res.statusCode = 200;
  res.setHeader('Content-Type', type);
  res.setHeader('Content-Length', size);
  res.setHeader('Cache-Control', HASHED.test(decoded) ? 'public, max-age=31536000, immutable' : 'no-cache');
  if (type.startsWith('text/html')) res.setHeader('Content-Security-Policy', CSP);
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  await pipeline(createReadStream(file), res);
}
