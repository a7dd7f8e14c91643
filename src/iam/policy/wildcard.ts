/**
 * RAM wildcards: `*` matches any run of characters (also none), `?` exactly one. Patterns are
 * compiled once, when a policy is loaded, into the cheapest test that decides them.
 */
export type Matcher = (value: string) => boolean;

const MATCH_ALL: Matcher = () => true;

export function compileWildcard(pattern: string): Matcher {
  if (pattern === '*') return MATCH_ALL;
  if (!pattern.includes('*') && !pattern.includes('?')) return (value) => value === pattern;
  const star = pattern.indexOf('*');
  if (star === pattern.length - 1 && !pattern.includes('?')) {
    const prefix = pattern.slice(0, -1);
    return (value) => value.startsWith(prefix);
  }
  const source = pattern.replace(/[.+^${}()|[\]\\*?]/g, (c) => (c === '*' ? '.*' : c === '?' ? '.' : `\\${c}`));
  const re = new RegExp(`^${source}$`, 's');
  return (value) => re.test(value);
}

/** True when any of the matchers accepts the value. */
export function anyOf(matchers: Matcher[]): Matcher {
  if (matchers.includes(MATCH_ALL)) return MATCH_ALL;
  if (matchers.length === 1) return matchers[0]!;
  return (value) => matchers.some((m) => m(value));
}
