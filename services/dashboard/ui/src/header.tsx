import { age } from "./components/format.js";
import { countByState, WORKER_STATES } from "./views/device-filter.js";
import type { DashboardRole, DashboardState } from "./feed/contracts.js";
import type { FeedStatus } from "./feed/feed-client.js";
import { TABS, type TabId } from "./use-hash-tab.js";

interface Props {
  state: DashboardState | null;
  status: FeedStatus;
  lastEventAt: number | null;
  localNow: number;
  role: DashboardRole;
  tab: TabId;
  onTab: (tab: TabId) => void;
  /** Null when the dashboard has no tokens: there is no login to end. */
  onLogout: (() => void) | null;
}

/** The fleet's name, whether the page is live, the counts an operator glances at, and the tabs. */
export function Header({ state, status, lastEventAt, localNow, role, tab, onTab, onLogout }: Props) {
  const counts = state ? countByState(state.devices) : null;
  const since = lastEventAt == null ? null : localNow - lastEventAt;
  const live = status === "live";
  return (
    <header className="header">
      <div className="header-top">
        <div className="brand">
          <span className="logo">◆</span> SpecFleet <span className="muted">{window.location.host}</span>
        </div>
        <div
          className={`live ${live ? (since != null && since > 5000 ? "stale" : "on") : "off"}`}
          data-testid="live-indicator"
        >
          <span className="dot" />
          {live
            ? "live"
            : status === "connecting"
              ? "connecting…"
              : status === "reconnecting"
                ? "reconnecting…"
                : "signed out"}
          {since != null && <span className="muted"> · {age(since)} since last event</span>}
        </div>
        {counts && state && (
          <div className="counts" data-testid="header-counts">
            <span>{state.devices.length} devices</span>
            {WORKER_STATES.map((s) => (
              <span key={s} className={`count-pill state-${s}`} title={`${counts[s]} ${s}`}>
                {counts[s]} {s}
              </span>
            ))}
            <span>{state.sessions.length} sessions</span>
            <span>{state.queue.length} waiting</span>
          </div>
        )}
        <div className="who">
          <span className="muted">{role}</span>
          {onLogout && (
            <button type="button" className="link" onClick={onLogout}>
              log out
            </button>
          )}
        </div>
      </div>
      <nav className="tabs" role="tablist">
        {TABS.map((t) => (
          <a
            key={t.id}
            href={`#${t.id}`}
            role="tab"
            aria-selected={tab === t.id}
            className={tab === t.id ? "tab active" : "tab"}
            data-testid={`tab-${t.id}`}
            onClick={(e) => {
              e.preventDefault();
              onTab(t.id);
            }}
          >
            {t.label}
          </a>
        ))}
      </nav>
    </header>
  );
}
