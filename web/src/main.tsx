/** The dashboard app: header, then the route's view (#/, #/host/<name>, #/alerts, #/migrations, #/audit). */
import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { type Session, session } from "./api";
import { Fleet } from "./fleet";
import { Header } from "./header";
import { HostView } from "./host";
import { Alerts, Audit, Migrations } from "./lists";
import { live, useLive } from "./store";
import "./style.css";

function useRoute(): string {
  const [route, setRoute] = useState(location.hash.slice(1) || "/");
  useEffect(() => {
    const on = () => setRoute(location.hash.slice(1) || "/");
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

function NotLeader(p: { s: Session }) {
  const where = p.s.leaderAt;
  return (
    <main class="follower" data-follower>
      <h2>{p.s.controller} is a follower</h2>
      {where ? (
        <p>
          The leader is {where.name}
          {where.url ? (
            <>
              : <a href={where.url}>{where.url}</a>
            </>
          ) : (
            " (its dashboard address is not known)"
          )}
        </p>
      ) : (
        <p>No leader is known right now; this page reloads in a few seconds.</p>
      )}
    </main>
  );
}

function App(p: { initial: Session }) {
  const [s, setS] = useState(p.initial);
  const l = useLive();
  const route = useRoute();
  if (!s.leader) return <NotLeader s={s} />;
  const canAct = s.user !== null;
  const host = /^\/host\/(.+)$/.exec(route)?.[1];
  return (
    <>
      <Header live={l} session={s} setUser={(user) => setS({ ...s, user })} />
      <main>
        {host ? (
          <HostView host={decodeURIComponent(host)} live={l} canAct={canAct} key={host} />
        ) : route === "/alerts" ? (
          <Alerts live={l} canAct={canAct} />
        ) : route === "/migrations" ? (
          <Migrations live={l} />
        ) : route === "/audit" ? (
          <Audit live={l} />
        ) : (
          <Fleet live={l} />
        )}
      </main>
    </>
  );
}

async function start(): Promise<void> {
  const root = document.getElementById("app") as HTMLElement;
  // the stream and the session at once: a follower's stream says so and ends
  live.connect();
  const s = await session();
  performance.mark("presage:session");
  if (!s.leader) {
    live.close();
    setTimeout(() => location.reload(), 10_000);
  }
  render(<App initial={s} />, root);
}

void start();
