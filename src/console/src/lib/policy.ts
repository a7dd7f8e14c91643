/**
 * Checks a policy document before it is saved: JSON, then the fields every policy needs; a bucket
 * policy's statements also name a Principal.
 */

const EFFECTS = ['Allow', 'Deny'];

const stringOrList = (v: unknown): boolean =>
  typeof v === 'string' ? v !== '' : Array.isArray(v) && v.length > 0 && v.every((x) => typeof x === 'string' && x !== '');

/** The problems found, in reading order; empty when the document is acceptable. */
export function policyProblems(text: string, kind: 'ram' | 'bucket' = 'ram'): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return [`Not valid JSON: ${err instanceof Error ? err.message : String(err)}`];
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return ['The policy must be a JSON object.'];
  const d = doc as Record<string, unknown>;
  const problems: string[] = [];
  if (d.Version !== '1') problems.push('"Version" must be "1".');
  if (!Array.isArray(d.Statement) || d.Statement.length === 0) {
    problems.push('"Statement" must be a non-empty list.');
    return problems;
  }
  d.Statement.forEach((s: unknown, i) => {
    const at = `Statement ${i + 1}`;
    if (typeof s !== 'object' || s === null || Array.isArray(s)) {
      problems.push(`${at} must be an object.`);
      return;
    }
    const st = s as Record<string, unknown>;
    if (!EFFECTS.includes(st.Effect as string)) problems.push(`${at}: "Effect" must be "Allow" or "Deny".`);
    if (!stringOrList(st.Action)) problems.push(`${at}: "Action" must be a string or a list of strings.`);
    if (!stringOrList(st.Resource)) problems.push(`${at}: "Resource" must be a string or a list of strings.`);
    if (kind === 'bucket' && !stringOrList(st.Principal)) problems.push(`${at}: "Principal" must be "*" or a list of RAM user ids or names.`);
    if (kind === 'ram' && st.Principal !== undefined) problems.push(`${at}: "Principal" belongs in bucket policies, not in a RAM policy.`);
  });
  return problems;
}

export const POLICY_TEMPLATE = JSON.stringify({
  Version: '1',
  Statement: [{ Effect: 'Allow', Action: ['oss:GetObject', 'oss:ListObjects'], Resource: ['acs:oss:*:*:examplebucket', 'acs:oss:*:*:examplebucket/*'] }],
}, null, 2);

/** A starting point for a bucket's policy: anyone may read objects under public/. */
export const bucketPolicyTemplate = (bucket: string): string => JSON.stringify({
  Version: '1',
  Statement: [{ Effect: 'Allow', Principal: ['*'], Action: ['oss:GetObject'], Resource: [`acs:oss:*:*:${bucket}/public/*`] }],
}, null, 2);
