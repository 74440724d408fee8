import { Controller } from "@nestjs/common";
import { EventPattern, MessagePattern, Payload } from "@nestjs/microservices";
import {
  FleetDrain,
  FleetLeave,
  FleetRegister,
  FleetSnapshotRequest,
  FleetTelemetry,
  WorkerDraining,
  type FleetPage,
  type PayloadOf,
  type ReplyOf,
  type WorkerRegistration,
  type WorkerTelemetry,
} from "#contracts";
import { FleetRegistryService } from "./fleet-registry.service.js";

/** What the registry serves; the ContractServer decodes each message against its contract before a handler sees it. */
export const REGISTRY_CONTRACTS = [
  FleetRegister,
  FleetTelemetry,
  FleetLeave,
  FleetDrain,
  WorkerDraining,
  FleetSnapshotRequest,
];

@Controller()
export class FleetController {
  constructor(private readonly registry: FleetRegistryService) {}

  @EventPattern(FleetRegister.subject)
  register(@Payload() registration: WorkerRegistration): void {
    this.registry.register(registration);
  }

  @EventPattern(FleetTelemetry.subject)
  telemetry(@Payload() telemetry: WorkerTelemetry): void {
    this.registry.heartbeat(telemetry);
  }

  @EventPattern(FleetLeave.subject)
  leave(@Payload() message: { workerId: string }): void {
    this.registry.leave(message.workerId);
  }

  @MessagePattern(FleetDrain.subject)
  drain(@Payload() request: PayloadOf<typeof FleetDrain>): ReplyOf<typeof FleetDrain> {
    const worker = this.registry.setDraining(request.workerId, request.draining);
    if (!worker)
      return { ok: false, error: { code: "bad_request", message: `no worker '${request.workerId}' is registered` } };
    return { ok: true, workerId: worker.workerId, state: worker.state, draining: worker.draining };
  }

  /** A worker being stopped drains itself (the bus checked it speaks for itself). */
  @MessagePattern(WorkerDraining.subject)
  draining(@Payload() request: PayloadOf<typeof WorkerDraining>): ReplyOf<typeof WorkerDraining> {
    const worker = this.registry.drainSelf(request.workerId);
    if (!worker)
      return { ok: false, error: { code: "not_found", message: `no worker '${request.workerId}' is registered` } };
    return { ok: true, workerId: worker.workerId, state: worker.state, draining: worker.draining };
  }

  @MessagePattern(FleetSnapshotRequest.subject)
  snapshot(@Payload() request: PayloadOf<typeof FleetSnapshotRequest>): FleetPage {
    return this.registry.snapshotPage(request.page, request.epoch === undefined ? undefined : request.seq);
  }
}
