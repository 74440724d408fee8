import type { DashboardDevice, FleetWorker } from "#contracts";

/** A device's row on the dashboard, from the registry's view of it. */
export function deviceRow(worker: FleetWorker): DashboardDevice {
  const telemetry = worker.telemetry;
  return {
    id: worker.workerId,
    role: worker.role,
    model: worker.model.name,
    deviceClass: worker.deviceClass,
    state: worker.state,
    draining: worker.draining,
    power: telemetry?.power ?? { source: "plugged", level: null },
    activeSessions: telemetry?.activeSessions ?? 0,
    maxSessions: worker.maxSessions,
    threads: worker.threads,
    tokensPerSecond: telemetry?.tokensPerSecond ?? 0,
    acceptance:
      telemetry && telemetry.draftedTokens > 0 ? Math.min(1, telemetry.acceptedTokens / telemetry.draftedTokens) : null,
    meanBatchSize: telemetry?.meanBatchSize ?? 0,
    memoryRssBytes: telemetry?.memoryRssBytes ?? 0,
    profile: worker.profile,
    brokerRttMs: telemetry?.brokerRttMs ?? null,
    startedAt: worker.startedAt,
    lastSeenAt: worker.lastSeenAt,
  };
}

/** A heartbeat alone re-sends a row at most this often (the page shows the age of the last one). */
export const HEARTBEAT_RESEND_MS = 5000;
const MEMORY_STEP_BYTES = 16 * 1024 * 1024;

/**
 * What makes a row worth sending again: any figure an operator reads, but the last heartbeat's
 * time only every HEARTBEAT_RESEND_MS and memory only by 16 MiB steps, so that 2,000 idle
 * devices heartbeating every second do not re-send 2,000 rows a second.
 */
export function rowSignature(row: DashboardDevice): string {
  return JSON.stringify({
    ...row,
    lastSeenAt: Math.floor(row.lastSeenAt / HEARTBEAT_RESEND_MS),
    memoryRssBytes: Math.round(row.memoryRssBytes / MEMORY_STEP_BYTES),
  });
}

export interface DeviceChanges {
  changed: DashboardDevice[];
  removed: string[];
}

/** The rows that changed since the last call (new ones included) and the ids that left. */
export class DeviceDiff {
  private sent = new Map<string, string>();

  diff(rows: readonly DashboardDevice[]): DeviceChanges {
    const next = new Map<string, string>();
    const changed: DashboardDevice[] = [];
    for (const row of rows) {
      const signature = rowSignature(row);
      next.set(row.id, signature);
      if (this.sent.get(row.id) !== signature) changed.push(row);
    }
    const removed = [...this.sent.keys()].filter((id) => !next.has(id));
    this.sent = next;
    return { changed, removed };
  }
}
