import { z } from "zod";
import { JOB_ENDPOINTS } from "../jobs/job-request.js";

/** `POST /v1/batches`, as OpenAI's (SpecFleet runs the two endpoints a job runs). */
export const createBatchSchema = z.strictObject({
  input_file_id: z.string({ error: "`input_file_id` is required (a file uploaded with purpose 'batch')" }).min(1),
  endpoint: z.enum(JOB_ENDPOINTS, {
    error: `\`endpoint\` must be one of ${JOB_ENDPOINTS.join(", ")} (the endpoints this fleet serves)`,
  }),
  completion_window: z.literal("24h", { error: "`completion_window` must be '24h'" }),
  /** Up to 16 string pairs kept with the batch (OpenAI's metadata rule). */
  metadata: z
    .record(z.string().max(64), z.string().max(512))
    .refine((m) => Object.keys(m).length <= 16, "at most 16 metadata keys")
    .nullish(),
});
export type CreateBatch = z.infer<typeof createBatchSchema>;

/** `GET /v1/batches`: OpenAI's cursor page. */
export const listBatchesQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  after: z.string().min(1).max(128).optional(),
});
