import { FleetSnapshotRequest, type FleetSnapshot } from "#contracts";
import type { ContractBus } from "./bus.js";

/** Asks the registry for the whole fleet, a page at a time, all pages from one snapshot. */
export async function fetchFleetSnapshot(bus: ContractBus, timeoutMs: number): Promise<FleetSnapshot> {
  const first = await bus.request(FleetSnapshotRequest, "", { page: 0 }, timeoutMs);
  const workers = [...first.workers];
  for (let page = 1; page < first.pages; page++) {
    const next = await bus.request(FleetSnapshotRequest, "", { page, epoch: first.epoch, seq: first.seq }, timeoutMs);
    workers.push(...next.workers);
  }
  return { epoch: first.epoch, seq: first.seq, at: first.at, workers };
}
