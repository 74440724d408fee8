import type { DashboardDevice, WorkerState } from "../feed/contracts.js";

export interface FleetFilter {
  role: "" | DashboardDevice["role"];
  state: "" | WorkerState;
  model: string;
  /** Matched case-insensitively against id, model and device class. */
  search: string;
}

export const NO_FILTER: FleetFilter = { role: "", state: "", model: "", search: "" };

export function filterDevices(devices: DashboardDevice[], filter: FleetFilter): DashboardDevice[] {
  const needle = filter.search.trim().toLowerCase();
  if (!filter.role && !filter.state && !filter.model && !needle) return devices;
  return devices.filter(
    (d) =>
      (!filter.role || d.role === filter.role) &&
      (!filter.state || d.state === filter.state) &&
      (!filter.model || d.model === filter.model) &&
      (!needle ||
        d.id.toLowerCase().includes(needle) ||
        d.model.toLowerCase().includes(needle) ||
        d.deviceClass.toLowerCase().includes(needle)),
  );
}

export const WORKER_STATES: WorkerState[] = ["ready", "degraded", "draining", "lost"];

export function countByState(devices: DashboardDevice[]): Record<WorkerState, number> {
  const counts: Record<WorkerState, number> = { ready: 0, degraded: 0, draining: 0, lost: 0 };
  for (const device of devices) counts[device.state]++;
  return counts;
}

/** A device's self-measured speed in a few characters: drafters ms/token, verifiers ms per pass by window. */
export function profileText(device: DashboardDevice): string {
  const { draftMsPerToken, verifyMsByWindow } = device.profile;
  const parts: string[] = [];
  if (draftMsPerToken != null) parts.push(`${draftMsPerToken.toFixed(1)} ms/tok`);
  if (verifyMsByWindow?.length) {
    parts.push(
      verifyMsByWindow.map((p) => `γ${p.window} ${p.ms < 10 ? p.ms.toFixed(1) : Math.round(p.ms)}`).join(" · "),
    );
  }
  return parts.join(" ") || "–";
}

/** What the device's speed column sorts by: its draft ms/token, or its verify ms at the smallest window. */
export function profileSortValue(device: DashboardDevice): number | null {
  const { draftMsPerToken, verifyMsByWindow } = device.profile;
  return draftMsPerToken ?? verifyMsByWindow?.[0]?.ms ?? null;
}
