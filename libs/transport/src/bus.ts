import type { Msg, MsgHdrs, NatsConnection, Subscription } from "nats";
import type { z } from "zod";
import {
  ANY_ID,
  decodePayload,
  encodePayload,
  senderOf,
  subjectFor,
  type AnyContract,
  type Decoded,
  type EventContract,
  type PayloadOf,
  type RemoteError,
  type ReplyOf,
  type RequestContract,
} from "#contracts";
import type { Logger } from "#logging";
import { extractTraceContext, failActiveSpan, inSpan, injectTraceContext, SpanKind, type Context } from "#tracing";
import {
  NoResponderError,
  PayloadTooLargeError,
  PeerError,
  RequestTimeoutError,
  SpecFleetError,
  toRemoteError,
} from "./errors.js";
import { connectNats, type NatsEndpoint } from "./nats.js";
import { VersionRefusals } from "./version-refusals.js";
import { contractVersionOf, errorHeaders, messageHeaders, refusalOf, remoteErrorOf } from "./wire.js";

export type AnyRequest = RequestContract<z.ZodType, z.ZodType>;
export type AnyEvent = EventContract<z.ZodType>;

/** What the transport knows of a message besides its payload. */
export interface MessageMeta {
  /** Who sent it, for a sender-bound contract (`{from}`, enforced by NATS permissions); else null. */
  from: string | null;
}

/**
 * Told what each hot-path message (`hotPath` contracts: a round, a session's tokens) costs this
 * side, in ms, from performance.now() stamps the bus takes anyway (bench:round's breakdown):
 * nothing is allocated for it, and other contracts are not timed.
 */
export interface WireClock {
  /** Encoded and handed to the connection: a request or an event sent, or a reply to a served request. */
  encoded(contract: AnyContract, kind: "request" | "event" | "reply", ms: number): void;
  /** Decoded and validated: a request or an event received, or the reply to a request sent. */
  decoded(contract: AnyContract, kind: "request" | "event" | "reply", ms: number): void;
  /** A served request, from its arrival on the connection until its reply was handed back. */
  served(contract: AnyContract, ms: number): void;
}

/** A hot-path contract's headers, made once: nats.js only reads them when it sends. */
const hotPathHeaders = new WeakMap<AnyContract, MsgHdrs>();

/** A message's headers: the wire's, and the active trace context unless the contract is on the hot path. */
function headersFor(contract: AnyContract): MsgHdrs {
  if (contract.hotPath) {
    let headers = hotPathHeaders.get(contract);
    if (!headers) hotPathHeaders.set(contract, (headers = messageHeaders(contract)));
    return headers;
  }
  const headers = messageHeaders(contract);
  injectTraceContext(headers);
  return headers;
}

/**
 * The one way SpecFleet code sends and receives messages, over the process's one NATS
 * connection: request, publish, serve, subscribe, each against a contract of `libs/contracts`.
 * Every payload is checked against its schema on both sides; a message that fails, or that a
 * peer wrote against another contract version, is logged and refused (a request gets a
 * `bad_request` reply); a handler's failure is answered with its error code. Nothing that
 * arrives crashes the actor. Whatever goes wrong on the sending side is a SpecFleetError.
 *
 * Traces (libs/tracing) cross here too: what is sent carries the active trace context in its
 * headers, and a message that carries one is handled inside it, in a span of its own
 * (`<subject> process`); hot-path contracts (a round, a session's tokens) carry none and get none.
 *
 * Identity: the bus speaks as `identity` (its credential's name: a worker's id, or a control-plane
 * role). It fills a sender-bound subject's `{from}` with it, hands a received message's sender to
 * its handler, and refuses (`forbidden`) a payload that speaks for someone else (`senderField`).
 */
export class ContractBus {
  private readonly served = new Set<string>();
  private readonly versionRefusals = new VersionRefusals();
  /** Told the costs of hot-path messages (a worker's meter); null: not timed. */
  clock: WireClock | null = null;

  constructor(
    readonly nc: NatsConnection,
    private readonly log: Logger,
    /** Who this bus speaks as; `{from}` of what it sends. */
    readonly identity: string = ANONYMOUS,
  ) {}

  /** Connects as `identity` (rejoining a restarted nats-server for ever) and wraps the connection. */
  static async connect(endpoint: NatsEndpoint, identity: string, log: Logger): Promise<ContractBus> {
    return new ContractBus(await connectNats(endpoint, identity, log), log, identity);
  }

  /**
   * A bus over the same connection speaking as `identity` (a simulator of many workers, a test
   * holding the admin credential). NATS permissions still decide what the connection may send.
   */
  as(identity: string): ContractBus {
    return new ContractBus(this.nc, this.log, identity);
  }

  publish<C extends AnyEvent>(contract: C, id: string, payload: PayloadOf<C>): void {
    const clock = contract.hotPath ? this.clock : null;
    const started = clock ? performance.now() : 0;
    const subject = subjectFor(contract, id, this.identity);
    const data = encodePayload(contract.codec, payload);
    try {
      this.nc.publish(subject, data, { headers: headersFor(contract) });
    } catch (error) {
      throw this.sendFailure(subject, data, error);
    }
    clock?.encoded(contract, "event", performance.now() - started);
  }

