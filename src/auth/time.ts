import { MAX_SKEW_MS, invalidArgument, requestExpired, requestTimeTooSkewed } from './auth-errors';

/** Milliseconds of an HTTP date (RFC 1123), as sent in Date / x-oss-date by V1 clients. */
export function parseHttpDate(value: string, argumentName: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalidArgument(`Invalid ${argumentName}: not an HTTP date.`, argumentName, value);
  return ms;
}

/** Milliseconds of a V4 date, YYYYMMDDTHHMMSSZ. */
export function parseV4Date(value: string, argumentName: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  const ms = m ? Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`) : NaN;
  if (Number.isNaN(ms)) {
    throw invalidArgument(`Invalid ${argumentName}: expected YYYYMMDDTHHMMSSZ.`, argumentName, value);
  }
  return ms;
}

/** Header signatures must be made within 15 minutes of server time, either way. */
export function checkSkew(requestMs: number, requestTime: string, now: Date): void {
  if (Math.abs(now.getTime() - requestMs) > MAX_SKEW_MS) throw requestTimeTooSkewed(requestTime, now);
}

/** Presigned URLs are valid up to and including their expiry instant. */
export function checkNotExpired(expiresMs: number, now: Date): void {
  if (now.getTime() > expiresMs) throw requestExpired();
}
