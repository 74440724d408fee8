import { z } from "zod";

/**
 * BullMQ queues and their jobs' payloads, declared once: producers and consumers import these.
 * (The scheduler's admission queue keeps its own, `services/scheduler/src/admission/`.)
 */
export interface QueueContract<S extends z.ZodType> {
  /** The BullMQ queue's name. */
  queue: string;
  /** The BullMQ job name within it. */
  name: string;
  schema: S;
}

/** Gateway → gateway: run a job's requests (one BullMQ job per SpecFleet job; its id is the job's). */
export const JobRunQueue: QueueContract<z.ZodObject<{ jobId: z.ZodString }>> = {
  queue: "specfleet-jobs",
  name: "run",
  schema: z.object({ jobId: z.string().min(1).max(96) }),
};

export const webhookDeliverySchema = z.object({
  jobId: z.string(),
  /** Who the job belongs to: the key whose webhook secret signs the body ("anonymous": the fleet's secret). */
  tenant: z.string(),
  url: z.url({ protocol: /^https?$/ }),
  /** The body, exactly as signed and sent. */
  body: z.string(),
  /** The delivery's id, the same on every retry (Standard Webhooks' `webhook-id`). */
  deliveryId: z.string(),
});
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;

/** Gateway → the job's webhook: a finished job, retried with back-off until it is taken (2xx). */
export const WebhookQueue: QueueContract<typeof webhookDeliverySchema> = {
  queue: "specfleet-webhooks",
  name: "deliver",
  schema: webhookDeliverySchema,
};
