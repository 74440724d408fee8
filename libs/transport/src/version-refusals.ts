import type { AnyContract } from "#contracts";

/** Past this many (contract, sender, version) seen, the oldest is forgotten (and would be warned of again). */
const MAX_REMEMBERED = 10_000;

/**
 * Which refusals for another contract version were already warned of. During an upgrade an older
 * worker sends the same refused message every second (telemetry) until it is upgraded: an
 * operator needs one line per sender, contract and version to act on, not one per message.
 */
export class VersionRefusals {
  private readonly seen = new Set<string>();

  /** Whether this is the first refusal of `contract` at version `sent` from `sender` (null: not sender-bound). */
  first(contract: AnyContract, sender: string | null, sent: string): boolean {
    const key = `${contract.subject}\n${sender ?? ""}\n${sent}`;
    if (this.seen.has(key)) return false;
    if (this.seen.size >= MAX_REMEMBERED) this.seen.delete(this.seen.values().next().value!);
    this.seen.add(key);
    return true;
  }
}
