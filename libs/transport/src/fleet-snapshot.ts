import type { ClientProxy } from "@nestjs/microservices";
import { FleetSnapshotRequest, type FleetSnapshot } from "#contracts";
import { sendContract } from "./nest.js";

/** Asks the registry for the whole fleet, a page at a time, all pages from one snapshot. */
export async function fetchFleetSnapshot(client: ClientProxy, timeoutMs: number): Promise<FleetSnapshot> {
  const first = await sendContract(client, FleetSnapshotRequest, { page: 0 }, timeoutMs);
  const workers = [...first.workers];
  for (let page = 1; page < first.pages; page++) {
    const next = await sendContract(client, FleetSnapshotRequest, { page, at: first.at }, timeoutMs);
    workers.push(...next.workers);
  }
  return { at: first.at, workers };
}
