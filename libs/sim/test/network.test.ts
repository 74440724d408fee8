import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { linkSchema, meanRttMs, oneWayMs, Random, type LinkConfig } from "#sim";

const link = (input: Record<string, unknown>): LinkConfig => linkSchema.parse(input);
const mean = (n: number, draw: () => number) => {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += draw();
  return sum / n;
};

describe("oneWayMs", () => {
  it("without jitter, loss or a range: exactly half of each leg's round trip plus serialisation", () => {
    const random = new Random(1);
    // 1 Mbps is 1,000 bits per ms: 500 bytes take 4 ms at the slower leg.
    assert.equal(
      oneWayMs(link({ rttMs: 10, bandwidthMbps: 1 }), link({ rttMs: 30, bandwidthMbps: 100 }), 500, random),
      5 + 15 + 4,
    );
  });

  const cases: Array<{
    what: string;
    from: LinkConfig;
    to: LinkConfig;
    bytes: number;
    expected: number;
    tolerance: number;
  }> = [
    {
      what: "round trips drawn from ranges: the mean of their halves",
      from: link({ rttMs: [10, 30] }),
      to: link({ rttMs: [40, 60] }),
      bytes: 0,
      expected: 10 + 25,
      tolerance: 0.15,
    },
    {
      what: "jitter around a round trip far from zero adds nothing on average",
      from: link({ rttMs: 100, jitterMs: 5 }),
      to: link({ rttMs: 100, jitterMs: 5 }),
      bytes: 0,
      expected: 100,
      tolerance: 0.15,
    },
    {
      what: "the bandwidth term: bytes · 8 / the slower leg's bits per ms",
      from: link({ rttMs: 0, bandwidthMbps: 8 }),
      to: link({ rttMs: 0, bandwidthMbps: 80 }),
      bytes: 100_000,
      expected: 100,
      tolerance: 1e-9,
    },
    // Retransmissions until one gets through: on average loss / (1 − loss) of them, each a timeout.
    {
      what: "loss on one leg",
      from: link({ rttMs: 20, loss: 0.2, retransmitMs: 200 }),
      to: link({ rttMs: 20 }),
      bytes: 0,
      expected: 20 + (0.2 / 0.8) * 200,
      tolerance: 1.5,
    },
    {
      what: "loss on both legs, the longer timeout",
      from: link({ rttMs: 0, loss: 0.1, retransmitMs: 100 }),
      to: link({ rttMs: 0, loss: 0.3, retransmitMs: 300 }),
      bytes: 0,
      expected: ((1 - 0.9 * 0.7) / (0.9 * 0.7)) * 300,
      tolerance: 4,
    },
  ];
  for (const c of cases) {
    it(c.what, () => {
      const random = new Random(42);
      const observed = mean(100_000, () => oneWayMs(c.from, c.to, c.bytes, random));
      assert.ok(
        Math.abs(observed - c.expected) <= c.tolerance,
        `mean ${observed}, expected ${c.expected} ± ${c.tolerance}`,
      );
    });
  }

  it("jitter never makes a trip negative", () => {
    const random = new Random(3);
    const near = link({ rttMs: 1, jitterMs: 10 });
    for (let i = 0; i < 10_000; i++) assert.ok(oneWayMs(near, near, 0, random) >= 0);
  });

  it("a link's mean round trip is its range's middle", () => {
    assert.equal(meanRttMs(link({ rttMs: [10, 30] })), 20);
    assert.equal(meanRttMs(link({ rttMs: 7 })), 7);
  });
});
