import type { LinkConfig } from "./config.js";
import type { Random } from "./random.js";

/**
 * A message's trip from one device through the broker to another: half of each leg's round
 * trip (drawn from its range), normal jitter on each leg, serialisation at the slower leg's
 * bandwidth, and each loss costing a retransmission timeout.
 */
export function oneWayMs(from: LinkConfig, to: LinkConfig, bytes: number, random: Random): number {
  let ms = leg(from, random) + leg(to, random) + (bytes * 8) / (Math.min(from.bandwidthMbps, to.bandwidthMbps) * 1000);
  const loss = 1 - (1 - from.loss) * (1 - to.loss);
  if (loss > 0) while (random.next() < loss) ms += Math.max(from.retransmitMs, to.retransmitMs);
  return ms;
}

function leg(link: LinkConfig, random: Random): number {
  const { min, max } = link.rttMs;
  const half = (min === max ? min : min + (max - min) * random.next()) / 2;
  return link.jitterMs > 0 ? Math.max(0, half + link.jitterMs * random.normal()) : half;
}

/** The mean round trip of a link, ms (what a device measures as its round trip to the broker). */
export const meanRttMs = (link: LinkConfig) => (link.rttMs.min + link.rttMs.max) / 2;
