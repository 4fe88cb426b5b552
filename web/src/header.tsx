/** The header: leader and brake status, connection, navigation and the login. */
import { useState } from "preact/hooks";
import { login, logout, type Session } from "./api";
import { Field } from "./field";
import type { Live } from "./store";

function Login(p: { onDone: (user: string) => void }) {
  const [open, setOpen] = useState(false);
  const [user, setUser] = useState("");
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  if (!open)
    return (
      <button type="button" data-login onClick={() => setOpen(true)}>
        log in
      </button>
    );
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      p.onDone((await login(user, token)).user);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <form class="login" onSubmit={submit}>
      <Field name="user" placeholder="user" value={user} onValue={setUser} />
      <Field name="token" type="password" placeholder="token" value={token} onValue={setToken} />
      <button type="submit">log in</button>
      {error && <span class="error">{error}</span>}
    </form>
  );
}

export function Header(p: { live: Live; session: Session; setUser: (u: string | null) => void }) {
  const s = p.live.status;
  const brake = s?.brake;
  const nav = [
    ["#/", "fleet"],
    ["#/alerts", "alerts"],
    ["#/migrations", "migrations"],
    ["#/audit", "audit"],
  ];
  return (
    <header>
      <strong class="brand">Presage</strong>
      <nav>
        {nav.map(([href, label]) => (
          <a href={href} key={href}>
            {label}
          </a>
        ))}
      </nav>
      <span class="pill" data-leader={s?.leader ? "yes" : "no"}>
        {s ? (s.leader ? `leader ${s.controller}` : `follower ${s.controller}`) : "connecting"} · mode {s?.mode ?? "-"}
      </span>
      {brake && (
        <span class={`pill ${brake.engaged ? "alarm" : "ok"}`} data-brake={brake.engaged ? "engaged" : "free"}>
          brake {brake.engaged ? "ENGAGED" : "free"}: {brake.inRemediation}/{brake.limit} hosts in remediation
          {brake.waiting.length > 0 && `, waiting: ${brake.waiting.join(", ")}`}
        </span>
      )}
      <span class={`pill ${p.live.connected ? "ok" : "alarm"}`} data-live={p.live.connected ? "yes" : "no"}>
        {p.live.connected ? "live" : "reconnecting"}
      </span>
      <span class="spacer" />
      {p.session.user ? (
        <span>
          {p.session.user}{" "}
          <button type="button" onClick={() => logout().then(() => p.setUser(null))}>
            log out
          </button>
        </span>
      ) : p.session.loginEnabled ? (
        <Login onDone={(u) => p.setUser(u)} />
      ) : (
        <span class="muted">read-only (no logins configured)</span>
      )}
    </header>
  );
}
