import type { Distribution } from "../sampling.js";

/**
 * Synthetic drafters for the audit's tests and bench:audit: a q per position and the token a
 * drafter of each kind sends with it. Pure and seeded (the caller's uniform source), so a
 * detection figure is reproducible.
 */
export type DrafterKind =
  /** Draws x ~ q and sends q: what the audit must never flag. */
  | "honest"
  /** Draws x ~ q but sends q(x) = 1e-300 (the rest renormalised): every draft accepted. */
  | "forged-q"
  /** Sends the true q but drafts q's least likely token (an attacker's chosen word). */
  | "chosen-token"
  /** Sends the true q but always drafts its mode (greedy drafts dressed as samples). */
  | "mode";

export const DRAFTER_KINDS: readonly DrafterKind[] = ["honest", "forged-q", "chosen-token", "mode"];

/** A random q over `support` tokens: Zipf-like weights with a random exponent, some tied. */
export function randomDistribution(random: () => number, support = 1 + Math.floor(random() * 64)): Distribution {
  const exponent = 0.3 + 1.7 * random();
  const weights = Array.from({ length: support }, (_, rank) => {
    // Every fourth rank repeats the previous weight: ties, which the p-value must randomise over.
    const r = rank % 4 === 3 ? rank : rank + 1;
    return 1 / Math.pow(r, exponent);
  });
  const total = weights.reduce((s, w) => s + w, 0);
  const offset = Math.floor(random() * 30_000);
  return new Map(weights.map((w, i) => [offset + i, w / total] as [number, number]));
}

/** A draw from q with the uniform `u`. */
export function drawFrom(q: Distribution, u: number): number {
  let v = u;
  let last = -1;
  for (const [token, p] of q) {
    last = token;
    if (v < p) return token;
    v -= p;
  }
  return last;
}

/** What a drafter of `kind` sends at a position whose true drafter distribution is `q`. */
export function draftAs(kind: DrafterKind, q: Distribution, u: number): { token: number; q: Distribution } {
  const entries = [...q];
  switch (kind) {
    case "honest":
      return { token: drawFrom(q, u), q };
    case "forged-q": {
      const token = drawFrom(q, u);
      const rest = 1 - (q.get(token) ?? 0);
      const forged = new Map(entries.map(([t, p]) => [t, t === token ? 1e-300 : rest > 0 ? p / rest : 1]));
      return { token, q: forged };
    }
    case "chosen-token":
      return { token: entries.reduce((a, b) => (b[1] < a[1] ? b : a))[0], q };
    case "mode":
      return { token: entries.reduce((a, b) => (b[1] > a[1] ? b : a))[0], q };
  }
}

/** mulberry32: a small seeded generator for tests and benches (not for anything secret). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
