import { Controller } from "@nestjs/common";
import { EventPattern, MessagePattern, Payload } from "@nestjs/microservices";
import {
  FleetChanged,
  SchedulerCancel,
  SchedulerDrafterLeft,
  SchedulerSessionEnded,
  SchedulerStatusRequest,
  SchedulerSubmit,
  type CompletionJob,
  type DrafterLeft,
  type SchedulerStatus,
  type FleetPage,
  type SessionEnded,
  type SubmitReply,
} from "#contracts";
import { SchedulerService } from "./scheduler.service.js";
import { FleetViewService } from "./fleet/fleet-view.service.js";

/**
 * What the scheduler serves; the ContractServer decodes each message against its contract before
 * a handler sees it. Handlers return their promise, so a failure is logged with its subject.
 */
export const SCHEDULER_CONTRACTS = [
  SchedulerSubmit,
  SchedulerCancel,
  SchedulerSessionEnded,
  SchedulerStatusRequest,
  SchedulerDrafterLeft,
  FleetChanged,
];

@Controller()
export class SchedulerController {
  constructor(
    private readonly scheduler: SchedulerService,
    private readonly fleet: FleetViewService,
  ) {}

  @MessagePattern(SchedulerSubmit.subject)
  submit(@Payload() job: CompletionJob): Promise<SubmitReply> {
    return this.scheduler.submit(job);
  }

  @MessagePattern(SchedulerStatusRequest.subject)
  status(): SchedulerStatus {
    return this.scheduler.status();
  }

  @EventPattern(SchedulerCancel.subject)
  cancel(@Payload() message: { sessionId: string }): Promise<void> {
    return this.scheduler.cancel(message.sessionId);
  }

  @EventPattern(SchedulerSessionEnded.subject)
  sessionEnded(@Payload() ended: SessionEnded): Promise<void> {
    return this.scheduler.sessionEnded(ended);
  }

  @EventPattern(SchedulerDrafterLeft.subject)
  drafterLeft(@Payload() left: DrafterLeft): void {
    this.scheduler.drafterLeft(left);
  }

  @EventPattern(FleetChanged.subject)
  async fleetChanged(@Payload() page: FleetPage): Promise<void> {
    if (await this.fleet.updatePage(page)) this.scheduler.fleetChanged();
  }
}
