/** The host's buttons: repaired, maintenance enter (dry-run preview first) and exit, each confirmed. */
import { useState } from "preact/hooks";
import { op } from "./api";
import { Confirm } from "./confirm";
import type { HostSummary, Plan } from "./types";

type Dialog = { kind: "repaired" } | { kind: "enter"; preview: Plan[]; error?: string } | { kind: "exit" };

const REPAIRABLE = new Set(["quarantined", "failed"]);
const CAN_ENTER = new Set(["healthy", "suspect", "degraded"]);

function Preview(p: { plans: Plan[] }) {
  if (!p.plans.length) return <p>Nothing to move.</p>;
  return (
    <div class="preview" data-preview>
      {p.plans.map((pl) => (
        <div key={pl.id}>
          <p>
            dry run: {pl.moves.length} VM(s) move off {pl.host}
            {pl.unplaced?.length ? `, ${pl.unplaced.length} cannot be placed` : ""}
          </p>
          <ul>
            {pl.moves.map((m) => (
              <li key={m.vm}>
                {m.vm}: {m.from} → {m.to}
              </li>
            ))}
            {pl.unplaced?.map((u) => (
              <li key={u.vm} class="bad">
                {u.vm}: {u.reason}
              </li>
            ))}
          </ul>
          {pl.details?.map((d) => (
            <p class="muted" key={d}>
              {d}
            </p>
          ))}
        </div>
      ))}
    </div>
  );
}

export function HostActions(p: { host: HostSummary; canAct: boolean; onDone: () => void }) {
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [error, setError] = useState<string | null>(null);
  const h = p.host;
  if (!p.canAct) return <p class="muted">log in to act on this host</p>;
  const preview = async () => {
    setError(null);
    try {
      const r = await op<{ plans: Plan[] }>("maintenance-enter", { hosts: [h.host], dryRun: true });
      setDialog({ kind: "enter", preview: r.plans });
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const close = () => {
    setDialog(null);
    p.onDone();
  };
  return (
    <div class="actions">
      {REPAIRABLE.has(h.state) && (
        <button type="button" data-action="repaired" onClick={() => setDialog({ kind: "repaired" })}>
          mark repaired
        </button>
      )}
      {CAN_ENTER.has(h.state) && (
        <button type="button" data-action="maintenance-enter" onClick={preview}>
          enter maintenance…
        </button>
      )}
      {h.state === "maintenance" && (
        <button type="button" data-action="maintenance-exit" onClick={() => setDialog({ kind: "exit" })}>
          exit maintenance
        </button>
      )}
      {error && <span class="error">{error}</span>}
      {dialog?.kind === "repaired" && (
        <Confirm
          title={`Mark ${h.host} repaired`}
          confirmLabel="mark repaired"
          notePlaceholder="what was fixed"
          onClose={close}
          onConfirm={(note) => op("repaired", { host: h.host, ...(note ? { note } : {}) })}
        >
          <p>Its VMs move back once its agent reports healthy and the grace period has passed.</p>
        </Confirm>
      )}
      {dialog?.kind === "enter" && (
        <Confirm
          title={`Put ${h.host} into maintenance`}
          confirmLabel="enter maintenance"
          notePlaceholder="reason"
          onClose={close}
          onConfirm={(note) => op("maintenance-enter", { hosts: [h.host], ...(note ? { reason: note } : {}) })}
        >
          <Preview plans={dialog.preview} />
        </Confirm>
      )}
      {dialog?.kind === "exit" && (
        <Confirm
          title={`End maintenance on ${h.host}`}
          confirmLabel="exit maintenance"
          onClose={close}
          onConfirm={(note) => op("maintenance-exit", { hosts: [h.host], ...(note ? { note } : {}) })}
        >
          <p>The host takes VMs again; its own VMs return.</p>
        </Confirm>
      )}
    </div>
  );
}
