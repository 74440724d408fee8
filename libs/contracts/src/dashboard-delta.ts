import type { DashboardDelta, DashboardPoint, DashboardState } from "./dashboard.js";

/** Moves a feed keeps (the newest). */
export const DASHBOARD_MOVES_KEPT = 500;
/** Chart points a feed keeps: 15 minutes at one a second. */
export const DASHBOARD_POINTS_KEPT = 900;

/**
 * The state after a `delta` event: the one way the web page and `specfleet fleet status` follow
 * the dashboard's stream. Imports types only, so the page's bundle takes no schema code.
 */
export function applyDashboardDelta(state: DashboardState, delta: DashboardDelta): DashboardState {
  let devices = state.devices;
  if (delta.devices?.length || delta.removedDevices?.length) {
    const byId = new Map(devices.map((d) => [d.id, d]));
    for (const id of delta.removedDevices ?? []) byId.delete(id);
    for (const device of delta.devices ?? []) byId.set(device.id, device);
    devices = [...byId.values()];
  }
  const moves = delta.moves?.length ? [...state.moves, ...delta.moves].slice(-DASHBOARD_MOVES_KEPT) : state.moves;
  return {
    ...state,
    at: delta.at,
    devices,
    pairs: delta.pairs ?? state.pairs,
    sessions: delta.sessions ?? state.sessions,
    queue: delta.queue ?? state.queue,
    jobs: delta.jobs ?? state.jobs,
    moves,
    scheduler: delta.scheduler ?? state.scheduler,
  };
}

/** The state after a `point` event (a chart sample). */
export function applyDashboardPoint(state: DashboardState, point: DashboardPoint): DashboardState {
  return { ...state, series: [...state.series, point].slice(-DASHBOARD_POINTS_KEPT) };
}
