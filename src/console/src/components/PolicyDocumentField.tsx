/** A policy document's JSON editor and what its check found: the RAM policy and bucket policy editors share it. */
export function PolicyDocumentField({ id, text, readOnly = false, problems, onChange }: {
  id: string;
  text: string;
  readOnly?: boolean;
  /** null: not checked since the last edit. */
  problems: string[] | null;
  onChange: (text: string) => void;
}) {
  return (
    <>
      <div className="field">
        <label htmlFor={`${id}-doc`}>Policy document (JSON)</label>
        <textarea
          id={`${id}-doc`} className="code" rows={18} spellCheck={false} value={text} readOnly={readOnly}
          onChange={(e) => onChange(e.target.value)} aria-invalid={!!problems?.length} aria-describedby={`${id}-problems`}
        />
      </div>
      <div id={`${id}-problems`}>
        {problems?.length === 0 && <p className="notice info" role="status">The document is valid.</p>}
        {!!problems?.length && (
          <div className="notice error" role="alert">
            <strong className="notice-title">The document cannot be saved yet</strong>
            <ul>{problems.map((p) => <li key={p}>{p}</li>)}</ul>
          </div>
        )}
      </div>
    </>
  );
}
