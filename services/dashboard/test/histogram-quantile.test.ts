import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { histogramQuantile } from "../src/feed/histogram-quantile.js";

// Buckets 0.1, 0.5, 1, +Inf with 10, 30, 40, 40 observations (cumulative).
const buckets = [
  { le: 0.1, count: 10 },
  { le: 0.5, count: 30 },
  { le: 1, count: 40 },
  { le: Infinity, count: 40 },
];

void describe("histogramQuantile (Prometheus' histogram_quantile)", () => {
  const cases: { name: string; phi: number; buckets: typeof buckets; want: number | null }[] = [
    // rank 20: second bucket (10..30), 10 of its 20 in → 0.1 + 0.4 × 0.5
    { name: "median interpolated inside its bucket", phi: 0.5, buckets, want: 0.3 },
    // rank 38: third bucket (30..40), 8 of 10 → 0.5 + 0.5 × 0.8
    { name: "p95", phi: 0.95, buckets, want: 0.9 },
    // rank 5: first bucket starts at 0 → 0.1 × 0.5
    { name: "the first bucket starts at zero", phi: 0.125, buckets, want: 0.05 },
    {
      name: "a quantile in +Inf is the highest finite bound",
      phi: 0.99,
      buckets: [
        { le: 0.1, count: 1 },
        { le: 1, count: 2 },
        { le: Infinity, count: 10 },
      ],
      want: 1,
    },
    { name: "nothing observed", phi: 0.5, buckets: buckets.map((b) => ({ ...b, count: 0 })), want: null },
    { name: "no +Inf bucket", phi: 0.5, buckets: buckets.slice(0, 3), want: null },
    { name: "phi out of range", phi: 1.5, buckets, want: null },
    {
      name: "buckets given in any order",
      phi: 0.5,
      buckets: [buckets[3]!, buckets[1]!, buckets[0]!, buckets[2]!],
      want: 0.3,
    },
    {
      name: "a count that drops (a racing scrape) is lifted",
      phi: 0.5,
      buckets: [
        { le: 0.1, count: 10 },
        { le: 0.5, count: 8 },
        { le: 1, count: 20 },
        { le: Infinity, count: 20 },
      ],
      // counts become 10, 10, 20: rank 10 is met by the first bucket → its upper bound
      want: 0.1,
    },
  ];
  for (const c of cases)
    void it(c.name, () => {
      const got = histogramQuantile(c.phi, c.buckets);
      if (c.want === null) assert.equal(got, null);
      else assert.ok(got !== null && Math.abs(got - c.want) < 1e-9, `got ${got}, want ${c.want}`);
    });
});
