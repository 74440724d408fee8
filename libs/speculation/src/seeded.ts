/**
 * Counter-based randomness: every random choice of a sampled session is a pure function of the
 * request's seed, the absolute position of the token it decides, and what it is for. The same
 * seeded request therefore makes the same choices whatever its rounds look like (how the
 * tokens were batched, pipelined or retried), and no generator state crosses the network.
 */
export const Draw = {
  /** The drafter's token at a position (llama.cpp's dist sampler seed). */
  draft: 1,
  /** The target's own sample at a position: the bonus token, target-only decoding. */
  target: 2,
  /** The uniform compared with p/q to accept a draft token. */
  accept: 3,
  /** The uniform that picks from the residual distribution after a rejection. */
  residual: 4,
  /** The uniform that picks from the part of the residual the first pass did not see. */
  tail: 5,
} as const;
export type DrawPurpose = (typeof Draw)[keyof typeof Draw];

/** Murmur3's 32-bit finaliser. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function hashParts(parts: readonly number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    // Seeds may exceed 32 bits (any safe integer): fold in the high word too.
    h = fmix32((h ^ (part >>> 0)) + 0x7f4a7c15);
    h = fmix32((h ^ Math.floor(part / 0x1_0000_0000)) + 0x6a09e667);
  }
  return h;
}

/** A 32-bit seed for llama.cpp's sampler: the draw `purpose` at `position` of a session. */
export function seedFor(seed: number, position: number, purpose: DrawPurpose): number {
  return hashParts([seed, position, purpose]);
}

/** A uniform number in [0, 1) with 53 random bits for the draw `purpose` at `position`. */
export function uniformFor(seed: number, position: number, purpose: DrawPurpose): number {
  const high = hashParts([seed, position, purpose, 0]) >>> 5;
  const low = hashParts([seed, position, purpose, 1]) >>> 6;
  return (high * 67108864 + low) / 9007199254740992;
}
