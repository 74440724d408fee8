import { z } from "zod";
import { eventContract, requestContract, type PayloadCodec } from "./contract.js";
import { modelDescriptorSchema, powerStateSchema } from "./fleet.js";
import { sessionEventCodec, verifyReplyCodec, verifyRoundCodec } from "./session-codecs.js";
import {
  distributionSchema,
  MAX_DRAFT_TOKENS,
  positionSchema,
  samplingSchema,
  remoteErrorSchema,
  sessionIdSchema,
  tokenSchema,
  tokenEventsSchema,
  tokensSchema,
  workerIdSchema,
} from "./common.js";

const okReply = z.object({ ok: z.literal(true) });
const errorReply = z.object({ ok: z.literal(false), error: remoteErrorSchema });

/**
 * The largest prompt a message may carry, in bytes of its JSON encoding (a control character
 * takes six: `\u0001`). NATS refuses a message over its max_payload (1 MiB by default); the other
 * fields of an open or a submit take a few hundred bytes.
 */
export const MAX_PROMPT_JSON_BYTES = 900_000;

/**
 * Most token ids a prompt given as ids may hold. The byte bound below still applies: ids of a
 * large vocabulary take up to 7 bytes each as JSON, so a prompt near this count fits both.
 */
export const MAX_PROMPT_TOKENS = 128 * 1024;

/**
 * One message of a chat prompt (`/v1/chat/completions`; the gateway maps `developer` to system and
 * joins text parts). The verifier renders the messages with its model's chat template.
 */
export const chatMessageSchema = z.object({
  role: z.enum(["system", "user", "assistant"]),
  content: z.string(),
});
export type ChatMessage = z.infer<typeof chatMessageSchema>;

/**
 * A prompt as control-plane messages carry it: text, which the verifier tokenizes exactly as
 * llama.cpp's llama-server does (libs/llama `promptTokensOf`), or token ids taken as given
 * (checked against the vocabulary by the verifier). Bounded so that the message fits NATS.
 */
const promptForms = z.union([
  z.string() /* text, tokenized as llama-server does */,
  z.object({ tokens: z.array(tokenSchema).min(1).max(MAX_PROMPT_TOKENS) }) /* ids as given */,
  z.object({ messages: z.array(chatMessageSchema).min(1) }) /* a chat, rendered with the model's template */,
]);
export type Prompt = z.infer<typeof promptForms>;
export const promptSchema = promptForms.refine(
  promptFitsMessage,
  `the prompt takes more than ${MAX_PROMPT_JSON_BYTES} bytes as JSON`,
);

/** How many bytes `prompt` takes inside a JSON message, its quotes included. */
export function promptJsonBytes(prompt: Prompt): number {
  return Buffer.byteLength(JSON.stringify(prompt), "utf8");
}

/** Whether `prompt` is within MAX_PROMPT_JSON_BYTES. */
export function promptFitsMessage(prompt: Prompt): boolean {
  if (typeof prompt !== "string") return promptJsonBytes(prompt) <= MAX_PROMPT_JSON_BYTES;
  // Each UTF-16 unit takes 1 to 6 bytes as JSON: most prompts are decided without encoding them.
  if (prompt.length * 6 + 2 <= MAX_PROMPT_JSON_BYTES) return true;
  if (prompt.length + 2 > MAX_PROMPT_JSON_BYTES) return false;
  return promptJsonBytes(prompt) <= MAX_PROMPT_JSON_BYTES;
}

/**
 * Scheduler → verifier: take a session, tokenize its prompt and journal it; or, with `resume`,
 * take over a session another verifier journalled (it died, or is being drained) and go on from
 * its last committed token. v3: the prompt may be token ids.
 */
export const VerifierOpen = requestContract(
  "specfleet.verifier.{id}.open",
  3,
  z.object({
    sessionId: sessionIdSchema,
    prompt: promptSchema,
    maxTokens: z.number().int().positive(),
    sampling: samplingSchema,
    drafterId: workerIdSchema.nullable(),
    resume: z.boolean().optional(),
    /** The model the drafter registered (the verifier audits its q with it when it holds that model). */
    drafterModel: modelDescriptorSchema.optional(),
    /** How the session's tokens events are sent (the client's request); absent from older schedulers: each round's. */
    tokenEvents: tokenEventsSchema.optional(),
  }),
  z.discriminatedUnion("ok", [
    okReply.extend({
      promptTokens: tokensSchema,
      /** Tokens generated before this verifier took the session over (resume); else empty. */
      generatedTokens: tokensSchema,
      position: positionSchema,
      finished: z.boolean(),
    }),
    errorReply,
  ]),
);

