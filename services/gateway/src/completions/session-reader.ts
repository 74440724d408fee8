import type { Subscription } from "nats";
import { SCHEDULER_IDENTITY, SessionStream, type SessionEvent } from "#contracts";
import type { Logger } from "#logging";
import type { ContractBus } from "#transport";

type TokensEvent = Extract<SessionEvent, { kind: "tokens" }>;
type EndEvent = Extract<SessionEvent, { kind: "end" }>;

/** The reader was closed (its client went away): no event will come from it any more. */
export class SessionReaderClosedError extends Error {
  constructor(readonly sessionId: string) {
    super(`the reader of session ${sessionId} is closed`);
    this.name = "SessionReaderClosedError";
  }
}

/** Events held from a verifier not (yet) named the session's owner: the scheduler's word may come later. */
const MAX_HELD_EVENTS = 256;

/**
 * Reads one session's event stream in order: token events by their index, each exactly once,
 * and the end only after every token before it. Duplicates are dropped; events after a gap wait
 * for it to be filled (a replay).
 *
 * Only the session's owner speaks for it: the scheduler names the owner (`owner`) and may fail
 * the request (`error`); every other event counts only from that verifier. Events from another
 * verifier are held (bounded) until the scheduler names it, since NATS orders messages per
 * sender only; those of a sender never named are dropped, and counted in `refused`.
 */
export class SessionReader {
  private readonly ready: SessionEvent[] = [];
  private readonly pendingTokens = new Map<number, TokensEvent>();
  private pendingEnd: EndEvent | null = null;
  private ended = false;
  private nextIndex = 0;
  private wake: (() => void) | null = null;
  private closed = false;
  private owner: string | null = null;
  private readonly held: Array<{ event: SessionEvent; from: string }> = [];
  /** Events dropped for coming from someone other than the owner (a forger, a verifier that lost the session). */
  refused = 0;

  constructor(
    readonly sessionId: string,
    private readonly unsubscribe: () => void = () => undefined,
    /** Told of the first event refused (a forger, or a verifier that lost the session): logged once per session. */
    private readonly onRefused: (from: string, kind: SessionEvent["kind"]) => void = () => undefined,
  ) {}

  /** Subscribes and waits until the server has the subscription, so no early event is missed. */
  static async open(bus: ContractBus, sessionId: string, log?: Logger): Promise<SessionReader> {
    let subscription: Subscription | null = null;
    const reader = new SessionReader(
      sessionId,
      () => subscription?.unsubscribe(),
      (from, kind) => log?.warn({ sessionId, from, kind }, "refused a session event from someone other than its owner"),
    );
    subscription = bus.subscribe(SessionStream, sessionId, (event, { from }) => reader.accept(event, from ?? ""));
    await bus.nc.flush();
    return reader;
  }

  /**
   * The next event in order; null when none came within `idleMs`. Once the reader is closed
   * (before or while waiting) it rejects with SessionReaderClosedError: a closed reader is not an
   * idle stream, and its caller must stop rather than wait or ask for a replay.
   */
  async next(idleMs: number): Promise<SessionEvent | null> {
    const deadline = Date.now() + idleMs;
    while (this.ready.length === 0 && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
    if (this.closed) throw new SessionReaderClosedError(this.sessionId);
    return this.ready.shift()!;
  }

  /** Index of the next token event the reader waits for (what a replay starts from). */
  get position(): number {
    return this.nextIndex;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.ready.length = 0;
    this.held.length = 0;
    this.pendingTokens.clear();
    this.pendingEnd = null;
    this.wake?.();
  }

  /** The verifier the scheduler last named the session's owner; null before it did. */
  get ownerId(): string | null {
    return this.owner;
  }

  /** An event as it arrives from `from` (its subject's sender), in any order and possibly twice. */
  accept(event: SessionEvent, from: string): void {
    if (this.closed) return;
    if (from === SCHEDULER_IDENTITY) return this.fromScheduler(event);
    if (event.kind === "owner" || event.kind === "error" || (event.kind === "opened" && event.verifierId !== from))
      return this.refuse(from, event.kind);
    if (from !== this.owner) {
      if (this.held.length < MAX_HELD_EVENTS) this.held.push({ event, from });
      else this.refuse(from, event.kind);
      return;
    }
    this.take(event);
  }

  private refuse(from: string, kind: SessionEvent["kind"]): void {
    if (this.refused++ === 0) this.onRefused(from, kind);
  }

  private fromScheduler(event: SessionEvent): void {
    if (event.kind !== "owner" && event.kind !== "error") return this.refuse(SCHEDULER_IDENTITY, event.kind);
    if (event.kind === "owner") {
      this.owner = event.verifierId;
      const mine = this.held.filter((h) => h.from === event.verifierId);
      this.held.splice(0, this.held.length, ...this.held.filter((h) => h.from !== event.verifierId));
      this.take(event);
      for (const h of mine) this.take(h.event);
      return;
    }
    this.take(event);
  }

  private take(event: SessionEvent): void {
    if (event.kind === "tokens") {
      if (event.index >= this.nextIndex) this.pendingTokens.set(event.index, event);
    } else if (event.kind === "end") {
      if (!this.ended) this.pendingEnd = event;
    } else {
      this.ready.push(event);
    }
    this.release();
    if (this.ready.length > 0) this.wake?.();
  }

  private release(): void {
    for (let event = this.pendingTokens.get(this.nextIndex); event; event = this.pendingTokens.get(this.nextIndex)) {
      this.pendingTokens.delete(this.nextIndex);
      this.ready.push(event);
      this.nextIndex += event.tokens.length;
    }
    if (this.pendingEnd && this.pendingEnd.generatedTokens <= this.nextIndex) {
      this.ready.push(this.pendingEnd);
      this.pendingEnd = null;
      this.ended = true;
    }
  }
}
