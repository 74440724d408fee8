import { z } from "zod";
import type { GatewayConfig } from "#config";
import { parseChatRequest } from "../chat/chat-request.js";
import { parseCompletionRequest } from "../completions/completion-request.js";
import { HttpApiError } from "#http";
import type { JobRequest } from "./job.js";

export const JOB_ENDPOINTS = ["/v1/completions", "/v1/chat/completions"] as const;
export type JobEndpoint = (typeof JOB_ENDPOINTS)[number];

/** `POST /v1/jobs`: a model, its requests (each a completion or a chat request), a priority, metadata, a webhook. */
export function createJobSchema(maxRequests: number) {
  return z.strictObject({
    model: z.string({ error: "`model` is required (see GET /v1/models)" }).min(1),
    requests: z
      .array(z.record(z.string(), z.unknown()), { error: "`requests` must be a list of request objects" })
      .min(1, "`requests` must hold at least one request")
      .max(maxRequests, `a job holds at most ${maxRequests} requests`),
    /** Lower is served first, among jobs and within the fleet's queue (after the key's and the fleet's job offsets). */
    priority: z.number().int("`priority` must be an integer").min(-1000).max(1000).default(0),
    /** Up to 16 string pairs kept with the job (OpenAI's metadata rule). */
    metadata: z
      .record(z.string().max(64), z.string().max(512))
      .refine((m) => Object.keys(m).length <= 16, "at most 16 metadata keys")
      .nullish(),
    webhook: z
      .strictObject({ url: z.url({ protocol: /^https?$/, error: "`webhook.url` must be an http(s) URL" }) })
      .nullish(),
  });
}
export type CreateJob = z.infer<ReturnType<typeof createJobSchema>>;

/**
 * Checks one request of a job as its endpoint would check it on its own (a request with
 * `messages` is a chat request, otherwise a completion), so a job never holds a request the
 * endpoint would refuse. Throws the endpoint's 400 with `param` naming the field.
 */
export class JobRequestValidator {
  constructor(private readonly config: GatewayConfig) {}

  check(endpoint: JobEndpoint, body: Record<string, unknown>): void {
    if (body["stream"] === true) throw HttpApiError.invalid("a job's requests are not streamed", "stream");
    if (endpoint === "/v1/chat/completions")
      parseChatRequest(body, {
        maxTokens: this.config.GATEWAY_MAX_TOKENS,
        defaultMaxTokens: this.config.GATEWAY_MAX_TOKENS,
        maxPromptChars: this.config.GATEWAY_MAX_PROMPT_CHARS,
      });
    else parseCompletionRequest(body, this.config.GATEWAY_MAX_TOKENS, this.config.GATEWAY_MAX_PROMPT_CHARS);
  }

  /** A native job's request: its model is the job's; `custom_id` is kept beside it. */
  jobRequest(model: string, item: Record<string, unknown>, at: number): JobRequest {
    const { custom_id: customId, ...body } = item;
    if (customId !== undefined && (typeof customId !== "string" || customId.length > 512))
      throw HttpApiError.invalid(
        `requests[${at}].custom_id: must be a string of at most 512 characters`,
        `requests.${at}.custom_id`,
      );
    if (body["model"] !== undefined && body["model"] !== model)
      throw HttpApiError.invalid(
        `requests[${at}].model: a job runs one model ('${model}'); leave it out of the requests`,
        `requests.${at}.model`,
      );
    const endpoint: JobEndpoint = "messages" in body ? "/v1/chat/completions" : "/v1/completions";
    const request = { ...body, model };
    try {
      this.check(endpoint, request);
    } catch (err) {
      if (!(err instanceof HttpApiError)) throw err;
      const param = err.param ? `requests.${at}.${err.param}` : `requests.${at}`;
      throw HttpApiError.invalid(`requests[${at}]: ${err.message}`, param, err.code);
    }
    return { customId: (customId as string | undefined) ?? null, endpoint, body: request };
  }
}
