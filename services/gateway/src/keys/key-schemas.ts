import { z } from "zod";

/** Requests ask for `priority` in this range (vLLM's extension: lower is served first). */
export const PRIORITY_BOUND = 1000;

const priority = (name: string) =>
  z
    .number({ error: `\`${name}\` must be an integer` })
    .int(`\`${name}\` must be an integer`)
    .min(-PRIORITY_BOUND, `\`${name}\` must be between -${PRIORITY_BOUND} and ${PRIORITY_BOUND}`)
    .max(PRIORITY_BOUND, `\`${name}\` must be between -${PRIORITY_BOUND} and ${PRIORITY_BOUND}`);

const positive = (name: string) =>
  z
    .number({ error: `\`${name}\` must be a positive integer` })
    .int(`\`${name}\` must be a positive integer`)
    .min(1, `\`${name}\` must be at least 1`)
    .max(1_000_000_000, `\`${name}\` must be at most 1000000000`);

/** The `priority` values a key's interactive requests may ask for, both ends included. */
export const priorityRangeSchema = z
  .strictObject({ min: priority("priority_range.min"), max: priority("priority_range.max") })
  .refine((range) => range.min <= range.max, { message: "`priority_range.min` must not exceed `max`" });

/** A key's limits; each one absent is no limit. Per minute as OpenAI's: requests and tokens (prompt + completion). */
export const keyLimitsSchema = z.strictObject({
  requests_per_minute: positive("requests_per_minute").optional(),
  tokens_per_minute: positive("tokens_per_minute").optional(),
  concurrent_requests: positive("concurrent_requests").optional(),
});

/** A key's range when none is given: it cannot jump the queue (operators give their own keys a lower `min`). */
export const DEFAULT_KEY_PRIORITY_RANGE = { min: 0, max: PRIORITY_BOUND } as const;

/** `POST /admin/keys`. */
export const createKeyBodySchema = z.strictObject({
  name: z.string({ error: "`name` is required" }).trim().min(1, "`name` is required").max(100, "`name` is too long"),
  limits: keyLimitsSchema.default({}),
  /** Added to the priority of this key's jobs' requests (lower is served first): a positive value is a lower share. */
  job_priority: priority("job_priority").default(0),
  priority_range: priorityRangeSchema.default(DEFAULT_KEY_PRIORITY_RANGE),
});
export type CreateKeyBody = z.infer<typeof createKeyBodySchema>;

/** `GET /admin/keys/{id}/usage?days=N`: how many days (UTC) back the per-day figures go. */
export const usageQuerySchema = z.strictObject({
  days: z.coerce.number().int().min(1, "`days` must be at least 1").max(366, "`days` must be at most 366").default(31),
});

/** Token counts of one period as OpenAI names them. */
export const usageFiguresSchema = z.object({
  requests: z.number().int(),
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
});

/** A key as the admin API shows it: never its secret (shown once at creation) nor its hash. */
export const keyViewSchema = z.object({
  id: z.string(),
  object: z.literal("api_key"),
  name: z.string(),
  /** The secret's first and last characters, to recognise it. */
  display: z.string(),
  created_at: z.number().int(),
  revoked_at: z.number().int().nullable(),
  limits: keyLimitsSchema,
  job_priority: z.number().int(),
  priority_range: z.object({ min: z.number().int(), max: z.number().int() }),
});

/** `POST /admin/keys`' answer: the key, its secret and its webhook signing secret, this once. */
export const createdKeySchema = keyViewSchema.extend({ secret: z.string(), webhook_secret: z.string() });

export const keyUsageSchema = z.object({
  object: z.literal("api_key.usage"),
  key_id: z.string(),
  total: usageFiguresSchema,
  /** Newest first, days with no usage left out. */
  daily: z.array(usageFiguresSchema.extend({ date: z.string() })),
});

/** `GET /admin/keys`: every key, oldest first. */
export const keyListSchema = z.object({ object: z.literal("list"), data: z.array(keyViewSchema) });

/** `GET /admin/keys/{id}`: the key with its usage. */
export const keyWithUsageSchema = keyViewSchema.extend({ usage: keyUsageSchema });

/** `POST /admin/keys/{id}/webhook-secret`'s answer: the key and its new webhook signing secret, this once. */
export const rotatedWebhookSecretSchema = keyViewSchema.extend({ webhook_secret: z.string() });
