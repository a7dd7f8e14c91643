/** The JSON API's routes: method + path pattern (":name" segments) → handler run with a live session. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Session } from './sessions';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  session: Session;
}

/** Resolves to the JSON answer (200), or to undefined once the handler has answered itself (a download). */
export type Handler = (c: RouteContext) => Promise<unknown>;

export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  handle: Handler;
}

interface Compiled extends Route { pattern: RegExp; names: string[] }

export class Router {
  private readonly routes: Compiled[];

  constructor(routes: Route[]) {
    this.routes = routes.map((r) => {
      const names: string[] = [];
      const source = r.path.split('/').map((seg) => {
        if (!seg.startsWith(':')) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(seg.slice(1));
        return '([^/]+)';
      }).join('/');
      return { ...r, pattern: new RegExp(`^${source}$`), names };
    });
  }

  /** The route and its decoded parameters; 'method' when the path exists under another method only. */
  match(method: string, pathname: string): { route: Route; params: Record<string, string> } | 'method' | null {
    let other = false;
    for (const r of this.routes) {
      const m = r.pattern.exec(pathname);
      if (!m) continue;
      if (r.method !== method) {
        other = true;
        continue;
      }
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1]); });
      return { route: r, params };
    }
    return other ? 'method' : null;
  }
}
