import { MAX_SKEW_MS, invalidArgument, requestExpired, requestNotYetValid, requestTimeTooSkewed } from './auth-errors';

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
export function checkNotExpired(expiresMs: number, now: Date, ec?: string): void {
  if (now.getTime() > expiresMs) throw requestExpired(ec);
}

/**
 * A V4 presigned URL is valid from its x-oss-date (less the usual skew, for a signer whose clock
 * runs ahead) to x-oss-date + x-oss-expires. Checking only the end would let a URL dated in the
 * future outlive the 7-day limit by as much as its date lies ahead.
 */
export function checkPresignWindow(signedMs: number, expiresS: number, now: Date): void {
  if (now.getTime() < signedMs - MAX_SKEW_MS) throw requestNotYetValid();
  checkNotExpired(signedMs + expiresS * 1000, now, '0002-00000236');
}
