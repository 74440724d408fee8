/** bench:peer's results: medians per setup and concurrency, ratios to llama-server, text agreement. */
import { median, printTable } from "../support/report.js";
import type { PeerSetup } from "./setup.js";

export interface Measurement {
  setup: PeerSetup;
  concurrency: number;
  repeat: number;
  tokensPerSecond: number;
  tokens: number;
  texts: string[];
}

export interface Failure {
  setup: PeerSetup;
  repeat: number;
  error: string;
}

const fmt = (value: number | undefined) => (value === undefined ? "–" : value.toFixed(1));
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? "–" : `${(a / b).toFixed(2)}×`;

/** Median tokens/s of a setup at a concurrency over the repeats; undefined when it never ran. */
function medianRate(measurements: readonly Measurement[], setup: PeerSetup, concurrency: number) {
  const rates = measurements
    .filter((m) => m.setup === setup && m.concurrency === concurrency)
    .map((m) => m.tokensPerSecond);
  return rates.length === 0 ? undefined : median(rates);
}

/** llama-server's best speculative setup at a concurrency, by median tokens/s. */
export function bestSpeculative(
  measurements: readonly Measurement[],
  setups: readonly PeerSetup[],
  concurrency: number,
) {
  let best: { setup: PeerSetup; rate: number } | undefined;
  for (const setup of setups) {
    if (setup.side !== "llama-server" || !setup.speculative) continue;
    const rate = medianRate(measurements, setup, concurrency);
    if (rate !== undefined && (best === undefined || rate > best.rate)) best = { setup, rate };
  }
  return best;
}

/** A greedy text that departed from the reference. */
export interface Divergence {
  measurement: Measurement;
  prompt: number;
  /** The first character that differs. */
  at: number;
  /** Why, when known (divergence.ts). */
  explanation?: string;
}

/**
 * Prompts whose answer differs from llama-server's target-only answer at one stream (the
 * reference: the target decoding alone), per setup and concurrency, over every repeat.
 */
export function textDivergences(measurements: readonly Measurement[]): Divergence[] | "no reference" {
  const reference = referenceRun(measurements);
  if (reference === undefined) return "no reference";
  const found: Divergence[] = [];
  for (const m of measurements) {
    m.texts.forEach((text, prompt) => {
      const expected = reference.texts[prompt]!;
      if (text === expected) return;
      let at = 0;
      while (at < text.length && text[at] === expected[at]) at++;
      found.push({ measurement: m, prompt, at });
    });
  }
  return found;
}

export function referenceRun(measurements: readonly Measurement[]): Measurement | undefined {
  return measurements.find((m) => m.setup.label === "llama-server target only" && m.concurrency === 1);
}

function describeDivergence(d: Divergence, reference: Measurement, prompts: readonly string[]): string {
  const m = d.measurement;
  const text = m.texts[d.prompt]!;
  const expected = reference.texts[d.prompt]!;
  return (
    `${m.setup.label}, ${m.concurrency} at a time, repeat ${m.repeat + 1}: prompt ${d.prompt + 1} ${JSON.stringify(prompts[d.prompt])} differs from character ${d.at} ` +
    `(${JSON.stringify(text.slice(d.at, d.at + 24))} vs ${JSON.stringify(expected.slice(d.at, d.at + 24))})` +
    (d.explanation === undefined ? "" : `: ${d.explanation}`)
  );
}

export function printPeerReport(
  measurements: readonly Measurement[],
  failures: readonly Failure[],
  setups: readonly PeerSetup[],
  concurrencies: readonly number[],
  prompts: readonly string[],
  divergences: Divergence[] | "no reference",
): void {
  const best = new Map(concurrencies.map((c) => [c, bestSpeculative(measurements, setups, c)]));
  const targetOnly = setups.find((s) => s.label === "llama-server target only");
  const header = [
    "setup",
    ...concurrencies.map((c) => (c === 1 ? "one stream, tok/s" : `${c} concurrent, total tok/s`)),
    ...concurrencies.map((c) => `/ llama-server best speculative (${c === 1 ? "one stream" : `${c} concurrent`})`),
  ];
  const rows = setups.map((setup) => {
    const rates = concurrencies.map((c) => medianRate(measurements, setup, c));
    return [setup.label, ...rates.map(fmt), ...concurrencies.map((c, i) => ratio(rates[i], best.get(c)?.rate))];
  });
  printTable("tokens/s (median over the repeats), greedy", header, rows);
  for (const c of concurrencies) {
    const b = best.get(c);
    console.log(
      `llama-server's best speculative at ${c === 1 ? "one stream" : `${c} concurrent`}: ${b ? `${b.setup.label}, ${fmt(b.rate)} tok/s` : "none measured"}`,
    );
  }
  for (const setup of setups.filter((s) => s.side === "specfleet")) {
    const parts = concurrencies.map((c) => {
      const rate = medianRate(measurements, setup, c);
      return `${c === 1 ? "one stream" : `${c} concurrent`} ${ratio(rate, best.get(c)?.rate)} of best speculative, ${ratio(rate, targetOnly && medianRate(measurements, targetOnly, c))} of target only`;
    });
    console.log(`${setup.label}: ${parts.join("; ")}`);
  }
  const reference = referenceRun(measurements);
  if (divergences === "no reference" || reference === undefined)
    console.log("\nGreedy texts: no llama-server target-only run to compare with");
  else
    console.log(
      divergences.length === 0
        ? `\nGreedy texts: every setup, every run, every prompt equals llama-server target only (${measurements.length} runs × ${prompts.length} prompts).`
        : `\nGreedy texts that differ from llama-server target only (${divergences.length}):\n  ${divergences.map((d) => describeDivergence(d, reference, prompts)).join("\n  ")}`,
    );
  if (failures.length > 0)
    console.log(
      `\nFailed (${failures.length}):\n  ${failures.map((f) => `${f.setup.label}: ${f.error}`).join("\n  ")}`,
    );
}
