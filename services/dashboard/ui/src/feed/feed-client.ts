// The one way the page and `specfleet fleet status` follow the stream (it imports types only: no schema code here).
import { applyDashboardDelta, applyDashboardPoint } from "../../../../../libs/contracts/src/dashboard-delta.js";
import type { DashboardDelta, DashboardPoint, DashboardState } from "./contracts.js";
import { fetchMe } from "../api.js";

export type FeedStatus = "connecting" | "live" | "reconnecting" | "unauthorized";

export interface FeedSnapshot {
  state: DashboardState | null;
  status: FeedStatus;
  /** Local clock of the last event, ms. */
  lastEventAt: number | null;
  /** Server clock minus local clock, ms: ages are computed on the server's clock. */
  clockOffsetMs: number;
}

const STREAM_URL = "/dashboard/api/stream";
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 15_000;

/**
 * The page's one connection to the feed (server-sent events): a `state` event, then `delta` and
 * `point` events. On an error it closes the stream and reconnects with exponential backoff
 * (EventSource's own retry would not notice a logout); a reconnect starts with a fresh `state`.
 */
export class FeedClient {
  private snapshot: FeedSnapshot = { state: null, status: "connecting", lastEventAt: null, clockOffsetMs: 0 };
  private readonly listeners = new Set<() => void>();
  private source: EventSource | null = null;
  private retryMs = FIRST_RETRY_MS;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): FeedSnapshot => this.snapshot;

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    this.source?.close();
    this.source = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private open(): void {
    const source = new EventSource(STREAM_URL, { withCredentials: true });
    this.source = source;
    source.addEventListener("state", (event) => {
      const state = parse<DashboardState>(event);
      if (!state) return;
      this.retryMs = FIRST_RETRY_MS;
      this.update(state.at, { state, status: "live" });
    });
    source.addEventListener("delta", (event) => {
      const delta = parse<DashboardDelta>(event);
      const current = this.snapshot.state;
      if (delta && current) this.update(delta.at, { state: applyDashboardDelta(current, delta) });
    });
    source.addEventListener("point", (event) => {
      const point = parse<DashboardPoint>(event);
      const current = this.snapshot.state;
      if (point && current) this.update(point.at, { state: applyDashboardPoint(current, point) });
    });
    source.addEventListener("error", () => this.retry());
  }

  private retry(): void {
    this.source?.close();
    this.source = null;
    if (this.stopped || this.retryTimer) return;
    this.set({ status: "reconnecting" });
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.reopen();
    }, wait);
  }

  /** A stream refused because the session expired looks like any error: ask who we are first. */
  private async reopen(): Promise<void> {
    if (this.stopped) return;
    const me = await fetchMe();
    if (this.stopped) return;
    if (me.kind === "unauthorized") {
      this.set({ status: "unauthorized" });
      return;
    }
    if (me.kind === "unreachable") {
      this.retry();
      return;
    }
    this.open();
  }

  private update(serverAt: number, patch: Partial<FeedSnapshot>): void {
    const now = Date.now();
    this.set({ ...patch, lastEventAt: now, clockOffsetMs: serverAt - now });
  }

  private set(patch: Partial<FeedSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    for (const listener of this.listeners) listener();
  }
}

function parse<T>(event: Event): T | null {
  try {
    return JSON.parse((event as MessageEvent<string>).data) as T;
  } catch {
    return null;
  }
}
