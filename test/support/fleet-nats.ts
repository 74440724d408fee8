import type { NatsConnection } from "nats";
import { pino } from "pino";
import type { LocalFleet } from "#infra";
import { connectNats, ContractBus, type NatsEndpoint } from "#transport";

const silent = pino({ level: "silent" });

/**
 * A test's own NATS connection to a fleet, as `identity` (default `admin`, which may do anything;
 * a worker's id or a control-plane role to act within its permissions). A refused credential
 * rejects; a connection cut later (a revocation) just closes.
 */
export function connectToFleet(fleet: LocalFleet | NatsEndpoint, identity = "admin"): Promise<NatsConnection> {
  const endpoint = "natsEndpoint" in fleet ? fleet.natsEndpoint(identity) : fleet;
  return connectNats(endpoint, identity, silent, () => undefined);
}

/** A ContractBus speaking as `identity` over a connection of its own. */
export async function fleetBus(fleet: LocalFleet, identity = "admin"): Promise<ContractBus> {
  return new ContractBus(await connectToFleet(fleet, identity), silent, identity);
}
