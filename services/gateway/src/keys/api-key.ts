import { z } from "zod";

/** A key's limits inside the gateway; each absent is no limit. */
export interface KeyLimits {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  concurrentRequests?: number;
}

export interface PriorityRange {
  min: number;
  max: number;
}

/** An API key as stored (hash of the secret, never the secret). */
export interface ApiKey {
  id: string;
  name: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  revokedAt: number | null;
  /** SHA-256 of the secret, hex. */
  hash: string;
  display: string;
  limits: KeyLimits;
  jobPriority: number;
  priorityRange: PriorityRange;
  /** Kept in clear: the gateway must sign with it. Shown once at creation or rotation. */
  webhookSecret: string;
}

const int = z.coerce.number().int();
const json = <T extends z.ZodType>(schema: T) =>
  z.string().transform((text, ctx) => {
    try {
      return schema.parse(JSON.parse(text)) as z.infer<T>;
    } catch (err) {
      ctx.addIssue({ code: "custom", message: String(err) });
      return z.NEVER;
    }
  });

/** A key's Redis hash, checked when read (a trust boundary like any other). */
export const storedKeySchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  createdAt: int,
  revokedAt: int.optional(),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  display: z.string(),
  limits: json(
    z.object({
      requestsPerMinute: z.number().int().positive().optional(),
      tokensPerMinute: z.number().int().positive().optional(),
      concurrentRequests: z.number().int().positive().optional(),
    }),
  ),
  jobPriority: int,
  priorityRange: json(z.object({ min: z.number().int(), max: z.number().int() })),
  webhookSecret: z.string().min(1),
});

export function keyFromStored(fields: Record<string, string>): ApiKey | null {
  const parsed = storedKeySchema.safeParse(fields);
  if (!parsed.success) return null;
  return { ...parsed.data, revokedAt: parsed.data.revokedAt ?? null };
}

export function storedFromKey(key: ApiKey): Record<string, string> {
  return {
    id: key.id,
    name: key.name,
    createdAt: String(key.createdAt),
    hash: key.hash,
    display: key.display,
    limits: JSON.stringify(key.limits),
    jobPriority: String(key.jobPriority),
    priorityRange: JSON.stringify(key.priorityRange),
    webhookSecret: key.webhookSecret,
    ...(key.revokedAt === null ? {} : { revokedAt: String(key.revokedAt) }),
  };
}