  /** Sends a request and decodes its reply; a peer's coded error is rethrown as a PeerError with that code. */
  async request<C extends AnyRequest>(
    contract: C,
    id: string,
    payload: PayloadOf<C>,
    timeoutMs: number,
  ): Promise<ReplyOf<C>> {
    const clock = contract.hotPath ? this.clock : null;
    const started = clock ? performance.now() : 0;
    const subject = subjectFor(contract, id, this.identity);
    const data = encodePayload(contract.codec, payload);
    let msg: Msg;
    try {
      const sending = this.nc.request(subject, data, { timeout: timeoutMs, headers: headersFor(contract) });
      clock?.encoded(contract, "request", performance.now() - started);
      msg = await sending;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === "503") throw new NoResponderError(subject);
      if (code === "TIMEOUT") throw new RequestTimeoutError(subject, timeoutMs);
      throw this.sendFailure(subject, data, error);
    }
    const answered = clock ? performance.now() : 0;
    const remoteError = remoteErrorOf(msg);
    if (remoteError) throw new PeerError(subject, remoteError);
    const decoded = decodePayload(contract.replyCodec, contract.reply, msg.data);
    if (!decoded.ok) throw new SpecFleetError("internal", `${subject}: malformed reply: ${decoded.reason}`);
    clock?.decoded(contract, "reply", performance.now() - answered);
    return decoded.value as ReplyOf<C>;
  }

  /** Serves a request contract; a second handler for the same subject in this process is a startup error. */
  serve<C extends AnyRequest>(
    contract: C,
    id: string,
    handler: (payload: PayloadOf<C>, meta: MessageMeta) => Promise<ReplyOf<C>> | ReplyOf<C>,
  ): Subscription {
    const subject = subjectFor(contract, id, ANY_ID);
    if (this.served.has(subject)) throw new Error(`${subject} already has a handler in this process`);
    this.served.add(subject);
    const subscription = this.nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error) this.log.error({ subject, err: error.message }, "subscription error");
        else {
          const arrived = contract.hotPath && this.clock ? performance.now() : 0;
          void this.traced(contract, msg, SpanKind.SERVER, () => this.answer(contract, subject, msg, handler, arrived));
        }
      },
    });
    void subscription.closed.finally(() => this.served.delete(subject));
    return subscription;
  }

  /** Subscribes to an event contract; a handler's failure (thrown, or a promise it returns rejected) is logged. */
  subscribe<C extends AnyEvent>(
    contract: C,
    id: string,
    handler: (payload: PayloadOf<C>, meta: MessageMeta) => unknown,
  ): Subscription {
    const subject = subjectFor(contract, id, ANY_ID);
    const handle = (msg: Msg) =>
      void this.traced(contract, msg, SpanKind.CONSUMER, () => this.deliver(contract, msg, handler));
    // Bulky events, in order, one per turn of the event loop: what arrives meanwhile goes between them.
    const waiting: Msg[] = [];
    const handleNext = () => {
      handle(waiting.shift()!);
      if (waiting.length > 0) setImmediate(handleNext);
    };
    return this.nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error) {
          this.log.error({ subject, err: error.message }, "subscription error");
          return;
        }
        if (!contract.bulky) handle(msg);
        else if (waiting.push(msg) === 1) setImmediate(handleNext);
      },
    });
  }

  /** Waits until the server has seen everything sent so far (subscriptions included). */
  flush(): Promise<void> {
    return this.nc.flush();
  }

  /** Lets handlers in flight answer, then closes the connection. */
  drain(): Promise<void> {
    return this.nc.drain();
  }

  /**
   * Runs the handling of `msg` inside the trace context it carries, in a span named after its
   * subject pattern; a message without one (or a hot-path contract's) is handled as it is.
   */
  private traced(
    contract: AnyContract,
    msg: Msg,
    kind: SpanKind,
    handle: () => Promise<void> | void,
  ): Promise<void> | void {
    const parent: Context | null = contract.hotPath ? null : extractTraceContext(msg.headers);
    if (parent === null) return handle();
    const attributes = {
      "messaging.system": "nats",
      "messaging.operation.type": "process",
      "messaging.destination.name": msg.subject,
      "messaging.destination.template": contract.subject,
      "specfleet.contract.version": contract.version,
    };
    return inSpan(`${contract.subject} process`, { kind, attributes, parent }, handle);
  }

  /** Hands a decoded event to its handler; a failure (thrown, or a promise it returns rejected) is logged. */
  private deliver<C extends AnyEvent>(
    contract: C,
    msg: Msg,
    handler: (payload: PayloadOf<C>, meta: MessageMeta) => unknown,
  ): Promise<void> | void {
    const decoded = this.accept(contract, msg, "event");
    if (!decoded.ok) return;
    const failed = (err: unknown) => {
      const remote = toRemoteError(err);
      failActiveSpan(remote.message, remote.code);
      this.log.error({ subject: msg.subject, err: remote.message }, "event handler failed");
    };
    try {
      const result = handler(decoded.value as PayloadOf<C>, { from: senderOf(contract, msg.subject) });
      if (result instanceof Promise) return result.then(() => undefined, failed);
    } catch (err) {
      failed(err);
    }
  }

  private async answer<C extends AnyRequest>(
    contract: C,
    subject: string,
    msg: Msg,
    handler: (payload: PayloadOf<C>, meta: MessageMeta) => Promise<ReplyOf<C>> | ReplyOf<C>,
    /** When it arrived (performance.now()), a hot-path request timed by the clock; else 0. */
    arrived = 0,
  ): Promise<void> {
    const clock = arrived > 0 ? this.clock : null;
    const decoded = this.accept(contract, msg, "request");
    if (!decoded.ok) return;
    if (clock) clock.decoded(contract, "request", performance.now() - arrived);
    let reply: Uint8Array;
    let encoding = 0;
    try {
      const answer = await handler(decoded.value as PayloadOf<C>, { from: senderOf(contract, msg.subject) });
      if (clock) encoding = performance.now();
      reply = encodePayload(contract.kind === "request" ? contract.replyCodec : undefined, answer);
    } catch (err) {
      const remote = toRemoteError(err);
      // An expected, coded failure is the peer's to act on; an internal one is this actor's bug.
      const level = remote.code === "internal" ? "error" : "warn";
      failActiveSpan(remote.message, remote.code);
      this.log[level]({ subject, code: remote.code, err: remote.message }, "request handler failed");
      this.respondError(msg, remote);
      return;
    }
    if (!msg.reply) return;
    try {
      msg.respond(reply);
    } catch (err) {
      this.log.warn({ subject, err: String(err) }, "could not send a reply");
    }
    if (clock) {
      const sent = performance.now();
      clock.encoded(contract, "reply", sent - encoding);
      clock.served(contract, sent - arrived);
    }
  }

  /**
   * Decodes a message; a refused one is logged with its reason, and answered when it is a
   * request: malformed (`bad_request`), or speaking for another identity (`forbidden`).
   */
  private accept(contract: AnyContract, msg: Msg, kind: "request" | "event"): Decoded<unknown> {
    const refusal = refusalOf(contract, msg);
    const decoded = refusal
      ? { ok: false as const, reason: refusal }
      : decodePayload(contract.codec, contract.schema, msg.data);
    if (!decoded.ok) {
      // Another version's sender repeats itself until upgraded: warned of once per sender and version.
      const sent = refusal ? contractVersionOf(contract, msg) : null;
      const sender = senderOf(contract, msg.subject);
      const level = sent === null || this.versionRefusals.first(contract, sender, sent) ? "warn" : "debug";
      this.log[level](
        { subject: msg.subject, ...(sender === null ? {} : { sender }), reason: decoded.reason },
        `rejected malformed ${kind}`,
      );
      if (kind === "request")
        this.respondError(msg, {
          code: "bad_request",
          message: `malformed ${msg.subject} v${contract.version}: ${decoded.reason}`,
        });
      return decoded;
    }
    const impostor = impersonationOf(contract, msg.subject, decoded.value);
    if (impostor === null) return decoded;
    this.log.warn({ subject: msg.subject, reason: impostor }, `refused ${kind} sent for another identity`);
    if (kind === "request") this.respondError(msg, { code: "forbidden", message: impostor });
    return { ok: false, reason: impostor };
  }

  private respondError(msg: Msg, error: RemoteError): void {
    if (!msg.reply) return;
    try {
      msg.respond(new Uint8Array(), { headers: errorHeaders(error) });
    } catch (err) {
      this.log.warn({ subject: msg.subject, err: String(err) }, "could not send an error reply");
    }
  }

  /** A NATS failure to send, as the SpecFleetError a caller can act on. */
  private sendFailure(subject: string, data: Uint8Array, error: unknown): SpecFleetError {
    if ((error as { code?: string }).code === "MAX_PAYLOAD_EXCEEDED")
      return new PayloadTooLargeError(subject, data.length, this.nc.info?.max_payload);
    return new SpecFleetError("internal", `${subject}: ${(error as Error).message ?? String(error)}`);
  }
}

/** The identity of a bus made without one (tests, tools): it may send nothing sender-bound that a receiver checks. */
export const ANONYMOUS = "anonymous";

/** Why a sender-bound payload speaks for someone other than its sender, or null. */
function impersonationOf(contract: AnyContract, subject: string, payload: unknown): string | null {
  if (contract.senderField === undefined) return null;
  const from = senderOf(contract, subject);
  const claimed = (payload as Record<string, unknown>)[contract.senderField];
  if (claimed === from) return null;
  return `${subject}: '${from}' may not send for ${contract.senderField} '${String(claimed)}': an identity speaks only for itself`;
}
