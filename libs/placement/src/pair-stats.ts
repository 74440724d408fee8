import type { PairingContext } from "#pairing";

/** What a drafter reports of one verifier it works with, lately (its telemetry's `links`). */
export interface LinkReport {
  drafterId: string;
  drafterModel: string;
  verifierId: string;
  targetModel: string;
  /** The network's share of a round (round trip minus the verifier's own time), ms. */
  roundTripMs: number;
  /** Accepted / drafted tokens on this link, lately. */
  acceptance: number;
  /** Rounds the figures stand on. */
  rounds: number;
}

/**
 * The pair history a pairing policy weighs, from the drafters' link reports: the round trip of
 * each drafter–verifier link; the acceptance of each drafter model against each target model
 * (links weighted by their rounds: a model pair's acceptance is a property of the models, not of
 * the link); and how much longer the measured links took than their workers' broker round trips
 * add up to (the excess an unmeasured pair is charged, so that it is not preferred for being
 * unmeasured).
 *
 * Incremental: a report replaces the link's previous one, so the scheduler can feed every
 * drafter's telemetry and DSD-Sim every round, through the same code.
 */
export class PairStats {
  private readonly links = new Map<string, { report: LinkReport; excess: number | null }>();
  private readonly roundTrips = new Map<string, Map<string, number>>();
  private readonly acceptance = new Map<string, { accepted: number; rounds: number }>();
  private excess = { sum: 0, links: 0 };

  /**
   * Records a link's latest figures. `brokerRttMs`: the drafter's and the verifier's round trips
   * to the message broker, when both are known (the excess is measured against them).
   */
  report(link: LinkReport, brokerRttMs?: { drafter: number; verifier: number }): void {
    const key = `${link.drafterId} ${link.verifierId}`;
    this.forget(key);
    const excess = brokerRttMs ? link.roundTripMs - brokerRttMs.drafter - brokerRttMs.verifier : null;
    this.links.set(key, { report: link, excess });
    let byDrafter = this.roundTrips.get(link.verifierId);
    if (!byDrafter) this.roundTrips.set(link.verifierId, (byDrafter = new Map()));
    byDrafter.set(link.drafterId, link.roundTripMs);
    if (link.rounds > 0) {
      const models = this.modelKey(link);
      const seen = this.acceptance.get(models) ?? { accepted: 0, rounds: 0 };
      this.acceptance.set(models, {
        accepted: seen.accepted + link.acceptance * link.rounds,
        rounds: seen.rounds + link.rounds,
      });
    }
    if (excess !== null) this.excess = { sum: this.excess.sum + excess, links: this.excess.links + 1 };
  }

  /** The pairing context these figures yield; `random` for the policies that draw. */
  context(random: () => number): PairingContext {
    return {
      roundTripMs: (drafterId, verifierId) => this.roundTrips.get(verifierId)?.get(drafterId),
      roundTripExcessMs: this.excess.links > 0 ? Math.max(0, this.excess.sum / this.excess.links) : undefined,
      acceptance: (drafterModel, targetModel) => {
        const seen = this.acceptance.get(`${drafterModel} ${targetModel}`);
        return seen && seen.rounds > 0 ? seen.accepted / seen.rounds : undefined;
      },
      random,
    };
  }

  private forget(key: string): void {
    const previous = this.links.get(key);
    if (!previous) return;
    const { report, excess } = previous;
    if (report.rounds > 0) {
      const models = this.modelKey(report);
      const seen = this.acceptance.get(models)!;
      const rest = { accepted: seen.accepted - report.acceptance * report.rounds, rounds: seen.rounds - report.rounds };
      if (rest.rounds > 0) this.acceptance.set(models, rest);
      else this.acceptance.delete(models);
    }
    if (excess !== null) this.excess = { sum: this.excess.sum - excess, links: this.excess.links - 1 };
    this.links.delete(key);
  }

  private modelKey(link: LinkReport): string {
    return `${link.drafterModel} ${link.targetModel}`;
  }
}