/** Scheduler → verifier: a session decoding alone takes this drafter from now on. */
export const VerifierAttach = requestContract(
  "specfleet.verifier.{id}.attach",
  1,
  z.object({
    sessionId: sessionIdSchema,
    drafterId: workerIdSchema,
    /** The model the drafter registered (the verifier audits its q with it when it holds that model). */
    drafterModel: modelDescriptorSchema.optional(),
  }),
  z.discriminatedUnion("ok", [
    okReply.extend({
      committedTokens: tokensSchema,
      /** The tokens the session may still generate after `committedTokens`. */
      maxTokens: z.number().int().nonnegative(),
      sampling: samplingSchema,
    }),
    errorReply,
  ]),
);

/**
 * Scheduler → verifier: let go of a session so another verifier can resume it (drain): it is
 * stopped without an end event, its journal kept. Idempotent.
 */
export const VerifierRelease = requestContract(
  "specfleet.verifier.{id}.release",
  1,
  z.object({ sessionId: sessionIdSchema, reason: z.string() }),
  z.object({ released: z.boolean(), position: positionSchema.nullable() }),
);

/** Scheduler → drafter: follow a session whose verifier has already opened it. */
export const DrafterOpen = requestContract(
  "specfleet.drafter.{id}.open",
  2,
  z.object({
    sessionId: sessionIdSchema,
    verifierId: workerIdSchema,
    committedTokens: tokensSchema.min(1),
    /** The most tokens the session may still generate after `committedTokens`. */
    maxTokens: z.number().int().positive(),
    sampling: samplingSchema,
    window: z.number().int().min(0).max(64).nullable(),
    /** The verifier's own speeds (its registered profile): a prior for window control. */
    verifierProfile: z
      .array(z.object({ window: z.number().int().nonnegative(), ms: z.number().nonnegative() }))
      .max(32)
      .optional(),
  }),
  z.discriminatedUnion("ok", [okReply, errorReply]),
);

/**
 * Scheduler → verifier: cancel a session (its client is gone, or the scheduler or an operator
 * decided so); the verifier ends it with an `end` event (`cancelled`) its client sees at once.
 * Verifier → drafter: stop following a session that ended. The scheduler is the only one to
 * cancel a session; the verifier, its owner, ends it. Idempotent.
 */
export const WorkerClose = requestContract(
  // v2: sender-bound: a verifier takes a close only from the scheduler, a drafter also from its session's verifier.
  "specfleet.worker.{id}.close.{from}",
  2,
  z.object({ sessionId: sessionIdSchema, reason: z.string() }),
  z.object({ closed: z.boolean() }),
);

/**
 * Gateway → verifier: events from `fromIndex` on seem lost (a stream that stalled, a restarted
 * nats-server): publish them again from the session's journal. Any verifier can answer.
 */
export const SessionReplay = requestContract(
  "specfleet.verifier.{id}.replay",
  1,
  z.object({ sessionId: sessionIdSchema, fromIndex: positionSchema }),
  z.object({ replayed: z.number().int().nonnegative() }),
);

/** Scheduler → verifier: which sessions it holds (a restarted scheduler checks its table). */
export const WorkerSessions = requestContract(
  "specfleet.worker.{id}.sessions",
  1,
  z.object({}).loose(),
  z.object({ sessionIds: z.array(sessionIdSchema) }),
);

/** Operator or test → worker: the device's power state changed (a drafter went on battery). */
export const WorkerPower = requestContract(
  "specfleet.worker.{id}.power",
  1,
  powerStateSchema,
  z.object({ ok: z.literal(true) }),
);

