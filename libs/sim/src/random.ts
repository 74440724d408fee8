import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";

/** A seeded source of draws: the same seed, the same simulation. */
export class Random {
  private readonly generator: RandomGenerator;
  private spare: number | null = null;

  constructor(seed: number) {
    this.generator = xoroshiro128plus(seed);
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
