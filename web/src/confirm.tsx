/** A confirmation dialog for actions: what will happen (a dry-run preview where there is one), a note, OK. */
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { Field } from "./field";

export type ConfirmProps = {
  title: string;
  children?: ComponentChildren;
  confirmLabel: string;
  /** runs the action with the note; a thrown error is shown in the dialog */
  onConfirm: (note: string) => Promise<unknown>;
  onClose: () => void;
  notePlaceholder?: string;
};

export function Confirm(p: ConfirmProps) {
  const [note, setNote] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const go = async () => {
    setBusy(true);
    setError(null);
    try {
      await p.onConfirm(note);
      p.onClose();
    } catch (e) {
      setError((e as Error).message);
      setBusy(false);
    }
  };
  return (
    <div class="modal-back">
      <div class="modal" role="dialog" aria-label={p.title} data-dialog={p.title}>
        <h3>{p.title}</h3>
        {p.children}
        <label for="confirm-note">note</label>
        <Field
          name="note"
          id="confirm-note"
          value={note}
          placeholder={p.notePlaceholder ?? "why (recorded in the audit trail)"}
          onValue={setNote}
        />
        {error && <p class="error">{error}</p>}
        <div class="buttons">
          <button type="button" onClick={p.onClose} disabled={busy}>
            cancel
          </button>
          <button type="button" class="primary" data-confirm onClick={go} disabled={busy}>
            {p.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
