import type { PairingContext } from "#pairing";

/**
 * What the scheduler learns from rounds, as the pairing policy's context: per drafter model,
 * how often the target agrees (accepted tokens against rounds cut short), and per pair the
 * network's share of a round, lately.
 */
export class PairHistory {
  /** Per drafter model: accepted tokens and rounds cut short. */
  private readonly agreement = new Map<string, { accepted: number; cutShort: number }>();
  /** Per verifier, per drafter: the network's share of a pair's round, lately. */
  private readonly networkMs = new Map<string, Map<string, number>>();
  /** The verifier the pairing policy asked about last (it asks about one verifier's drafters in a row). */
  private lastNetwork: { verifierId: string; byDrafter: Map<string, number> | undefined } = {
    verifierId: "",
    byDrafter: undefined,
  };

  /** A round of a drafter of `model` was verified: `accepted` of its `window` tokens. */
  agreed(model: string, accepted: number, window: number): void {
    const seen = this.agreement.get(model) ?? { accepted: 0, cutShort: 0 };
    seen.accepted += accepted;
    if (accepted < window) seen.cutShort++;
    this.agreement.set(model, seen);
  }

  /** A round of the pair spent `ms` on the network (its round trip less the verifier's pass). */
  networkShare(verifierId: string, drafterId: string, ms: number): void {
    let byDrafter = this.networkMs.get(verifierId);
    if (!byDrafter) {
      this.networkMs.set(verifierId, (byDrafter = new Map()));
      this.lastNetwork = { verifierId: "", byDrafter: undefined };
    }
    const before = byDrafter.get(drafterId);
    byDrafter.set(drafterId, before === undefined ? ms : 0.9 * before + 0.1 * ms);
  }

  /** The pairing context over this history, with the policies' uniform draws from `random`. */
  context(random: () => number): PairingContext {
    return {
      acceptance: (drafterModel) => {
        const seen = this.agreement.get(drafterModel);
        return seen && seen.accepted + seen.cutShort > 0 ? seen.accepted / (seen.accepted + seen.cutShort) : undefined;
      },
      roundTripMs: (drafterId, verifierId) => {
        if (verifierId !== this.lastNetwork.verifierId)
          this.lastNetwork = { verifierId, byDrafter: this.networkMs.get(verifierId) };
        return this.lastNetwork.byDrafter?.get(drafterId);
      },
      random,
    };
  }
}
