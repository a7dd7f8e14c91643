import { timingSafeEqual } from 'node:crypto';

/**
 * Compares a computed signature with the one provided without leaking, through timing, how much of
 * it matched. On a length mismatch the computed value is compared with itself so the work is the same.
 */
export function signaturesEqual(expected: string, provided: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(provided, 'utf8');
  const sameLength = a.length === b.length;
  return timingSafeEqual(a, sameLength ? b : a) && sameLength;
}
