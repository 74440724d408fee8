import { xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";

/** A seeded source of draws: the same seed, the same simulation. */
export class Random {
  private readonly generator: RandomGenerator;
  private spare: number | null = null;

  constructor(seed: number) {
    // pure-rand's xoroshiro128plus(seed) starts from the sparse state (−1, ~seed, seed, 0): its
    // first outputs barely depend on a small seed (every stream's first draw fell in one narrow
    // band whatever the seed). The state's four words come from SplitMix32 instead.
    const mix = splitMix32(seed);
    this.generator = xoroshiro128plusFromState([mix(), mix(), mix(), mix()]);
  }

  /** Uniform in [0, 1). */
  next(): number {
    const high = this.generator.next() >>> 0;
    const low = this.generator.next() >>> 11;
    return (high * 2 ** 21 + low) / 2 ** 53;
  }

  /** Uniform in [min, max]. */
  between(min: number, max: number): number {
    return min === max ? min : min + (max - min) * this.next();
  }

  /** A whole number in [min, max]. */
  integer(min: number, max: number): number {
    return Math.floor(this.between(Math.ceil(min), Math.floor(max) + 1 - 1e-9));
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** Standard normal (Marsaglia's polar method). */
  normal(): number {
    if (this.spare !== null) {
      const value = this.spare;
      this.spare = null;
      return value;
    }
    let u: number, v: number, s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * factor;
    return u * factor;
  }

  /** An independent stream for one purpose, so adding draws elsewhere does not shift it. */
  fork(purpose: number): Random {
    return new Random((this.generator.next() ^ Math.imul(purpose + 1, 0x9e3779b1)) | 0);
  }
}

/** SplitMix32 (Steele, Lea, Flood 2014, "Fast splittable pseudorandom number generators", 32-bit variant): well-mixed words from a seed. */
function splitMix32(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) | 0;
  };
}
