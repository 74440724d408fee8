import { headers as natsHeaders, type Msg, type NatsConnection, type Subscription } from "nats";
import type { z } from "zod";
import {
  decodeBytes,
  subjectFor,
  type EventContract,
  type PayloadOf,
  type ReplyOf,
  type RequestContract,
} from "#contracts";
import type { Logger } from "#logging";
import { NoResponderError, RequestTimeoutError, SpecFleetError } from "./errors.js";

const ERROR_HEADER = "SpecFleet-Error";
/** Every message says which contract version it was written against. */
const VERSION_HEADER = "SpecFleet-Contract-Version";
const encode = (value: unknown) => Buffer.from(JSON.stringify(value));

type AnyRequest = RequestContract<z.ZodType, z.ZodType>;
type AnyEvent = EventContract<z.ZodType>;

/**
 * The raw NATS client behind contracts: every payload is checked against its schema on both
 * sides; a message that fails is answered (request-reply) with an error header the sender can
 * act on, logged, and dropped. A handler never crashes the actor.
 */
export class ContractBus {
  private readonly served = new Set<string>();

  constructor(
    readonly nc: NatsConnection,
    private readonly log: Logger,
  ) {}

  publish<C extends AnyEvent>(contract: C, id: string, payload: PayloadOf<C>): void {
    this.nc.publish(subjectFor(contract, id), encode(payload), { headers: versionHeaders(contract.version) });
  }

  async request<C extends AnyRequest>(
    contract: C,
    id: string,
    payload: PayloadOf<C>,
    timeoutMs: number,
  ): Promise<ReplyOf<C>> {
    const subject = subjectFor(contract, id);
    let msg: Msg;
    try {
      msg = await this.nc.request(subject, encode(payload), {
        timeout: timeoutMs,
        headers: versionHeaders(contract.version),
      });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === "503") throw new NoResponderError(subject);
      if (code === "TIMEOUT") throw new RequestTimeoutError(subject, timeoutMs);
      throw error;
    }
    const remoteError = msg.headers?.get(ERROR_HEADER);
    if (remoteError) throw new SpecFleetError("bad_request", `${subject}: ${remoteError}`);
    const decoded = decodeBytes(contract.reply, msg.data);
    if (!decoded.ok) throw new SpecFleetError("internal", `${subject}: malformed reply: ${decoded.reason}`);
    return decoded.value as ReplyOf<C>;
  }

  /** Serves a request contract; a second handler for the same subject is a startup error. */
  serve<C extends AnyRequest>(
    contract: C,
    id: string,
    handler: (payload: PayloadOf<C>) => Promise<ReplyOf<C>>,
  ): Subscription {
    const subject = subjectFor(contract, id);
    if (this.served.has(subject)) throw new Error(`${subject} already has a handler in this process`);
    this.served.add(subject);
    return this.nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error) {
          this.log.error({ subject, err: error.message }, "subscription error");
          return;
        }
        void this.answer(contract, subject, msg, handler);
      },
    });
  }

  subscribe<C extends AnyEvent>(contract: C, id: string, handler: (payload: PayloadOf<C>) => void): Subscription {
    const subject = subjectFor(contract, id);
    return this.nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error) return;
        const mismatch = versionMismatch(contract, msg);
        const decoded = mismatch ? { ok: false as const, reason: mismatch } : decodeBytes(contract.schema, msg.data);
        if (!decoded.ok) {
          this.log.warn({ subject, reason: decoded.reason }, "rejected malformed event");
          return;
        }
        try {
          handler(decoded.value as PayloadOf<C>);
        } catch (err) {
          this.log.error({ subject, err: (err as Error).message }, "event handler failed");
        }
      },
    });
  }

  private async answer<C extends AnyRequest>(
    contract: C,
    subject: string,
    msg: Msg,
    handler: (payload: PayloadOf<C>) => Promise<ReplyOf<C>>,
  ): Promise<void> {
    const mismatch = versionMismatch(contract, msg);
    const decoded = mismatch ? { ok: false as const, reason: mismatch } : decodeBytes(contract.schema, msg.data);
    if (!decoded.ok) {
      this.log.warn({ subject, reason: decoded.reason }, "rejected malformed request");
      this.replyError(msg, `malformed ${subject} v${contract.version}: ${decoded.reason}`);
      return;
    }
    try {
      const reply = await handler(decoded.value as PayloadOf<C>);
      if (msg.reply) msg.respond(encode(reply));
    } catch (err) {
      this.log.error({ subject, err: (err as Error).message }, "request handler failed");
      this.replyError(msg, (err as Error).message);
    }
  }

  private replyError(msg: Msg, reason: string): void {
    if (!msg.reply) return;
    const h = natsHeaders();
    h.set(ERROR_HEADER, reason.replace(/[\r\n]+/g, " ").slice(0, 1000));
    msg.respond(new Uint8Array(), { headers: h });
  }
}

function versionHeaders(version: number) {
  const h = natsHeaders();
  h.set(VERSION_HEADER, String(version));
  return h;
}

/** A message from a peer built against another version of the contract is refused by name. */
function versionMismatch(contract: AnyRequest | AnyEvent, msg: Msg): string | null {
  const sent = msg.headers?.get(VERSION_HEADER);
  if (!sent || sent === String(contract.version)) return null;
  return `contract version mismatch: the sender speaks v${sent}, this actor v${contract.version}; upgrade one side`;
}
