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
  /** Per verifier, per drafter: the link's latest figures. */
  private readonly links = new Map<string, Map<string, Link>>();
  /** Per drafter model, per target model: accepted tokens (α·rounds summed over links) and rounds. */
  private readonly models = new Map<string, Map<string, ModelPair>>();
  /** Σ excess and how many links it sums (those reported with both broker round trips). */
  private excessSum = 0;
  private excessLinks = 0;
  /** Bumped when a verifier is first reported (a context's cached look-up of it is then stale). */
  private verifiersSeen = 0;
  /** The context's `revision`: a number no other state of any PairStats had. */
  private revision = ++changes;

  /**
   * Records a link's latest figures. `brokerRttMs`: the drafter's and the verifier's round trips
   * to the message broker, when both are known (the excess is measured against them).
   */
  report(link: LinkReport, brokerRttMs?: { drafter: number; verifier: number }): void {
    this.revision = ++changes;
    let byDrafter = this.links.get(link.verifierId);
    if (!byDrafter) {
      this.links.set(link.verifierId, (byDrafter = new Map()));
      this.verifiersSeen++;
    }
    let entry = byDrafter.get(link.drafterId);
    if (entry) {
      // The link's previous figures leave the sums they were in.
      entry.models.accepted -= entry.accepted;
      entry.models.rounds -= entry.rounds;
      if (entry.excess !== null) {
        this.excessSum -= entry.excess;
        this.excessLinks--;
      }
    } else {
      entry = { roundTripMs: 0, accepted: 0, rounds: 0, excess: null, models: { accepted: 0, rounds: 0 } };
      byDrafter.set(link.drafterId, entry);
    }
    const rounds = link.rounds > 0 ? link.rounds : 0;
    entry.roundTripMs = link.roundTripMs;
    entry.rounds = rounds;
    entry.accepted = rounds > 0 ? link.acceptance * rounds : 0;
    entry.models = this.modelPair(link.drafterModel, link.targetModel);
    entry.models.accepted += entry.accepted;
    entry.models.rounds += rounds;
    entry.excess = brokerRttMs ? link.roundTripMs - brokerRttMs.drafter - brokerRttMs.verifier : null;
    if (entry.excess !== null) {
      this.excessSum += entry.excess;
      this.excessLinks++;
    }
  }

  /**
   * The pairing context these figures yield; `random` for the policies that draw. Live: reports
   * after it was made show through it (DSD-Sim keeps one for a whole run).
   */
  context(random: () => number): PairingContext {
    const stats = this;
    // A policy asks about one verifier's drafters in a row: its links are looked up once.
    let last = { verifierId: "", seen: -1, links: undefined as Map<string, Link> | undefined };
    return {
      roundTripMs: (drafterId, verifierId) => {
        if (verifierId !== last.verifierId || last.seen !== stats.verifiersSeen)
          last = { verifierId, seen: stats.verifiersSeen, links: stats.links.get(verifierId) };
        return last.links?.get(drafterId)?.roundTripMs;
      },
      get revision() {
        return stats.revision;
      },
      get roundTripExcessMs() {
        return stats.excessLinks > 0 ? Math.max(0, stats.excessSum / stats.excessLinks) : undefined;
      },
      acceptance: (drafterModel, targetModel) => {
        const seen = stats.models.get(drafterModel)?.get(targetModel);
        return seen && seen.rounds > 0 ? seen.accepted / seen.rounds : undefined;
      },
      random,
    };
  }

  private modelPair(drafterModel: string, targetModel: string): ModelPair {
    let byTarget = this.models.get(drafterModel);
    if (!byTarget) this.models.set(drafterModel, (byTarget = new Map()));
    let pair = byTarget.get(targetModel);
    if (!pair) byTarget.set(targetModel, (pair = { accepted: 0, rounds: 0 }));
    return pair;
  }
}

/** Every change of every PairStats in this process, counted: revisions are never reused. */
let changes = 0;

interface ModelPair {
  accepted: number;
  rounds: number;
}

/** A link's figures as they count in the sums: its accepted tokens are α·rounds. */
interface Link {
  roundTripMs: number;
  accepted: number;
  rounds: number;
  excess: number | null;
  models: ModelPair;
}
