import { z } from "zod";

/**
 * One message name, one payload type, one schema. A contract names a NATS subject (a template
 * with `{id}` for per-worker subjects), the schema of what is sent on it and, for
 * request-reply, the schema of the reply.
 */
export interface EventContract<S extends z.ZodType> {
  readonly kind: "event";
  readonly subject: string;
  readonly version: number;
  readonly schema: S;
  /** Sent once per round or per token: the transport carries no trace context and opens no span for it (cost). */
  readonly hotPath?: boolean;
}

export interface RequestContract<S extends z.ZodType, R extends z.ZodType> {
  readonly kind: "request";
  readonly subject: string;
  readonly version: number;
  readonly schema: S;
  readonly reply: R;
  /** Sent once per round or per token: the transport carries no trace context and opens no span for it (cost). */
  readonly hotPath?: boolean;
}

export type AnyContract = EventContract<z.ZodType> | RequestContract<z.ZodType, z.ZodType>;
export type PayloadOf<C extends AnyContract> = z.infer<C["schema"]>;
export type ReplyOf<C extends RequestContract<z.ZodType, z.ZodType>> = z.infer<C["reply"]>;

/** How the transport treats a contract's messages besides their payload. */
export interface ContractOptions {
  hotPath?: boolean;
}

export function eventContract<S extends z.ZodType>(
  subject: string,
  version: number,
  schema: S,
  options: ContractOptions = {},
): EventContract<S> {
  return { kind: "event", subject, version, schema, ...options };
}

export function requestContract<S extends z.ZodType, R extends z.ZodType>(
  subject: string,
  version: number,
  schema: S,
  reply: R,
  options: ContractOptions = {},
): RequestContract<S, R> {
  return { kind: "request", subject, version, schema, reply, ...options };
}

/** Subscribing with this id hears every worker's or session's messages (observers, tests). */
export const ANY_ID = "*";

/** Fills the `{id}` of a per-worker or per-session subject template. */
export function subjectFor(contract: AnyContract, id: string): string {
  if (!contract.subject.includes("{id}")) return contract.subject;
  if (id !== ANY_ID && !/^[A-Za-z0-9_-]+$/.test(id))
    throw new Error(`invalid subject id '${id}': use letters, digits, '-' and '_'`);
  return contract.subject.replace("{id}", id);
}

/** The result of decoding a message at a trust boundary. */
export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: string };

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
