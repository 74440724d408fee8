import type { Subscription } from "nats";
import { SessionStream, type SessionEvent } from "#contracts";
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

/**
 * Reads one session's event stream in order: token events by their index, each exactly once,
 * and the end only after every token before it. Duplicates are dropped; events after a gap wait
 * for it to be filled (a replay).
 */
export class SessionReader {
  private readonly ready: SessionEvent[] = [];
  private readonly pendingTokens = new Map<number, TokensEvent>();
  private pendingEnd: EndEvent | null = null;
  private ended = false;
  private nextIndex = 0;
  private wake: (() => void) | null = null;
  private closed = false;

  constructor(
    readonly sessionId: string,
    private readonly unsubscribe: () => void = () => undefined,
  ) {}

  /** Subscribes and waits until the server has the subscription, so no early event is missed. */
  static async open(bus: ContractBus, sessionId: string): Promise<SessionReader> {
    let subscription: Subscription | null = null;
    const reader = new SessionReader(sessionId, () => subscription?.unsubscribe());
    subscription = bus.subscribe(SessionStream, sessionId, (event) => reader.accept(event));
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
    this.pendingTokens.clear();
    this.pendingEnd = null;
    this.wake?.();
  }

  /** An event as it arrives, in any order and possibly twice. */
  accept(event: SessionEvent): void {
    if (this.closed) return;
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
