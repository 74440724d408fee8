import { createHmac, randomUUID } from "node:crypto";
import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { WebhookQueue, type WebhookDelivery } from "#contracts";
import type { Logger } from "#logging";
import { ANONYMOUS, type Tenant } from "./job.js";

/** Where a tenant's signing secret comes from: its API key's, or the fleet's for anonymous jobs. */
export type SecretOf = (tenant: Tenant) => Promise<string | null>;

/** Deliveries tried at most (about 4.5 hours with the back-off below). */
const ATTEMPTS = 15;
const TIMEOUT_MS = 10_000;

/**
 * Tells a job's webhook that the job finished: a POST of the job's JSON, signed as Standard
 * Webhooks sign (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "id.timestamp.body">`), from a BullMQ queue that retries a failed delivery with exponential
 * back-off. The job itself never waits for it.
 */
export class WebhookSender {
  private readonly queue: Queue;
  private worker: Worker | null = null;

  constructor(
    private readonly connection: Redis,
    private readonly secretOf: SecretOf,
    private readonly fleetSecret: string | undefined,
    private readonly log: Logger,
  ) {
    this.queue = new Queue(WebhookQueue.queue, { connection });
  }

  start(): void {
    this.worker = new Worker(WebhookQueue.queue, (job) => this.deliver(job), {
      connection: this.connection,
      concurrency: 8,
    });
    this.worker.on("failed", (job, err) =>
      this.log.warn(
        { jobId: job?.data?.jobId, attempt: job?.attemptsMade, err: err.message },
        "webhook delivery failed",
      ),
    );
  }

  async enqueue(delivery: Omit<WebhookDelivery, "deliveryId">): Promise<void> {
    const deliveryId = `wh_${randomUUID().replace(/-/g, "")}`;
    await this.queue.add(
      WebhookQueue.name,
      { ...delivery, deliveryId },
      {
        // One delivery per finished job, even if the job is finalised twice.
        jobId: `${delivery.jobId}-done`,
        attempts: ATTEMPTS,
        backoff: { type: "exponential", delay: 2000 },
        removeOnComplete: 1000,
        removeOnFail: 1000,
      },
    );
  }

  private async deliver(job: Job): Promise<void> {
    const parsed = WebhookQueue.schema.safeParse(job.data);
    if (!parsed.success) {
      this.log.error({ bullJobId: job.id }, "dropping an unreadable webhook delivery");
      return;
    }
    const delivery = parsed.data;
    const secret = await this.secretFor(delivery.tenant);
    if (secret === null) {
      this.log.warn(
        { jobId: delivery.jobId },
        "webhook not sent: no secret to sign it (the key is gone, or JOBS_WEBHOOK_SECRET unset)",
      );
      return;
    }
    const timestamp = Math.floor(Date.now() / 1000);
    const response = await fetch(delivery.url, {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "User-Agent": "SpecFleet-Webhooks/1",
        ...signatureHeaders(secret, delivery.deliveryId, timestamp, delivery.body),
      },
      body: delivery.body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: "manual",
    });
    if (response.status < 200 || response.status >= 300)
      throw new Error(`the webhook answered ${response.status} (expected 2xx)`);
    this.log.info({ jobId: delivery.jobId, attempt: job.attemptsMade + 1 }, "webhook delivered");
  }

  private async secretFor(tenant: Tenant): Promise<string | null> {
    return tenant === ANONYMOUS ? (this.fleetSecret ?? null) : this.secretOf(tenant);
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }
}

/** Standard Webhooks' headers for a body (https://www.standardwebhooks.com). */
export function signatureHeaders(secret: string, id: string, timestamp: number, body: string): Record<string, string> {
  const signature = createHmac("sha256", secret).update(`${id}.${timestamp}.${body}`).digest("base64");
  return { "webhook-id": id, "webhook-timestamp": String(timestamp), "webhook-signature": `v1,${signature}` };
}
