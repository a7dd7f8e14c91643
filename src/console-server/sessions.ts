/**
 * Console sessions. The cookie carries a random id; sessions are keyed by its SHA-256, so neither a
 * lookup's timing nor the store says anything about live ids. The access key pair lives inside the
 * session's API clients and is never sent back. With persistence (the server always gives it),
 * each session is also a document in the metadata store with its secret sealed by the root key,
 * so a restart logs nobody out; last use is written at most once a minute, so after a restart
 * the idle timeout may run up to that much late.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { signaturesEqual } from '../auth/constant-time';
import { open, seal } from '../crypto/aead';
import type { MetadataStore } from '../store/types';
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

/** Where sessions outlive the process. */
export interface SessionPersistence {
  meta: MetadataStore;
  rootKey: Buffer;
  /** The API clients of a session restored from the store. */
  upstream(accessKeyId: string, accessKeySecret: string): Upstream;
}

interface StoredSession {
  /** Its own id (the cookie's digest): listing documents answers documents, not ids. */
  key: string;
  identity: Identity;
  csrfToken: string;
  /** The access key secret, sealed by the root key for this session only. */
  sealedSecret: string;
  createdAt: number;
  lastSeenAt: number;
}

const DOC_KIND = 'console-session';
/** Notified when a session ends, so that no other process keeps serving it from memory. */
export const SESSIONS_CHANNEL = 'console-session';
/** How stale the stored last use may get before a request writes it again. */
const TOUCH_MS = 60_000;
const PAGE = 100;

const digest = (id: string): string => createHash('sha256').update(id).digest('base64url');
const token = (): string => randomBytes(32).toString('base64url');
const secretAad = (key: string): Buffer => Buffer.from(`coffer/v1/console-session/${key}`);

export class SessionStore {
  private readonly sessions = new Map<string, Session & { storedSeenAt: number }>();

  constructor(readonly limits: SessionLimits, private readonly now: () => number, private readonly persistence?: SessionPersistence) {}

  async create(identity: Identity, upstream: Upstream, accessKeySecret: string): Promise<{ id: string; session: Session }> {
    await this.sweep();
    const id = token();
    const key = digest(id);
    const at = this.now();
    const session = { identity, csrfToken: token(), upstream, createdAt: at, lastSeenAt: at, storedSeenAt: at };
    if (this.persistence) {
      const { meta, rootKey } = this.persistence;
      const stored: StoredSession = {
        key, identity, csrfToken: session.csrfToken, createdAt: at, lastSeenAt: at,
        sealedSecret: seal(rootKey, Buffer.from(accessKeySecret, 'utf8'), secretAad(key)).toString('base64'),
      };
      await meta.transaction((tx) => tx.putDoc(DOC_KIND, key, stored));
    }
    this.sessions.set(key, session);
    return { id, session };
  }

  /** The live session the request's cookie names, touched; null when absent or expired. */
  async get(req: IncomingMessage): Promise<Session | null> {
    const id = sessionCookie(req);
    if (!id) return null;
    const key = digest(id);
    const s = this.sessions.get(key) ?? (await this.restore(key));
    if (!s) return null;
    const at = this.now();
    if (this.expired(s, at)) {
      await this.forget(key);
      return null;
    }
    s.lastSeenAt = at;
    if (this.persistence && at - s.storedSeenAt >= TOUCH_MS) {
      s.storedSeenAt = at;
      await this.persistence.meta.transaction(async (tx) => {
        const stored = await tx.getDoc<StoredSession>(DOC_KIND, key);
        if (stored) await tx.putDoc(DOC_KIND, key, { ...stored, lastSeenAt: at });
      });
    }
    return s;
  }

  async destroy(req: IncomingMessage): Promise<void> {
    const id = sessionCookie(req);
    if (id) await this.forget(digest(id));
  }

  /** A session another run of the server created, from the store. */
  private async restore(key: string): Promise<(Session & { storedSeenAt: number }) | null> {
    if (!this.persistence) return null;
    const stored = await this.persistence.meta.getDoc<StoredSession>(DOC_KIND, key);
    if (!stored) return null;
    let secret: string;
    try {
      secret = open(this.persistence.rootKey, Buffer.from(stored.sealedSecret, 'base64'), secretAad(key)).toString('utf8');
    } catch {
      // Altered in the store: no session, rather than a failing one.
      await this.forget(key);
      return null;
    }
    const s = {
      identity: stored.identity, csrfToken: stored.csrfToken, createdAt: stored.createdAt, lastSeenAt: stored.lastSeenAt, storedSeenAt: stored.lastSeenAt,
      upstream: this.persistence.upstream(stored.identity.accessKeyId, secret),
    };
    this.sessions.set(key, s);
    return s;
  }

  private async forget(key: string): Promise<void> {
    this.sessions.delete(key);
    await this.persistence?.meta.transaction(async (tx) => {
      await tx.deleteDoc(DOC_KIND, key);
      await tx.notify(SESSIONS_CHANNEL, key);
    });
  }

  /** Another process ended a session (logout, expiry): drop this process's copy; '*' drops all. */
  dropped(key: string): void {
    if (key === '*') this.sessions.clear();
    else this.sessions.delete(key);
  }

  private expired(s: { createdAt: number; lastSeenAt: number }, at: number): boolean {
    return at - s.lastSeenAt >= this.limits.idleMs || at - s.createdAt >= this.limits.maxMs;
  }

  /** Drops this process's expired sessions; run at each login, the only way sessions are added. */
  private async sweep(): Promise<void> {
    const at = this.now();
    for (const [key, s] of this.sessions) if (this.expired(s, at)) this.sessions.delete(key);
  }

  /**
   * Deletes expired sessions from the store; returns how many. A cluster-wide background job
   * (src/core/jobs.ts) runs it on one process at a time.
   */
  async sweepStore(): Promise<number> {
    if (!this.persistence) return 0;
    const at = this.now();
    const { meta } = this.persistence;
    const expired: string[] = [];
    for (let after: string | undefined; ;) {
      const page = await meta.listDocs<StoredSession>(DOC_KIND, { after, limit: PAGE });
      for (const d of page) if (this.expired(d, at)) expired.push(d.key);
      if (page.length < PAGE) break;
      after = page.at(-1)!.key;
    }
    if (expired.length) await meta.transaction(async (tx) => { for (const key of expired) await tx.deleteDoc(DOC_KIND, key); });
    return expired.length;
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
