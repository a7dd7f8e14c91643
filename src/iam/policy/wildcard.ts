/**
 * RAM wildcards: `*` matches any run of characters (also none), `?` exactly one (one UTF-16 code
 * unit), everything else itself, case-sensitively. Patterns are compiled once, when a policy is
 * loaded, into the cheapest test that decides them.
 *
 * No regular expressions: values are request-chosen (object keys, oss:Prefix), and a backtracking
 * regex for a pattern with k stars costs O(n^k) on a crafted value. The general matcher below is
 * greedy with one backtrack point, O(|pattern| × |value|) in the worst case and linear for a
 * given pattern; both lengths are bounded (policy document size, request size).
 */
export type Matcher = (value: string) => boolean;

const MATCH_ALL: Matcher = () => true;

const STAR = 42; // '*'
const ANY = 63; // '?'

/**
 * Greedy two-pointer match. On a mismatch only the most recent `*` is retried, one character
 * further on: earlier stars never need to absorb more, because whatever the later star could not
 * place after a longer earlier run it cannot place after a shorter one either.
 */
export function wildcardMatch(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1; // pattern index just after the last `*` seen
  let resume = 0; // value index that `*` is now assumed to end at
  while (v < value.length) {
    const c = p < pattern.length ? pattern.charCodeAt(p) : -1;
    if (c === STAR) {
      star = ++p;
      resume = v;
    } else if (c !== -1 && (c === ANY || c === value.charCodeAt(v))) {
      p++;
      v++;
    } else if (star >= 0) {
      p = star;
      v = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern.charCodeAt(p) === STAR) p++;
  return p === pattern.length;
}

export function compileWildcard(pattern: string): Matcher {
  if (pattern === '*') return MATCH_ALL;
  let firstWild = 0;
  while (firstWild < pattern.length && pattern[firstWild] !== '*' && pattern[firstWild] !== '?') firstWild++;
  if (firstWild === pattern.length) return (value) => value === pattern;
  if (firstWild === pattern.length - 1 && pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return (value) => value.startsWith(prefix);
  }
  return (value) => wildcardMatch(pattern, value);
}

/** True when any of the matchers accepts the value. */
export function anyOf(matchers: Matcher[]): Matcher {
  if (matchers.includes(MATCH_ALL)) return MATCH_ALL;
  if (matchers.length === 1) return matchers[0]!;
  return (value) => matchers.some((m) => m(value));
}
