import { Controller, Inject } from "@nestjs/common";
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
import type { Leadership } from "./leadership/leadership.js";
import { LEADERSHIP } from "./tokens.js";

/**
 * What the scheduler serves; the ContractServer decodes each message against its contract before
 * a handler sees it. Handlers return their promise, so a failure is logged with its subject.
 * Only the leader serves (a standby has not subscribed yet); each handler first makes sure the
 * lease is still this replica's (at once while the last renewal is recent), so a deposed leader
 * that still receives acts on nothing.
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
    @Inject(LEADERSHIP) private readonly leadership: Leadership,
  ) {}

  /**
   * A queued request is in the BullMQ queue, which a newer leader reads only when it takes over:
   * the lease is confirmed in Redis after the request was added and before it is acknowledged, so
   * an acknowledged request is one the current leader finds. (A placed one was written fenced.)
   */
  @MessagePattern(SchedulerSubmit.subject)
  async submit(@Payload() job: CompletionJob): Promise<SubmitReply> {
    await this.leadership.ensure();
    const reply = await this.scheduler.submit(job);
    if (reply.ok && reply.queued) await this.leadership.confirm();
    return reply;
  }

  @MessagePattern(SchedulerStatusRequest.subject)
  status(): SchedulerStatus {
    return this.scheduler.status();
  }

  @EventPattern(SchedulerCancel.subject)
  async cancel(@Payload() message: { sessionId: string }): Promise<void> {
    await this.leadership.ensure();
    return this.scheduler.cancel(message.sessionId);
  }

  @EventPattern(SchedulerSessionEnded.subject)
  async sessionEnded(@Payload() ended: SessionEnded): Promise<void> {
    await this.leadership.ensure();
    return this.scheduler.sessionEnded(ended);
  }

  @EventPattern(SchedulerDrafterLeft.subject)
  async drafterLeft(@Payload() left: DrafterLeft): Promise<void> {
    await this.leadership.ensure();
    this.scheduler.drafterLeft(left);
  }

  @EventPattern(FleetChanged.subject)
  async fleetChanged(@Payload() page: FleetPage): Promise<void> {
    if (await this.fleet.updatePage(page)) this.scheduler.fleetChanged();
  }
}
