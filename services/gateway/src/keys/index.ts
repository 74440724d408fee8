/**
 * API keys: authentication of /v1, per-key limits, usage, the admin API. What other gateway
 * capabilities use:
 *
 * - `callerOf(req)`: who makes a /v1 request (`keyId` null while /v1 is open). Jobs and batches
 *   belong to `keyId` (another key sees 404); a job's requests add `jobPriority` to their priority.
 * - `RequestAdmission.admit(req, res, { priority, prompt, maxTokens })` before an interactive
 *   completion (priority range, limits, `x-ratelimit-*` headers), then `ticket.finish(usage | null)`.
 *   A stream learns its usage with `meteredChunks(chunks, …)` over chunks asked with
 *   `withUsageChunk(request)` (OpenAI's usage chunk, dropped again unless the client asked for it).
 * - `UsageLedger.record(keyId, { promptTokens, completionTokens, requests })` for what is not
 *   admitted through a ticket (background jobs: not rate-limited per minute, but accounted).
 * - `ApiKeyRepository.webhookSecretOf(keyId)`: the secret a key's job signs its webhook with.
 */
export { callerOf, type Caller } from "./caller.js";
export {
  AdmissionTicket,
  RequestAdmission,
  type CompletionUsage,
  type InteractiveRequest,
} from "./request-admission.js";
export { UsageLedger, type Usage } from "./usage-ledger.js";
export { meteredChunks, withUsageChunk } from "./stream-usage.js";
export { ApiKeyRepository } from "./key-repository.js";
export * from "./key-schemas.js";
export { keysControllers, keysProviders } from "./keys.providers.js";
