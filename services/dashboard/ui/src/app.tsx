import { useCallback, useEffect, useState, useSyncExternalStore } from "react";
import { fetchMe, logout } from "./api.js";
import { useNow } from "./components/use-now.js";
import type { DashboardRole, DashboardState } from "./feed/contracts.js";
import { FeedClient } from "./feed/feed-client.js";
import { Header } from "./header.js";
import { LoginForm } from "./login-form.js";
import { useHashTab, type TabId } from "./use-hash-tab.js";
import { ChartsView } from "./views/charts-view.js";
import { FleetView } from "./views/fleet-view.js";
import { PairsView } from "./views/pairs-view.js";
import { SchedulerView } from "./views/scheduler-view.js";
import { SessionsView } from "./views/sessions-view.js";

type Auth =
  | { kind: "checking" }
  | { kind: "login" }
  | { kind: "unreachable" }
  | { kind: "in"; role: DashboardRole; open: boolean };

const RECHECK_MS = 3000;

/** Who is looking (GET /dashboard/api/me): the login form, or the dashboard with its live feed. */
export function App() {
  const [auth, setAuth] = useState<Auth>({ kind: "checking" });

  const check = useCallback(async () => {
    const me = await fetchMe();
    setAuth(
      me.kind === "ok"
        ? { kind: "in", role: me.role, open: me.open }
        : me.kind === "unauthorized"
          ? { kind: "login" }
          : { kind: "unreachable" },
    );
  }, []);

  useEffect(() => {
    void check();
  }, [check]);

  useEffect(() => {
    if (auth.kind !== "unreachable") return;
    const timer = setTimeout(() => void check(), RECHECK_MS);
    return () => clearTimeout(timer);
  }, [auth, check]);

  if (auth.kind === "checking") return <main className="splash muted">Loading…</main>;
  if (auth.kind === "unreachable")
    return <main className="splash muted">The dashboard cannot be reached; retrying…</main>;
  if (auth.kind === "login") return <LoginForm onLoggedIn={() => void check()} />;
  return (
    <Dashboard
      role={auth.role}
      open={auth.open}
      onSignedOut={() => setAuth({ kind: "login" })}
      onLogout={() => void logout().finally(() => setAuth({ kind: "login" }))}
    />
  );
}

function Dashboard(props: { role: DashboardRole; open: boolean; onSignedOut: () => void; onLogout: () => void }) {
  const [feed] = useState(() => new FeedClient());
  useEffect(() => {
    feed.start();
    return () => feed.stop();
  }, [feed]);
  const snapshot = useSyncExternalStore(feed.subscribe, feed.getSnapshot);
  const [tab, setTab] = useHashTab();
  const now = useNow(snapshot.clockOffsetMs);
  const { onSignedOut } = props;

  useEffect(() => {
    if (snapshot.status === "unauthorized") onSignedOut();
  }, [snapshot.status, onSignedOut]);

  const state = snapshot.state;
  // The feed says what this caller may do; until it arrives, the login's answer does.
  const role = state?.role ?? props.role;
  return (
    <div className="app">
      <Header
        state={state}
        status={snapshot.status}
        lastEventAt={snapshot.lastEventAt}
        localNow={now - snapshot.clockOffsetMs}
        role={role}
        tab={tab}
        onTab={setTab}
        onLogout={props.open ? null : props.onLogout}
      />
      <main className="content">
        {state ? (
          <View tab={tab} state={state} role={role} now={now} />
        ) : (
          <div className="splash muted">Connecting to the fleet…</div>
        )}
      </main>
    </div>
  );
}

function View({ tab, state, role, now }: { tab: TabId; state: DashboardState; role: DashboardRole; now: number }) {
  switch (tab) {
    case "fleet":
      return <FleetView devices={state.devices} role={role} now={now} />;
    case "pairs":
      return <PairsView pairs={state.pairs} now={now} />;
    case "sessions":
      return (
        <SessionsView sessions={state.sessions} queue={state.queue} jobs={state.jobs} moves={state.moves} now={now} />
      );
    case "scheduler":
      return <SchedulerView scheduler={state.scheduler} sessions={state.sessions} pairs={state.pairs} now={now} />;
    case "charts":
      return <ChartsView series={state.series} />;
  }
}
