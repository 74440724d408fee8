import { waitingOrder } from "#placement";
import type { Waiting } from "./waiting.js";

/** The requests waiting for a pair, in serving order (libs/placement `waitingOrder`), in memory. */
export class WaitingLine {
  private readonly line: Waiting[] = [];
  private readonly ids = new Set<string>();

  get size(): number {
    return this.line.length;
  }

  has(sessionId: string): boolean {
    return this.ids.has(sessionId);
  }

  /** In serving order. */
  entries(): readonly Waiting[] {
    return this.line;
  }

  /** Whether any request of `model` waits (a new one goes behind it, not around it). */
  hasModel(model: string): boolean {
    return this.line.some((w) => w.model === model);
  }

  insert(waiting: Waiting): void {
    if (this.ids.has(waiting.job.sessionId)) return;
    const at = this.line.findIndex((w) => waitingOrder(waiting, w) < 0);
    this.line.splice(at < 0 ? this.line.length : at, 0, waiting);
    this.ids.add(waiting.job.sessionId);
  }

  remove(sessionId: string): Waiting | undefined {
    if (!this.ids.delete(sessionId)) return undefined;
    const index = this.line.findIndex((w) => w.job.sessionId === sessionId);
    return this.line.splice(index, 1)[0];
  }
}
