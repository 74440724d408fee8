import type { Subscription } from "nats";
import { SessionStream, type SessionEvent } from "#contracts";
import type { ContractBus } from "#transport";

type TokensEvent = Extract<SessionEvent, { kind: "tokens" }>;
type EndEvent = Extract<SessionEvent, { kind: "end" }>;

/**
 * Reads one session's event stream in order: token events by their index, each exactly once,
 * and the end only after every token before it. Duplicates are dropped.
 */
export class SessionReader {
  private readonly subscription: Subscription;
  private readonly ready: SessionEvent[] = [];
  private readonly pendingTokens = new Map<number, TokensEvent>();
  private pendingEnd: EndEvent | null = null;
  private nextIndex = 0;
  private wake: (() => void) | null = null;
  private closed = false;

  private constructor(bus: ContractBus, sessionId: string) {
    this.subscription = bus.subscribe(SessionStream, sessionId, (event) => this.accept(event));
  }

  /** Subscribes and waits until the server has the subscription, so no early event is missed. */
  static async open(bus: ContractBus, sessionId: string): Promise<SessionReader> {
    const reader = new SessionReader(bus, sessionId);
    await bus.nc.flush();
    return reader;
  }

  /** The next event in order; null when none came within `idleMs`, or the reader was closed. */
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
    return this.ready.shift() ?? null;
  }

  /** Index of the next token event the reader waits for (what a replay starts from). */
  get position(): number {
    return this.nextIndex;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subscription.unsubscribe();
    this.wake?.();
  }

  private accept(event: SessionEvent): void {
    if (this.closed) return;
    if (event.kind === "tokens") {
      if (event.index >= this.nextIndex) this.pendingTokens.set(event.index, event);
    } else if (event.kind === "end") {
      this.pendingEnd = event;
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
    }
  }
}
