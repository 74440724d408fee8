import { SchedulerSubmit, type CompletionJob, type SubmitReply } from "#contracts";
import { NoResponderError, type ContractBus } from "#transport";

export interface SubmitOptions {
  /** How long a submission may wait for the scheduler, a standby's takeover included. */
  withinMs?: number;
  /** How often a submission nobody answered is sent again. */
  retryMs?: number;
}

/**
 * Sends the request to the scheduler. With no scheduler listening (the leader died and a standby
 * has not taken its lease over yet: docs/deploy.md, "Scheduler replicas") it is sent again until
 * one answers or `withinMs` passed; the session id makes a second submission of one request a
 * no-op. Any other failure (a refusal, a timeout) is thrown at once.
 */
export async function submitToScheduler(
  bus: Pick<ContractBus, "request">,
  job: CompletionJob,
  { withinMs = 5000, retryMs = 100 }: SubmitOptions = {},
): Promise<SubmitReply> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await bus.request(SchedulerSubmit, "", job, Math.max(1, deadline - Date.now()));
    } catch (err) {
      if (!(err instanceof NoResponderError) || Date.now() + retryMs >= deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }
}
