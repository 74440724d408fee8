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
import { contractPipe } from "#transport";
import { DispatcherService } from "./dispatcher.service.js";
import { FleetViewService } from "./fleet-view.service.js";

@Controller()
export class SchedulerController {
  constructor(
    private readonly dispatcher: DispatcherService,
    private readonly fleet: FleetViewService,
  ) {}

  @MessagePattern(SchedulerSubmit.subject)
  submit(@Payload(contractPipe(SchedulerSubmit)) job: CompletionJob): Promise<SubmitReply> {
    return this.dispatcher.submit(job);
  }

  @EventPattern(SchedulerCancel.subject)
  cancel(@Payload(contractPipe(SchedulerCancel)) message: { sessionId: string }): void {
    this.dispatcher.cancel(message.sessionId);
  }

  @EventPattern(SchedulerSessionEnded.subject)
  sessionEnded(@Payload(contractPipe(SchedulerSessionEnded)) ended: SessionEnded): void {
    this.dispatcher.sessionEnded(ended.sessionId);
  }

  @EventPattern(FleetChanged.subject)
  fleetChanged(@Payload(contractPipe(FleetChanged)) page: FleetPage): void {
    if (this.fleet.updatePage(page)) this.dispatcher.fleetChanged();
  }
}
