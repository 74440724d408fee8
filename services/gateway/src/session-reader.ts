import type { Subscription } from "nats";
import { SessionStream, type SessionEvent } from "#contracts";
import type { ContractBus } from "#transport";

type TokensEvent = Extract<SessionEvent, { kind: "tokens" }>;
type EndEvent = Extract<SessionEvent, { kind: "end" }>;
export type OrderedEvent = Exclude<SessionEvent, TokensEvent | EndEvent> | TokensEvent | EndEvent;

/**
 * Reads one session's event stream in order: token events by their index, each exactly once,
 * and the end only after every token before it. Duplicates are dropped.
 */
export class SessionReader {
  private readonly subscription: Subscription;
  private readonly ready: OrderedEvent[] = [];
  private readonly pendingTokens = new Map<number, TokensEvent>();
  private pendingEnd: EndEvent | null = null;
  private nextIndex = 0;
  private waiter: (() => void) | null = null;
  private done = false;

  constructor(bus: ContractBus, sessionId: string) {
    this.subscription = bus.subscribe(SessionStream, sessionId, (event) => this.accept(event));
  }

  /** Waits for the next event; null when none came within `idleMs`. */
  async next(idleMs: number): Promise<OrderedEvent | null> {
    if (this.ready.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, idleMs);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.waiter = null;
    }
    return this.ready.shift() ?? null;
  }

  close(): void {
    this.done = true;
    this.subscription.unsubscribe();
  }

  private accept(event: SessionEvent): void {
    if (this.done) return;
    if (event.kind === "tokens") {
      if (event.index >= this.nextIndex) this.pendingTokens.set(event.index, event);
    } else if (event.kind === "end") {
      this.pendingEnd = event;
    } else {
      this.ready.push(event);
    }
    this.release();
    this.waiter?.();
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
