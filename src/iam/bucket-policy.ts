/**
 * Bucket policies: RAM policy documents attached to a bucket, with a Principal in each statement.
 * Checked when they are put (OSS's InvalidPolicyDocument, naming the fault), compiled once per
 * document text and per caller identity, so evaluating a request does no JSON or pattern work.
 *
 * Principals are written as OSS writes them: "*" (anyone, anonymous callers included), the
 * account's UID (the account root), or a RAM user of the account by its UserId or UserName.
 */
import { CofferError } from '../common/errors';
import type { Principal } from '../common/principal';
import { parsePolicy, PolicySet, type Policy } from './policy';
import type { ResourcePolicyRules } from './policy/document';
import { wildcardMatch } from './policy/wildcard';

/** OSS's limit on a bucket policy document. */
export const MAX_BUCKET_POLICY_CHARS = 16 * 1024;
/** A principal entry: "*", or a UID or RAM user name (no wildcards, no ARNs). */
const PRINCIPAL = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$/;
/** acs:oss:<region>:<account>:<bucket>[/<object pattern>] */
const OSS_RESOURCE = /^acs:oss:[^:]*:([^:]*):(.+)$/s;

export interface BucketPolicyContext {
  accountId: string;
  bucket: string;
  /** The RAM actions of the operations the server serves (oss:GetObject, …): Action patterns must cover one. */
  actions: ReadonlySet<string>;
}

function rules(ctx: BucketPolicyContext): ResourcePolicyRules {
  const actions = [...ctx.actions].map((a) => a.toLowerCase());
  return {
    principal: (p) => (p === '*' || PRINCIPAL.test(p) ? null : 'is not "*", the account UID, or a RAM user\'s id or name'),
    action: (p) => (actions.some((a) => wildcardMatch(p.toLowerCase(), a)) ? null : 'names no OSS action'),
    resource: (p) => {
      const m = OSS_RESOURCE.exec(p);
      const inBucket = m && (m[1] === '*' || m[1] === '' || m[1] === ctx.accountId) && (m[2] === ctx.bucket || m[2].startsWith(`${ctx.bucket}/`));
      return inBucket ? null : `is not this bucket (acs:oss:*:${ctx.accountId}:${ctx.bucket}) or an object in it`;
    },
  };
}

/** Checks a PutBucketPolicy document; throws InvalidPolicyDocument naming the fault. */
export function checkBucketPolicy(text: string, ctx: BucketPolicyContext): void {
  if (text.length > MAX_BUCKET_POLICY_CHARS) {
    throw new CofferError('InvalidPolicyDocument', `The bucket policy is ${text.length} characters; at most ${MAX_BUCKET_POLICY_CHARS} are allowed.`);
  }
  try {
    parsePolicy(text, rules(ctx));
  } catch (err) {
    if (err instanceof CofferError && err.code === 'MalformedPolicyDocument') throw new CofferError('InvalidPolicyDocument', err.message);
    throw err;
  }
}

/** Stored documents were checked when put: loading them only compiles. */
const LOAD: ResourcePolicyRules = { principal: () => null, action: () => null, resource: () => null };

/** The names a caller goes by in a Principal element. */
function identities(p: Principal): string[] {
  switch (p.kind) {
    case 'anonymous': return ['*'];
    case 'root': return ['*', p.accountId];
    case 'user': return ['*', p.userId, p.userName];
  }
}

/** One stored document, compiled: the statements naming a caller, as a PolicySet per identity. */
export class BucketPolicy {
  private readonly byCaller = new Map<string, PolicySet>();

  constructor(private readonly policy: Policy) {}

  /** The statements that apply to `principal`, ready to evaluate like its RAM policies. */
  for(principal: Principal): PolicySet {
    const names = identities(principal);
    const id = names.join('\n');
    let set = this.byCaller.get(id);
    if (!set) {
      const statements = this.policy.statements.filter((s) => s.principals?.some((n) => names.includes(n)));
      set = new PolicySet([{ statements }]);
      // Bounded by the principals a document names plus the callers seen; callers are the account's users.
      if (this.byCaller.size >= MAX_CACHED) this.byCaller.clear();
      this.byCaller.set(id, set);
    }
    return set;
  }
}

const MAX_CACHED = 1000;
const compiled = new Map<string, BucketPolicy>();

/** The compiled form of a stored bucket policy document (cached by its text). */
export function bucketPolicy(text: string): BucketPolicy {
  let found = compiled.get(text);
  if (!found) {
    found = new BucketPolicy(parsePolicy(text, LOAD));
    if (compiled.size >= MAX_CACHED) compiled.clear();
    compiled.set(text, found);
  }
  return found;
}
