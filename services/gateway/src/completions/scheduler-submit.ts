import { SchedulerSubmit, type CompletionJob, type SubmitReply } from "#contracts";
import { NoResponderError, RequestTimeoutError, type ContractBus } from "#transport";

export interface SubmitOptions {
  /** How long a submission may wait for the scheduler, a standby's takeover included. */
  withinMs?: number;
  /** How often a submission nobody answered is sent again. */
  retryMs?: number;
  /** How long one sending waits for its answer before it is sent again. */
  attemptMs?: number;
}

/**
 * Sends the request to the scheduler. With no scheduler listening (the leader died and a standby
 * has not taken its lease over yet: docs/deploy.md, "Scheduler replicas") it is sent again until
 * one answers or `withinMs` passed. So is one left unanswered for `attemptMs`: it may have reached
 * a leader as it died. The session id makes a second submission of one request a no-op, even
 * while the first is being admitted (services/scheduler/test/admission.test.ts). A refusal is
 * thrown at once.
 */
export async function submitToScheduler(
  bus: Pick<ContractBus, "request">,
  job: CompletionJob,
  { withinMs = 5000, retryMs = 100, attemptMs = 2000 }: SubmitOptions = {},
): Promise<SubmitReply> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = deadline - Date.now();
    try {
      return await bus.request(SchedulerSubmit, "", job, Math.max(1, Math.min(attemptMs, left)));
    } catch (err) {
      const unanswered = err instanceof NoResponderError || err instanceof RequestTimeoutError;
      if (!unanswered || Date.now() + retryMs >= deadline) throw err;
      if (err instanceof NoResponderError) await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }
}
