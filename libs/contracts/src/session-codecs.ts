import { MAX_DRAFT_TOKENS, type RemoteError } from "./common.js";
import {
  areWireTokens,
  BINARY_TAG,
  BinaryWriter,
  binaryCodec,
  isWireCount,
  isWireId,
  malformed,
  type BinaryReader,
} from "./wire-codec.js";

/**
 * The binary forms of the round's messages (VerifyRound v4, SessionStream v4): a greedy round
 * (no q), its applied or stale reply, a session's tokens event. Everything else on those subjects
 * (a sampled round with q, a rejection, the other events) goes as JSON. The checks are the
 * schemas' (session.ts), by hand: ids of letters, digits, '-' and '_', non-negative integer
 * positions, at most MAX_DRAFT_TOKENS tokens in a draft, tokens as u32.
 */

const MAX_SESSION_ID = 96;

/** VerifyRound's request, as session.ts declares it. */
interface RoundRequest {
  sessionId: string;
  position: number;
  draft: number[];
  q?: { tokens: number[]; probs: number[] }[] | undefined;
}

export const verifyRoundCodec = binaryCodec<RoundRequest>(
  (round) => {
    if (round.q !== undefined || !isWireId(round.sessionId, MAX_SESSION_ID) || !isWireCount(round.position))
      return null;
    if (!areWireTokens(round.draft, MAX_DRAFT_TOKENS)) return null;
    return new BinaryWriter(1 + 1 + round.sessionId.length + 8 + 4 + 4 * round.draft.length)
      .u8(BINARY_TAG)
      .id(round.sessionId)
      .f64(round.position)
      .tokens(round.draft).bytes;
  },
  (r) => ({
    sessionId: r.id("sessionId", MAX_SESSION_ID),
    position: r.count("position"),
    draft: r.tokens("draft", MAX_DRAFT_TOKENS),
  }),
);

/** VerifyRound's reply, as session.ts declares it. */
type RoundReply =
  | {
      status: "applied";
      sessionId: string;
      position: number;
      accepted: number;
      tokens: number[];
      nextPosition: number;
      finished: boolean;
      verifyMs: number;
      batchTokens?: number | undefined;
    }
  | {
      status: "stale";
      sessionId: string;
      position: number;
      tokens: number[];
      nextPosition: number;
      finished: boolean;
    }
  | { status: "rejected"; sessionId: string; error: RemoteError };

const APPLIED = 1;
const STALE = 2;
/** batchTokens absent. */
const NO_BATCH = -1;

export const verifyReplyCodec = binaryCodec<RoundReply>(
  (reply) => {
    if (reply.status === "rejected") return null;
    if (!isWireId(reply.sessionId, MAX_SESSION_ID) || !areWireTokens(reply.tokens)) return null;
    if (!isWireCount(reply.position) || !isWireCount(reply.nextPosition)) return null;
    const applied = reply.status === "applied";
    if (applied && (!isWireCount(reply.accepted) || !(reply.verifyMs >= 0 && Number.isFinite(reply.verifyMs))))
      return null;
    if (applied && reply.batchTokens !== undefined && !isWireCount(reply.batchTokens)) return null;
    const size = 1 + 1 + 1 + reply.sessionId.length + 8 + 4 + 4 * reply.tokens.length + 8 + 1 + (applied ? 24 : 0);
    const w = new BinaryWriter(size)
      .u8(BINARY_TAG)
      .u8(applied ? APPLIED : STALE)
      .id(reply.sessionId)
      .f64(reply.position)
      .tokens(reply.tokens)
      .f64(reply.nextPosition)
      .u8(reply.finished ? 1 : 0);
    if (applied)
      w.f64(reply.accepted)
        .f64(reply.verifyMs)
        .f64(reply.batchTokens ?? NO_BATCH);
    return w.bytes;
  },
  (r) => {
    const status = r.u8("status");
    if (status !== APPLIED && status !== STALE) throw malformed(`status: unknown binary status ${status}`);
    const common = {
      sessionId: r.id("sessionId", MAX_SESSION_ID),
      position: r.count("position"),
      tokens: r.tokens("tokens"),
      nextPosition: r.count("nextPosition"),
      finished: r.boolean("finished"),
    };
    if (status === STALE) return { status: "stale", ...common };
    const accepted = r.count("accepted");
    const verifyMs = r.nonNegative("verifyMs");
    const batchTokens = readBatchTokens(r);
    return {
      status: "applied",
      ...common,
      accepted,
      verifyMs,
      ...(batchTokens === null ? {} : { batchTokens }),
    };
  },
);

function readBatchTokens(r: BinaryReader): number | null {
  const value = r.nonNegativeOr("batchTokens", NO_BATCH);
  if (value === NO_BATCH) return null;
  if (!Number.isSafeInteger(value)) throw malformed("batchTokens: expected a non-negative integer");
  return value;
}

/** SessionStream's events; only `tokens` has a binary form. */
type SessionEventLike = { kind: string; sessionId: string } & Record<string, unknown>;
interface TokensEvent {
  kind: "tokens";
  sessionId: string;
  index: number;
  tokens: number[];
  text: string;
  textEnds?: number[] | undefined;
}

const TOKENS = 1;

export const sessionEventCodec = binaryCodec<SessionEventLike>(
  (event) => {
    if (event.kind !== "tokens") return null;
    const e = event as unknown as TokensEvent;
    if (!isWireId(e.sessionId, MAX_SESSION_ID) || !isWireCount(e.index) || e.tokens.length < 1) return null;
    if (!areWireTokens(e.tokens) || (e.textEnds !== undefined && !areWireTokens(e.textEnds))) return null;
    const textBytes = Buffer.byteLength(e.text, "utf8");
    const ends = e.textEnds ?? [];
    const size = 1 + 1 + 1 + e.sessionId.length + 8 + 4 + 4 * e.tokens.length + 4 + textBytes + 1 + 4 + 4 * ends.length;
    return new BinaryWriter(size)
      .u8(BINARY_TAG)
      .u8(TOKENS)
      .id(e.sessionId)
      .f64(e.index)
      .tokens(e.tokens)
      .text(e.text, textBytes)
      .u8(e.textEnds === undefined ? 0 : 1)
      .tokens(ends).bytes;
  },
  (r) => {
    const kind = r.u8("kind");
    if (kind !== TOKENS) throw malformed(`kind: unknown binary event ${kind}`);
    const sessionId = r.id("sessionId", MAX_SESSION_ID);
    const index = r.count("index");
    const tokens = r.tokens("tokens");
    if (tokens.length < 1) throw malformed("tokens: at least one token");
    const text = r.text("text");
    const hasEnds = r.boolean("textEnds");
    const textEnds = r.tokens("textEnds");
    if (!hasEnds && textEnds.length > 0) throw malformed("textEnds: present but flagged absent");
    return {
      kind: "tokens",
      sessionId,
      index,
      tokens,
      text,
      ...(hasEnds ? { textEnds } : {}),
    };
  },
);
