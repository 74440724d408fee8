import type { CompletionJob } from "#contracts";
import type { WaitingRequest } from "#placement";

/** A request waiting for a pair; `resume`: a running session whose verifier died or is being drained. */
export interface Waiting extends WaitingRequest {
  job: CompletionJob;
}

export function waitingFor(job: CompletionJob, resume: boolean, since: number): Waiting {
  return {
    job,
    model: job.model,
    maxTokens: job.maxTokens,
    priority: job.priority,
    resume,
    arrivedAt: job.submittedAt,
    since,
  };
}
