import { Controller } from "@nestjs/common";
import { EventPattern, MessagePattern, Payload } from "@nestjs/microservices";
import {
  FleetChanged,
  SchedulerCancel,
  SchedulerSessionEnded,
  SchedulerSubmit,
  type CompletionJob,
  type FleetPage,
  type SessionEnded,
  type SubmitReply,
} from "#contracts";
import { DispatcherService } from "./dispatcher.service.js";
import { FleetViewService } from "./fleet-view.service.js";

/** What the scheduler serves; the ContractServer decodes each message against its contract before a handler sees it. */
export const SCHEDULER_CONTRACTS = [SchedulerSubmit, SchedulerCancel, SchedulerSessionEnded, FleetChanged];

@Controller()
export class SchedulerController {
  constructor(
    private readonly dispatcher: DispatcherService,
    private readonly fleet: FleetViewService,
  ) {}

  @MessagePattern(SchedulerSubmit.subject)
  submit(@Payload() job: CompletionJob): Promise<SubmitReply> {
    return this.dispatcher.submit(job);
  }

  @EventPattern(SchedulerCancel.subject)
  cancel(@Payload() message: { sessionId: string }): void {
    this.dispatcher.cancel(message.sessionId);
  }

  @EventPattern(SchedulerSessionEnded.subject)
  sessionEnded(@Payload() ended: SessionEnded): void {
    this.dispatcher.sessionEnded(ended.sessionId);
  }

  @EventPattern(FleetChanged.subject)
  fleetChanged(@Payload() page: FleetPage): void {
    if (this.fleet.updatePage(page)) this.dispatcher.fleetChanged();
  }
}
