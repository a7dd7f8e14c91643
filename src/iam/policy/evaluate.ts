/**
 * Evaluation of the policies in force for a principal: default deny, any Allow grants, an
 * explicit Deny beats every Allow. The statements that cover an action are worked out once per
 * action name and remembered, so a request tests only their resources and conditions.
 */
import type { ConditionValues, Decision, Permissions } from '../../common/caller';
import type { CompiledStatement, Policy } from './document';

export class PolicySet implements Permissions {
  private readonly statements: readonly CompiledStatement[];
  private readonly byAction = new Map<string, readonly CompiledStatement[]>();
  private readonly conditionKeys: readonly string[];

  constructor(policies: readonly Policy[]) {
    this.statements = policies.flatMap((p) => p.statements);
    this.conditionKeys = [...new Set(this.statements.flatMap((s) => s.conditions.map((c) => c.key)))];
  }

  /** Whether a condition reads a key starting with `prefix` (lower-case), so its values are worth fetching. */
  readsKeys(prefix: string): boolean {
    return this.conditionKeys.some((k) => k.startsWith(prefix));
  }

  private covering(action: string): readonly CompiledStatement[] {
    let found = this.byAction.get(action);
    if (!found) {
      const lower = action.toLowerCase();
      found = this.statements.filter((s) => s.action(lower) !== s.notAction);
      // Action names come from the server's own operation tables, so this stays small.
      this.byAction.set(action, found);
    }
    return found;
  }

  evaluate(action: string, resource: string, values: ConditionValues): Decision {
    let decision: Decision = null;
    for (const s of this.covering(action)) {
      if (s.resource(resource) === s.notResource) continue;
      if (!s.conditions.every((c) => c.holds(values))) continue;
      if (s.deny) return 'Deny';
      decision = 'Allow';
    }
    return decision;
  }
}
