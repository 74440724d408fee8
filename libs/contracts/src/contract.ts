import { z } from "zod";
import type { Decoded, PayloadCodec } from "./wire-codec.js";

export type { Decoded, PayloadCodec } from "./wire-codec.js";

/**
 * One message name, one payload type, one schema. A contract names a NATS subject (a template
 * with `{id}` for per-worker subjects), the schema of what is sent on it and, for
 * request-reply, the schema of the reply.
 *
 * Sender-bound subjects: a template ending in `.{from}` carries its sender's identity (a worker's
 * id, or a control-plane role) as its last token. The transport fills it with its own identity,
 * and the NATS permissions of each credential let it publish only its own (libs/security), so a
 * receiver knows who sent a message without trusting its payload (docs/security.md).
 */
export interface EventContract<S extends z.ZodType> {
  readonly kind: "event";
  readonly subject: string;
  readonly version: number;
  readonly schema: S;
  /** Sent once per round or per token: the transport carries no trace context and opens no span for it (cost). */
  readonly hotPath?: boolean;
  /** A payload field that must equal the sender (`{from}`): an identity speaks only for itself. */
  readonly senderField?: string;
  /** A compact binary form of its common payloads (wire-codec.ts); JSON otherwise. */
  readonly codec?: PayloadCodec<z.infer<S>>;
  /**
   * Large, and not urgent (a page of the fleet): a receiver decodes it after the messages already
   * waiting behind it, in order among its own kind, so that it does not hold them up.
   */
  readonly bulky?: boolean;
}

export interface RequestContract<S extends z.ZodType, R extends z.ZodType> {
  readonly kind: "request";
  readonly subject: string;
  readonly version: number;
  readonly schema: S;
  readonly reply: R;
  /** Sent once per round or per token: the transport carries no trace context and opens no span for it (cost). */
  readonly hotPath?: boolean;
  /** A payload field that must equal the sender (`{from}`): an identity speaks only for itself. */
  readonly senderField?: string;
  /** A compact binary form of its common payloads and replies (wire-codec.ts); JSON otherwise. */
  readonly codec?: PayloadCodec<z.infer<S>>;
  readonly replyCodec?: PayloadCodec<z.infer<R>>;
}

export type AnyContract = EventContract<z.ZodType> | RequestContract<z.ZodType, z.ZodType>;
export type PayloadOf<C extends AnyContract> = z.infer<C["schema"]>;
export type ReplyOf<C extends RequestContract<z.ZodType, z.ZodType>> = z.infer<C["reply"]>;

/** How the transport treats a contract's messages besides their payload. */
export interface ContractOptions {
  hotPath?: boolean;
  senderField?: string;
}

export function eventContract<S extends z.ZodType>(
  subject: string,
  version: number,
  schema: S,
  options: ContractOptions & { codec?: PayloadCodec<z.infer<S>>; bulky?: boolean } = {},
): EventContract<S> {
  return { kind: "event", subject, version, schema, ...options };
}

export function requestContract<S extends z.ZodType, R extends z.ZodType>(
  subject: string,
  version: number,
  schema: S,
  reply: R,
  options: ContractOptions & { codec?: PayloadCodec<z.infer<S>>; replyCodec?: PayloadCodec<z.infer<R>> } = {},
): RequestContract<S, R> {
  return { kind: "request", subject, version, schema, reply, ...options };
}

/** Subscribing with this id hears every worker's or session's messages (observers, tests). */
export const ANY_ID = "*";

const SENDER_TOKEN = ".{from}";

/**
 * Fills the `{id}` of a per-worker or per-session subject template, and the `{from}` of a
 * sender-bound one (`from`; ANY_ID to hear every sender).
 */
export function subjectFor(contract: AnyContract, id: string, from: string = ANY_ID): string {
  let subject = contract.subject;
  if (subject.includes("{id}")) subject = subject.replace("{id}", subjectToken(id, "id"));
  if (subject.endsWith(SENDER_TOKEN)) subject = subject.replace("{from}", subjectToken(from, "sender"));
  return subject;
}

/** Whether a contract's subject names its sender (`{from}`). */
export function isSenderBound(contract: AnyContract): boolean {
  return contract.subject.endsWith(SENDER_TOKEN);
}

/** The sender a sender-bound subject names (its last token), or null for other contracts. */
export function senderOf(contract: AnyContract, subject: string): string | null {
  if (!isSenderBound(contract)) return null;
  return subject.slice(subject.lastIndexOf(".") + 1);
}

function subjectToken(value: string, what: string): string {
  if (value !== ANY_ID && !/^[A-Za-z0-9_-]+$/.test(value))
    throw new Error(`invalid subject ${what} '${value}': use letters, digits, '-' and '_'`);
  return value;
}

export function decodeWith<S extends z.ZodType>(schema: S, data: unknown): Decoded<z.infer<S>> {
  const result = schema.safeParse(data);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, reason: z.prettifyError(result.error) };
}

/** Decodes raw bytes (JSON) with a contract's schema; never throws. */
export function decodeBytes<S extends z.ZodType>(schema: S, bytes: Uint8Array): Decoded<z.infer<S>> {
  let data: unknown;
  try {
    data = JSON.parse(Buffer.from(bytes).toString("utf8"));
  } catch {
    return { ok: false, reason: "payload is not valid JSON" };
  }
  return decodeWith(schema, data);
}

/** A payload as it goes on the wire: the contract's binary form when it has one for it, else JSON. */
export function encodePayload<T>(codec: PayloadCodec<T> | undefined, value: T): Uint8Array {
  return codec?.encode(value) ?? Buffer.from(JSON.stringify(value));
}

/** Decodes raw bytes: the contract's binary form when they are in it, else JSON with `schema`; never throws. */
export function decodePayload<S extends z.ZodType>(
  codec: PayloadCodec<z.infer<S>> | undefined,
  schema: S,
  bytes: Uint8Array,
): Decoded<z.infer<S>> {
  return codec?.decode(bytes) ?? decodeBytes(schema, bytes);
}
