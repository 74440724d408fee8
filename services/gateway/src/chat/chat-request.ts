import { z } from "zod";
import { MAX_PROMPT_JSON_BYTES, promptFitsMessage, promptJsonBytes, type ChatMessage } from "#contracts";
import { completionRequestSchema } from "../completions/completion-request.js";
import { HttpApiError } from "#http";
import { parseRequest } from "../http/parse-request.js";

/** A field SpecFleet does not support: accepted only when absent or at OpenAI's default. */
function unsupported(message: string, isDefault: (value: unknown) => boolean = () => false) {
  return z
    .unknown()
    .refine((value) => value == null || isDefault(value), message)
    .optional();
}

const textPart = z.strictObject({
  type: z.literal("text", "only text content parts are supported (no images, audio or files)"),
  text: z.string({ error: "a text part needs `text`, a string" }),
});

const content = z.union([z.string(), z.array(textPart).min(1, "`content` must not be an empty list")], {
  error: "`content` must be a string or a list of text parts",
});

/** One message of `messages`: roles system, developer (taken as system), user and assistant. */
export const chatMessageRequestSchema = z.strictObject({
  role: z.enum(["system", "developer", "user", "assistant"], {
    error: "`role` must be system, developer, user or assistant (tools are not supported)",
  }),
  content,
  /** Accepted and not rendered: chat templates do not show participant names. */
  name: z.string().optional(),
  refusal: z.null().optional(),
  tool_calls: unsupported("tool calls are not supported", (v) => Array.isArray(v) && v.length === 0),
  function_call: unsupported("function calls are not supported"),
  audio: unsupported("audio is not supported"),
});

const maxTokens = (field: string, limit: number) =>
  z
    .number({ error: `\`${field}\` must be an integer` })
    .int(`\`${field}\` must be an integer`)
    .min(1, `\`${field}\` must be at least 1`)
    .max(limit, `\`${field}\` must be at most ${limit}`)
    .nullish();

/**
 * `POST /v1/chat/completions` in OpenAI's format. The sampling fields, `stop`, `stream`,
 * `stream_options` and `priority` are those of `/v1/completions` (the same schemas); what is not
 * supported (n > 1, logprobs, tools and functions, response formats other than text, audio, …)
 * is refused with a 400 naming the field. Unknown fields are refused too.
 */
export function chatRequestSchema(maxTokensLimit: number) {
  const shared = completionRequestSchema(maxTokensLimit, 1).shape;
  return z.strictObject({
    model: shared.model,
    messages: z
      .array(chatMessageRequestSchema, { error: "`messages` must be a list of messages" })
      .min(1, "`messages` must hold at least one message"),
    /** Preferred over `max_tokens` (OpenAI's deprecated name) when both are given. */
    max_completion_tokens: maxTokens("max_completion_tokens", maxTokensLimit),
    max_tokens: maxTokens("max_tokens", maxTokensLimit),
    temperature: shared.temperature,
    top_p: shared.top_p,
    top_k: shared.top_k,
    seed: shared.seed,
    priority: shared.priority,
    stop: shared.stop,
    stream: shared.stream,
    stream_options: shared.stream_options,
    user: z.string().optional(),
    n: unsupported("only n = 1 is supported", (v) => v === 1),
    logprobs: unsupported("logprobs are not supported", (v) => v === false),
    top_logprobs: unsupported("logprobs are not supported"),
    tools: unsupported("tools (function calling) are not supported", (v) => Array.isArray(v) && v.length === 0),
    tool_choice: unsupported("tools (function calling) are not supported", (v) => v === "none"),
    parallel_tool_calls: z.boolean().nullish(),
    functions: unsupported("functions are not supported", (v) => Array.isArray(v) && v.length === 0),
    function_call: unsupported("functions are not supported", (v) => v === "none"),
    response_format: unsupported(
      "only the text response format is supported",
      (v) => typeof v === "object" && v !== null && (v as { type?: unknown }).type === "text",
    ),
    audio: unsupported("audio output is not supported"),
    modalities: unsupported(
      "only the text modality is supported",
      (v) => Array.isArray(v) && v.length === 1 && v[0] === "text",
    ),
    frequency_penalty: unsupported("frequency_penalty is not supported (only 0)", (v) => v === 0),
    presence_penalty: unsupported("presence_penalty is not supported (only 0)", (v) => v === 0),
    logit_bias: unsupported(
      "logit_bias is not supported",
      (v) => typeof v === "object" && v !== null && Object.keys(v).length === 0,
    ),
    reasoning_effort: unsupported("reasoning_effort is not supported"),
    prediction: unsupported("predicted outputs are not supported"),
    web_search_options: unsupported("web search is not supported"),
    store: unsupported("stored completions are not supported", (v) => v === false),
    metadata: z.record(z.string(), z.string()).nullish(),
    service_tier: z.string().nullish(),
  });
}

/** A chat request, checked, with its messages as the fleet carries them. */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  maxTokens: number;
  temperature: number;
  top_p: number;
  top_k: number;
  seed?: number | null;
  priority: number;
  stop: string[];
  stream: boolean;
  includeUsage: boolean;
}

/** A message as the fleet carries it: developer is system, text parts joined as llama-server joins them. */
function fleetMessage(message: z.infer<typeof chatMessageRequestSchema>): ChatMessage {
  const role = message.role === "developer" ? "system" : message.role;
  if (typeof message.content === "string") return { role, content: message.content };
  // llama.cpp (common/chat.cpp) joins text parts with a newline for templates that take strings.
  let text = "";
  for (const part of message.content) text += (text ? "\n" : "") + part.text;
  return { role, content: text };
}

/** The schema for this limit, built once: building it costs more than parsing a request with it. */
function schemaFor(maxTokensLimit: number): ReturnType<typeof chatRequestSchema> {
  let schema = schemas.get(maxTokensLimit);
  if (!schema) schemas.set(maxTokensLimit, (schema = chatRequestSchema(maxTokensLimit)));
  return schema;
}

const schemas = new Map<number, ReturnType<typeof chatRequestSchema>>();

export function parseChatRequest(
  body: unknown,
  limits: { maxTokens: number; defaultMaxTokens: number; maxPromptChars: number },
): ChatRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw HttpApiError.invalid("the request body must be a JSON object");
  }
  const r = parseRequest(schemaFor(limits.maxTokens), body);
  const messages = r.messages.map(fleetMessage);
  const chars = messages.reduce((sum, m) => sum + m.content.length, 0);
  if (chars > limits.maxPromptChars)
    throw HttpApiError.invalid(`the messages are longer than ${limits.maxPromptChars} characters`, "messages");
  const prompt = { messages };
  if (!promptFitsMessage(prompt))
    throw HttpApiError.invalid(
      `the messages take ${promptJsonBytes(prompt)} bytes once encoded as JSON, more than the ${MAX_PROMPT_JSON_BYTES} the fleet's messages carry`,
      "messages",
    );
  return {
    model: r.model,
    messages,
    maxTokens: r.max_completion_tokens ?? r.max_tokens ?? Math.min(limits.defaultMaxTokens, limits.maxTokens),
    temperature: r.temperature,
    top_p: r.top_p,
    top_k: r.top_k,
    seed: r.seed,
    priority: r.priority,
    stop: r.stop,
    stream: r.stream,
    includeUsage: r.stream_options?.include_usage ?? false,
  };
}