/** Drafter → verifier: the drafter stops following a session; the verifier continues alone. */
export const VerifierDetach = requestContract(
  // v3: sender-bound: `by: drafter` only from that drafter, `by: scheduler` only from the scheduler.
  "specfleet.verifier.{id}.detach.{from}",
  3,
  z.object({
    sessionId: sessionIdSchema,
    drafterId: workerIdSchema,
    reason: z.string().max(500),
    /** Who lets go: the scheduler (re-pairing, a lost drafter), or the drafter itself. */
    by: z.enum(["scheduler", "drafter"]),
    /** The drafter found the verifier faster alone over this link (adaptive window's hand-back). */
    fasterAlone: z.boolean().default(false),
  }),
  z.object({ detached: z.boolean() }),
);

/**
 * Drafter → verifier, the hot path: a window of draft tokens starting at `position`. A greedy
 * round and its applied or stale reply travel in a compact binary form (session-codecs.ts), the
 * rest as JSON.
 */
export const VerifyRound = requestContract(
  // v2: sender-bound: a verifier takes a session's rounds only from the drafter attached to it.
  // v3: the binary form of a greedy round and of its reply.
  // v4: a round may start behind the session when its first tokens repeat what was committed
  // since (a window sent before the previous round's answer, on a guess of its bonus token), and
  // a round ahead of the session is answered stale (that guess failed) instead of refused.
  "specfleet.verifier.{id}.verify.{from}",
  4,
  z.object({
    sessionId: sessionIdSchema,
    position: positionSchema,
    draft: tokensSchema.max(MAX_DRAFT_TOKENS),
    /**
     * Sampled sessions: at each draft token, the drafter's truncated distribution it was drawn
     * from (the token's own probability included): speculative sampling needs q.
     */
    q: z.array(distributionSchema).max(MAX_DRAFT_TOKENS).optional(),
  }),
  z.discriminatedUnion("status", [
    /**
     * The round was applied: `tokens` = accepted draft prefix + one correction or bonus token.
     * `position`: where the verified window started, after any tokens it repeated; `accepted`
     * counts from there.
     */
    z.object({
      status: z.literal("applied"),
      sessionId: sessionIdSchema,
      position: positionSchema,
      accepted: z.number().int().nonnegative(),
      tokens: tokensSchema,
      nextPosition: positionSchema,
      finished: z.boolean(),
      /** The verifier's forward pass and rollback for this round, ms (for window control). */
      verifyMs: z.number().nonnegative(),
      /** Tokens in the decode this round shared with other sessions' rounds (its own included). */
      batchTokens: z.number().int().nonnegative().optional(),
    }),
    /**
     * `position` was not the session's: `tokens` are those committed since it (none when it is
     * ahead of the session, `nextPosition`), nothing was applied.
     */
    z.object({
      status: z.literal("stale"),
      sessionId: sessionIdSchema,
      position: positionSchema,
      tokens: tokensSchema,
      nextPosition: positionSchema,
      finished: z.boolean(),
    }),
    z.object({ status: z.literal("rejected"), sessionId: z.string(), error: remoteErrorSchema }),
  ]),
  // No span per round: the verifier's session span sums its rounds up (docs/tracing.md).
  { hotPath: true, codec: verifyRoundCodec, replyCodec: verifyReplyCodec },
);

/**
 * Why a session ended: `stop` (end of generation) and `length` (max_tokens) complete it;
 * `cancelled` (a WorkerClose: the scheduler, an operator) and `error` (the verifier could not go
 * on) do not.
 */
export const sessionEndReasonSchema = z.enum(["stop", "length", "cancelled", "error"]);
export type SessionEndReason = z.infer<typeof sessionEndReasonSchema>;
/** An end's reason is a short sentence (a WorkerClose's reason is cut to this). */
export const MAX_END_REASON_CHARS = 500;

