import { Inject, Injectable } from "@nestjs/common";
import type { ClientProxy } from "@nestjs/microservices";
import { FleetSnapshotRequest, type FleetSnapshot, type FleetWorker } from "#contracts";
import type { Logger } from "#logging";
import { sendContract } from "#transport";
import { CONTROL_PLANE, SCHEDULER_LOGGER } from "./tokens.js";

/** The scheduler's copy of the registry's fleet: asked for at boot, then kept by fleet events. */
@Injectable()
export class FleetViewService {
  private snapshot: FleetSnapshot = { at: 0, workers: [] };

  constructor(
    @Inject(CONTROL_PLANE) private readonly controlPlane: ClientProxy,
    @Inject(SCHEDULER_LOGGER) private readonly log: Logger,
  ) {}

  async refresh(): Promise<void> {
    try {
      this.update(await sendContract(this.controlPlane, FleetSnapshotRequest, {}, 3000));
    } catch (err) {
      this.log.warn({ err: String(err) }, "registry did not answer; waiting for fleet events");
    }
  }

  /** Ignores snapshots older than the one held (events may cross a refresh). */
  update(snapshot: FleetSnapshot): boolean {
    if (snapshot.at < this.snapshot.at) return false;
    this.snapshot = snapshot;
    return true;
  }

  workers(): readonly FleetWorker[] {
    return this.snapshot.workers;
  }
}
