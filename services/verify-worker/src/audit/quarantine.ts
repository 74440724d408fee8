import { FleetQuarantine } from "#contracts";
import type { Logger } from "#logging";
import type { ContractBus } from "#transport";
import type { AuditMeter } from "./audit-meter.js";

export type Evidence = Record<string, string | number | boolean | null>;

/**
 * A drafter caught lying about q: this verifier takes no more of its rounds at once (every
 * session it drafts for goes on target-only and the scheduler is told, through `refuse`), logs
 * the evidence, and asks the registry to quarantine it (never paired again, its credential
 * revoked). Reaching the registry may fail: that is logged, never thrown.
 */
export class Quarantine {
  private readonly caught = new Set<string>();

  constructor(
    private readonly bus: ContractBus,
    private readonly log: Logger,
    private readonly meter: AuditMeter,
    /** Refuses the drafter on this verifier and detaches it from its sessions; how many it left. */
    private readonly refuse: (drafterId: string, reason: string) => number,
    private readonly requestTimeoutMs = 5000,
  ) {}

  has(drafterId: string): boolean {
    return this.caught.has(drafterId);
  }

  /** Quarantines a drafter (once); settles when the registry has answered or could not be reached. */
  async impose(drafterId: string, reason: string, evidence: Evidence): Promise<void> {
    if (this.caught.has(drafterId)) return;
    this.caught.add(drafterId);
    this.meter.quarantined(drafterId);
    const sessions = this.refuse(drafterId, reason);
    const sent = finite(evidence);
    this.log.warn({ drafterId, reason, evidence: sent, sessions }, "drafter quarantined: it lied about q");
    try {
      const reply = await this.bus.request(
        FleetQuarantine,
        "",
        { workerId: drafterId, reason: reason.slice(0, 500), evidence: sent },
        this.requestTimeoutMs,
      );
      this.log.info({ drafterId, ...reply }, "the registry took the quarantine");
    } catch (err) {
      this.log.error({ drafterId, err: String(err) }, "could not ask the registry to quarantine the drafter");
    }
  }
}

/** JSON has no Infinity or NaN: such numbers go as text. */
function finite(evidence: Evidence): Evidence {
  const out: Evidence = {};
  for (const [key, value] of Object.entries(evidence))
    out[key] = typeof value === "number" && !Number.isFinite(value) ? String(value) : value;
  return out;
}
