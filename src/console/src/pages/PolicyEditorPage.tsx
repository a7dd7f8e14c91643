/** A policy document in a JSON editor that checks it before saving: a new custom policy, or a new default version of one. */
import { useEffect, useId, useState } from 'react';
import { api, seg } from '../api';
import { PolicyDocumentField } from '../components/PolicyDocumentField';
import { ErrorNotice, Loading, PageHeader, useAction, useLoad } from '../components/ui';
import { POLICY_TEMPLATE, policyProblems } from '../lib/policy';
import { navigate } from '../router';

export function PolicyEditorPage({ policyType, policyName }: { policyType?: string; policyName?: string }) {
  const id = useId();
  const existing = policyName !== undefined;
  const editable = !existing || policyType === 'Custom';
  const loaded = useLoad(
    () => (existing ? api<{ document: string; policy: { description?: string } }>('GET', `/api/ram/policies/${seg(policyType!)}/${seg(policyName!)}`) : Promise.resolve(null)),
    [policyType, policyName],
  );
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [text, setText] = useState(existing ? '' : POLICY_TEMPLATE);
  // null: not checked since the last edit.
  const [problems, setProblems] = useState<string[] | null>(null);
  const save = useAction();

  useEffect(() => {
    if (!loaded.data) return;
    // Shown formatted; RAM stores the text as given.
    let doc = loaded.data.document;
    try {
      doc = JSON.stringify(JSON.parse(doc), null, 2);
    } catch {
      // An unparsable stored document is shown as it is.
    }
    setText(doc);
    setDescription(loaded.data.policy.description ?? '');
  }, [loaded.data]);

  const submit = (): void => {
    const found = policyProblems(text);
    setProblems(found);
    if (found.length) return;
    void save.run(async () => {
      if (existing) await api('PUT', `/api/ram/policies/Custom/${seg(policyName!)}`, { policyDocument: text, setAsDefault: true });
      else await api('POST', '/api/ram/policies', { policyName: name, description, policyDocument: text });
      navigate('/ram/policies');
    });
  };

  return (
    <section>
      <PageHeader title={existing ? <>Policy <code>{policyName}</code> ({policyType})</> : 'Create Policy'} />
      <ErrorNotice error={loaded.error} title="The policy could not be read" />
      {loaded.loading && existing && <Loading what="the policy" />}
      <form onSubmit={(e) => { e.preventDefault(); submit(); }} className="policy-form">
        {!existing && (
          <>
            <div className="field">
              <label htmlFor={`${id}-name`}>Policy name</label>
              <input id={`${id}-name`} value={name} onChange={(e) => setName(e.target.value)} required autoFocus />
            </div>
            <div className="field">
              <label htmlFor={`${id}-desc`}>Description</label>
              <input id={`${id}-desc`} value={description} onChange={(e) => setDescription(e.target.value)} />
            </div>
          </>
        )}
        {existing && description && <p>{description}</p>}
        <PolicyDocumentField id={id} text={text} readOnly={!editable} problems={problems} onChange={(t) => { setText(t); setProblems(null); }} />
        <ErrorNotice error={save.error} title="The policy was not saved" />
        <div className="form-actions">
          {editable && <button type="submit" className="primary" disabled={save.busy}>{existing ? 'Save as new default version' : 'Create policy'}</button>}
          <button type="button" onClick={() => setProblems(policyProblems(text))}>Check</button>
          <button type="button" onClick={() => navigate('/ram/policies')}>Back</button>
        </div>
        <p className="hint">{editable ? 'The document is checked (JSON, Version, Statement with Effect, Action, Resource) before it is saved.' : 'System policies are read-only.'}</p>
      </form>
    </section>
  );
}
