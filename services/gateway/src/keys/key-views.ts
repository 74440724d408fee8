import type { z } from "zod";
import type { ApiKey, KeyLimits } from "./api-key.js";
import type { createdKeySchema, keyLimitsSchema, keyUsageSchema, keyViewSchema } from "./key-schemas.js";
import type { KeyUsage, Usage } from "./usage-ledger.js";

/** A key as the admin API shows it (no secret, no hash). */
export function keyView(key: ApiKey): z.infer<typeof keyViewSchema> {
  return {
    id: key.id,
    object: "api_key",
    name: key.name,
    display: key.display,
    created_at: Math.floor(key.createdAt / 1000),
    revoked_at: key.revokedAt === null ? null : Math.floor(key.revokedAt / 1000),
    limits: limitsView(key.limits),
    job_priority: key.jobPriority,
    priority_range: key.priorityRange,
  };
}

export function createdKeyView(key: ApiKey, secret: string): z.infer<typeof createdKeySchema> {
  return { ...keyView(key), secret, webhook_secret: key.webhookSecret };
}

export function limitsView(limits: KeyLimits): z.infer<typeof keyLimitsSchema> {
  return {
    ...(limits.requestsPerMinute ? { requests_per_minute: limits.requestsPerMinute } : {}),
    ...(limits.tokensPerMinute ? { tokens_per_minute: limits.tokensPerMinute } : {}),
    ...(limits.concurrentRequests ? { concurrent_requests: limits.concurrentRequests } : {}),
  };
}

export function limitsFromBody(limits: z.infer<typeof keyLimitsSchema>): KeyLimits {
  return {
    ...(limits.requests_per_minute ? { requestsPerMinute: limits.requests_per_minute } : {}),
    ...(limits.tokens_per_minute ? { tokensPerMinute: limits.tokens_per_minute } : {}),
    ...(limits.concurrent_requests ? { concurrentRequests: limits.concurrent_requests } : {}),
  };
}

export function usageView(keyId: string, usage: KeyUsage): z.infer<typeof keyUsageSchema> {
  return {
    object: "api_key.usage",
    key_id: keyId,
    total: figures(usage.total),
    daily: usage.daily.map((day) => ({ date: day.date, ...figures(day) })),
  };
}

function figures(usage: Usage) {
  return {
    requests: usage.requests,
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.promptTokens + usage.completionTokens,
  };
}
