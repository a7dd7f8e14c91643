/**
 * Console sessions: kept in memory only (a restart logs everyone out). The cookie carries a random
 * id; the map is keyed by its SHA-256, so a lookup's timing says nothing about stored ids. The
 * access key pair lives only inside the session's API clients and is never sent back.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { signaturesEqual } from '../auth/constant-time';
import type { Upstream } from './upstream';

export const SESSION_COOKIE = 'coffer_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface SessionLimits {
  /** A session unused for this long ends. */
  idleMs: number;
  /** A session ends this long after login, however busy. */
  maxMs: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleMs: 30 * 60_000, maxMs: 8 * 3_600_000 };

/** Who is logged in, as the credential store knows the access key. */
export interface Identity {
  kind: 'root' | 'user';
  accountId: string;
  accessKeyId: string;
  userName?: string;
}

export interface Session {
  identity: Identity;
  csrfToken: string;
  upstream: Upstream;
  createdAt: number;
  lastSeenAt: number;
}

const digest = (id: string): string => createHash('sha256').update(id).digest('base64');
const token = (): string => randomBytes(32).toString('base64url');

export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(readonly limits: SessionLimits, private readonly now: () => number) {}

  create(identity: Identity, upstream: Upstream): { id: string; session: Session } {
    this.sweep();
    const id = token();
    const at = this.now();
    const session: Session = { identity, csrfToken: token(), upstream, createdAt: at, lastSeenAt: at };
    this.sessions.set(digest(id), session);
    return { id, session };
  }

  /** The live session the request's cookie names, touched; null when absent or expired. */
  get(req: IncomingMessage): Session | null {
    const id = sessionCookie(req);
    if (!id) return null;
    const key = digest(id);
    const s = this.sessions.get(key);
    if (!s) return null;
    const at = this.now();
    if (this.expired(s, at)) {
      this.sessions.delete(key);
      return null;
    }
    s.lastSeenAt = at;
    return s;
  }

  destroy(req: IncomingMessage): void {
    const id = sessionCookie(req);
    if (id) this.sessions.delete(digest(id));
  }

  private expired(s: Session, at: number): boolean {
    return at - s.lastSeenAt >= this.limits.idleMs || at - s.createdAt >= this.limits.maxMs;
  }

  /** Drops expired sessions; run at each login, the only way the map grows. */
  private sweep(): void {
    const at = this.now();
    for (const [key, s] of this.sessions) if (this.expired(s, at)) this.sessions.delete(key);
  }
}

function sessionCookie(req: IncomingMessage): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === SESSION_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function sessionSetCookie(id: string, limits: SessionLimits, secure: boolean): string {
  return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(limits.maxMs / 1000)}${secure ? '; Secure' : ''}`;
}

export function clearedCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure ? '; Secure' : ''}`;
}

/** Whether the request carries the session's CSRF token, compared in constant time. */
export function csrfValid(req: IncomingMessage, s: Session): boolean {
  const given = req.headers[CSRF_HEADER];
  return typeof given === 'string' && signaturesEqual(s.csrfToken, given);
}
