/**
 * A lying drafter for the audit's tests: preloaded into a real draft worker
 * (`NODE_OPTIONS=--import <this file>`), it wraps that process's ContractBus so every round the
 * worker sends carries a forged q. Everything else (registration with the real fingerprint, the
 * model, drafting) is the real draft worker's. Test code only: no production setting does this.
 *
 * LYING_DRAFTER_MODE:
 * - `forged-q` (default): q(x) = 1e-300 for each drafted token x, the rest renormalised (the
 *   probe of issue 14: every draft accepted);
 * - `permuted-q`: x keeps its q(x), the other tokens' probabilities are reversed (the draw check
 *   sees honest draws; only a recompute shows the lie).
 */
import { VerifyRound, type WireDistribution } from "#contracts";
import { ContractBus } from "#transport";

const mode = process.env.LYING_DRAFTER_MODE ?? "forged-q";

function forge(q: WireDistribution, token: number): WireDistribution {
  const at = q.tokens.indexOf(token);
  if (mode === "permuted-q") {
    const others = q.probs.filter((_, i) => i !== at).reverse();
    return { tokens: q.tokens, probs: q.probs.map((p, i) => (i === at ? p : others.shift()!)) };
  }
  const rest = 1 - (q.probs[at] ?? 0);
  return { tokens: q.tokens, probs: q.probs.map((p, i) => (i === at ? 1e-300 : rest > 0 ? p / rest : p)) };
}

const request = ContractBus.prototype.request;
ContractBus.prototype.request = function (this: ContractBus, contract, id, payload, timeoutMs) {
  if ((contract as unknown) === VerifyRound) {
    const round = payload as { draft: number[]; q?: WireDistribution[] };
    if (round.q) payload = { ...round, q: round.q.map((q, i) => forge(q, round.draft[i]!)) } as typeof payload;
  }
  return request.call(this, contract, id, payload, timeoutMs);
} as typeof request;
