import { FleetDrain, workerIdSchema } from "#contracts";
import type { ContractBus } from "#transport";
import { HttpApiError } from "./api-error.js";

/**
 * An operator drains a worker (it takes no new sessions and the scheduler moves its sessions
 * elsewhere) or undrains it, through the registry: the one way the gateway's admin API and the
 * dashboard do it, with the same errors (400 bad id, 404 unknown worker, 503 registry silent).
 */
export async function setWorkerDraining(bus: ContractBus, id: string, draining: boolean) {
  if (!workerIdSchema.safeParse(id).success)
    throw HttpApiError.invalid(`'${id}' is not a worker id (letters, digits, '-' or '_')`, "id");
  const reply = await bus.request(FleetDrain, "", { workerId: id, draining }, 3000).catch(() => {
    throw new HttpApiError(503, "the registry is not answering; try again shortly", "service_unavailable");
  });
  if (!reply.ok) throw new HttpApiError(404, reply.error.message, "invalid_request_error", "device_not_found", "id");
  return { id: reply.workerId, state: reply.state, draining: reply.draining };
}