/** Verifier → subscribers (gateway): the session's committed tokens, in order, each once. */
export const sessionEventSchema = z.discriminatedUnion("kind", [
  z.object({
    kind: z.literal("opened"),
    sessionId: sessionIdSchema,
    promptTokens: z.number().int().nonnegative(),
    verifierId: workerIdSchema,
    drafterId: workerIdSchema.nullable(),
    /** A verifier taking the session over: the tokens already generated (replayed next). */
    resumedAt: z.number().int().nonnegative().optional(),
  }),
  z.object({
    kind: z.literal("tokens"),
    sessionId: sessionIdSchema,
    /** Index of the first token among the generated tokens (0 = first completion token). */
    index: positionSchema,
    tokens: tokensSchema.min(1),
    text: z.string(),
    /**
     * Where each token's text ends in `text`, in UTF-16 units (a character split across tokens
     * counts for the token that completes it): the gateway charges a stop sequence to the token
     * that completed it. Absent from older verifiers' events.
     */
    textEnds: z.array(z.number().int().nonnegative()).optional(),
  }),
  /**
   * The verifier ended the session, for whatever reason: it is the last event of a session that
   * was opened, journalled like the tokens (a replay sends it again) and sent after them all.
   */
  z.object({
    kind: z.literal("end"),
    sessionId: sessionIdSchema,
    finishReason: sessionEndReasonSchema,
    /** Tokens the session published before it ended (all of them, for `stop` and `length`). */
    generatedTokens: z.number().int().nonnegative(),
    /** Text held back from the last tokens event (an incomplete character); usually "". */
    text: z.string(),
    /** `cancelled` and `error`: why, in words a client may read. */
    reason: z.string().max(MAX_END_REASON_CHARS).optional(),
  }),
  /** The request failed before a verifier had its session (placement, admission). */
  z.object({ kind: z.literal("error"), sessionId: sessionIdSchema, error: remoteErrorSchema }),
  /**
   * Scheduler → readers: this verifier owns the session from now on (sent before it is asked to
   * open or resume it). Readers take the session's events only from its owner.
   */
  z.object({ kind: z.literal("owner"), sessionId: sessionIdSchema, verifierId: workerIdSchema }),
]);
export type SessionEvent = z.infer<typeof sessionEventSchema>;
/**
 * v2: an `end` event for every way a session ends (`cancelled`, `error`), with its reason.
 * v3: sender-bound, and the scheduler names each owner (`owner`) before the owner opens: a
 * reader takes `owner` and `error` only from the scheduler, the rest only from the owner.
 * v4: a tokens event travels in a compact binary form (session-codecs.ts), the others as JSON.
 */
export const SessionStream = eventContract("specfleet.session.{id}.events.{from}", 4, sessionEventSchema, {
  hotPath: true,
  codec: sessionEventCodec as PayloadCodec<SessionEvent>,
});

/** Drafter → observers (telemetry, dashboard, window tuning): one line per finished round. */
export const roundReportSchema = z.object({
  sessionId: sessionIdSchema,
  drafterId: workerIdSchema,
  verifierId: workerIdSchema,
  position: positionSchema,
  window: z.number().int().nonnegative(),
  accepted: z.number().int().nonnegative(),
  draftMs: z.number().nonnegative(),
  verifyMs: z.number().nonnegative(),
  networkMs: z.number().nonnegative(),
  batchTokens: z.number().int().nonnegative().optional(),
  at: z.number(),
});
export type RoundReport = z.infer<typeof roundReportSchema>;

/** Most rounds one RoundReports message carries (a drafter sends sooner when it has this many). */
export const MAX_ROUND_REPORTS = 256;

/** A drafter's rounds finished since its last report, oldest first. */
export const roundReportBatchSchema = z
  .object({
    drafterId: workerIdSchema,
    reports: z.array(roundReportSchema).min(1).max(MAX_ROUND_REPORTS),
  })
  .refine((batch) => batch.reports.every((r) => r.drafterId === batch.drafterId), {
    message: "every report is of the sender's own rounds",
  });
export type RoundReportBatch = z.infer<typeof roundReportBatchSchema>;

/**
 * v2: sender-bound (a drafter reports only its own rounds).
 * v3: a batch of rounds per message (a drafter sends what it has every 250 ms, or at once when
 * it has MAX_ROUND_REPORTS, a session's first round, or a session ends): observers no longer wake
 * up for every round.
 */
export const RoundReports = eventContract("specfleet.telemetry.rounds.{from}", 3, roundReportBatchSchema, {
  hotPath: true,
  senderField: "drafterId",
});

/** A RoundReports handler from one that takes a round at a time. */
export function eachRound(handler: (report: RoundReport) => unknown): (batch: RoundReportBatch) => void {
  return (batch) => {
    for (const report of batch.reports) handler(report);
  };
}
