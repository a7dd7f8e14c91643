/**
 * RAM policy documents (Version "1"): parsed and validated once, when a policy (version) is
 * created or loaded, into statements whose Action/Resource patterns and conditions are compiled
 * matchers, so evaluating a request does no JSON or pattern work. Every refusal names its fault.
 *
 *   { "Version": "1", "Statement": [ { "Effect": "Allow" | "Deny",
 *       "Action" | "NotAction": "<service>:<action>" | [...],      (wildcards * ?, case-insensitive)
 *       "Resource" | "NotResource": "acs:<service>:<region>:<account>:<relative-id>" | "*" | [...],
 *       "Condition": { "<Operator>": { "<service>:<key>": value | [values] } } } ] }
 *
 * A resource policy (a bucket policy) is the same language plus a Principal in every statement,
 * with the resource's owner deciding which actions, resources and principals make sense.
 */
import { compileConditions, type CompiledCondition } from './conditions';
import { malformed } from './errors';
import { anyOf, compileWildcard, type Matcher } from './wildcard';

export interface CompiledStatement {
  readonly deny: boolean;
  /** Applied to the lower-case action name. */
  readonly action: Matcher;
  /** NotAction: the statement covers every action the patterns do not match. */
  readonly notAction: boolean;
  readonly resource: Matcher;
  readonly notResource: boolean;
  readonly conditions: readonly CompiledCondition[];
  /** A resource policy's Principal entries, as written ("*" for anyone); absent in RAM policies. */
  readonly principals?: readonly string[];
}

/** What a resource policy accepts beyond the RAM checks: each returns the fault of an entry, or null if it is fine. */
export interface ResourcePolicyRules {
  principal(p: string): string | null;
  action(p: string): string | null;
  resource(p: string): string | null;
}

export interface Policy {
  readonly statements: readonly CompiledStatement[];
}

const STATEMENT_ELEMENTS = new Set(['Effect', 'Action', 'NotAction', 'Resource', 'NotResource', 'Condition']);
const ACTION = /^[A-Za-z0-9-]+:[A-Za-z0-9_*?-]+$/;
/** acs:<service>:<region>:<account>:<relative-id>; the relative id may itself contain colons. */
const RESOURCE = /^acs:[^:]+:[^:]*:[^:]*:.+$/s;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A string or a non-empty list of strings, each accepted by `valid`. */
function patterns(raw: unknown, element: string, where: string, valid: (p: string) => boolean, form: string): string[] {
  const list = Array.isArray(raw) ? raw : [raw];
  if (list.length === 0) malformed(`${where}: ${element} lists nothing`);
  for (const p of list) {
    if (typeof p !== 'string') malformed(`${where}: ${element} must be a string or a list of strings`);
    if (!valid(p)) malformed(`${where}: ${element} ${JSON.stringify(p)} is not ${form}`);
  }
  return list as string[];
}

/** The one of `name` / `Not<name>` a statement has. */
function either(s: Record<string, unknown>, name: string, where: string): { raw: unknown; negated: boolean; element: string } {
  const positive = Object.hasOwn(s, name);
  const negative = Object.hasOwn(s, `Not${name}`);
  if (positive && negative) malformed(`${where}: ${name} and Not${name} cannot be used together`);
  if (!positive && !negative) malformed(`${where}: ${name} (or Not${name}) is required`);
  return positive ? { raw: s[name], negated: false, element: name } : { raw: s[`Not${name}`], negated: true, element: `Not${name}` };
}

/** Each entry's fault by the resource policy's own rule, if it has one. */
function checkEach(list: string[], element: string, where: string, fault: ((p: string) => string | null) | undefined): void {
  for (const p of list) {
    const why = fault?.(p);
    if (why) malformed(`${where}: ${element} ${JSON.stringify(p)} ${why}`);
  }
}

function compileStatement(s: unknown, where: string, rules?: ResourcePolicyRules): CompiledStatement {
  if (!isObject(s)) malformed(`${where} must be an object`);
  for (const element of Object.keys(s)) {
    if (element === 'Principal') {
      if (!rules) malformed(`${where}: Principal belongs in resource policies, not in a RAM policy`);
      continue;
    }
    if (!STATEMENT_ELEMENTS.has(element)) {
      malformed(`${where}: unknown element ${JSON.stringify(element)}; expected Effect, Action or NotAction, Resource or NotResource, Condition${rules ? ', Principal' : ''}`);
    }
  }
  let principals: string[] | undefined;
  if (rules) {
    if (!Object.hasOwn(s, 'Principal')) malformed(`${where}: Principal is required in a bucket policy`);
    principals = patterns(s.Principal, 'Principal', where, (p) => p !== '', 'a principal');
    checkEach(principals, 'Principal', where, rules.principal);
  }
  if (s.Effect !== 'Allow' && s.Effect !== 'Deny') {
    malformed(`${where}: Effect must be "Allow" or "Deny", got ${s.Effect === undefined ? 'nothing' : JSON.stringify(s.Effect)}`);
  }
  const action = either(s, 'Action', where);
  const actions = patterns(action.raw, action.element, where, (p) => p === '*' || ACTION.test(p), 'of the form <service>:<action>, e.g. oss:GetObject');
  const resource = either(s, 'Resource', where);
  const resources = patterns(resource.raw, resource.element, where, (p) => p === '*' || RESOURCE.test(p), 'of the form acs:<service>:<region>:<account>:<resource>, or *');
  checkEach(actions, action.element, where, rules?.action);
  checkEach(resources, resource.element, where, rules?.resource);
  return {
    deny: s.Effect === 'Deny',
    action: anyOf(actions.map((p) => compileWildcard(p.toLowerCase()))),
    notAction: action.negated,
    resource: anyOf(resources.map(compileWildcard)),
    notResource: resource.negated,
    conditions: s.Condition === undefined ? [] : compileConditions(s.Condition, where),
    ...(principals ? { principals } : {}),
  };
}

/**
 * Parses, validates and compiles a policy document; throws MalformedPolicyDocument naming the
 * fault. With `rules`, a resource policy: Principal required, entries checked by the rules.
 */
export function parsePolicy(text: string, rules?: ResourcePolicyRules): Policy {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    malformed(`it is not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(doc)) malformed('it must be a JSON object with Version and Statement');
  for (const element of Object.keys(doc)) {
    if (element !== 'Version' && element !== 'Statement') malformed(`unknown element ${JSON.stringify(element)}; expected Version and Statement`);
  }
  if (doc.Version !== '1') malformed(`Version must be "1", got ${doc.Version === undefined ? 'nothing' : JSON.stringify(doc.Version)}`);
  if (!Array.isArray(doc.Statement) || doc.Statement.length === 0) malformed('Statement must be a non-empty list of statements');
  return { statements: doc.Statement.map((s, i) => compileStatement(s, `Statement ${i + 1}`, rules)) };
}
