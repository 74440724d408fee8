/**
 * bench:audit — what auditing drafters costs a verifier and what it catches, in one run.
 *
 * Detection (pure, synthetic q as libs/speculation's tests): rounds until the draw check
 * quarantines each kind of liar, and false alarms over many honest rounds.
 * Cost (real models, in one process): a sampled speculative round on a target (the widened
 * stories260K-w1024) with a stories260K drafter, timing the verifier's side of each round: verify
 * + the draw check + (on a fraction φ of rounds) recomputing q with the drafter's model, for
 * φ = 0, 0.05, 0.2, 1 and no audit at all, in alternating blocks over the same seeded rounds.
 * The recomputes also give how far an honest q is from its recomputation (the tolerance).
 */
import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { defaultModelPath, projectRoot } from "#infra";
import {
  createLlama,
  createSessionContext,
  DraftReplay,
  loadModel,
  ModelSession,
  tokenizePrompt,
  verifyWindow,
} from "#llama";
import { ensureDerivedModel, RECIPES } from "#models";
import {
  compareQ,
  DEFAULT_DRAW_DETECTOR,
  draftAs,
  DRAFTER_KINDS,
  DrawDetector,
  drawPValue,
  randomDistribution,
  seededRandom,
  type DrafterKind,
  type SamplingParams,
} from "#speculation";
import { PROMPTS } from "../../test/support/fleet.js";
import { median, printTable } from "../support/report.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("bench:audit")
  .usage("$0 [options]\n\nThe drafter audit's cost per verified round and its detection.")
  .option("target", { type: "string", describe: "target GGUF [default: stories260K-w1024, built if needed]" })
  .option("drafter", { type: "string", describe: "drafter GGUF [default: stories260K]" })
  .option("window", { type: "number", default: 4, describe: "γ" })
  .option("tokens", { type: "number", default: 48, describe: "tokens per request" })
  .option("blocks", { type: "number", default: 3, describe: "alternating blocks per audit setting" })
  .option("liars", { type: "number", default: 200, describe: "synthetic liars per kind" })
  .option("honest-rounds", { type: "number", default: 250_000, describe: "synthetic honest rounds for false alarms" })
  .option("threads", { type: "number", default: 1 })
  .strict()
  .help()
  .parseAsync();

detection();
await cost();

function detection(): void {
  const rows: string[][] = [];
  const window = argv.window;
  for (const kind of DRAFTER_KINDS.filter((k) => k !== "honest")) {
    const rounds = Array.from({ length: argv.liars }, (_, i) => roundsToCatch(kind, 1000 + i, window, 2000));
    const caught = rounds.filter(Number.isFinite);
    rows.push([kind, `${caught.length}/${rounds.length}`, String(median(caught)), String(Math.max(...caught))]);
  }
  const honest = roundsToCatch("honest", 1, window, argv.honestRounds);
  const draws = argv.honestRounds * window;
  rows.push([
    "honest",
    `${Number.isFinite(honest) ? 1 : 0}/1 over ${argv.honestRounds.toLocaleString("en")} rounds`,
    "—",
    `bound 2N/A = ${((2 * draws) / Math.exp(DEFAULT_DRAW_DETECTOR.logThreshold)).toExponential(1)}`,
  ]);
  printTable(
    `draw check, γ = ${window}, synthetic q (1–64 tokens, random Zipf exponent 0.3–2, ties): rounds until quarantine`,
    ["drafter", "caught", "median rounds", "max rounds"],
    rows,
  );
}

function roundsToCatch(kind: DrafterKind, seed: number, window: number, limit: number): number {
  const random = seededRandom(seed);
  const detector = new DrawDetector();
  for (let round = 1; round <= limit; round++)
    for (let i = 0; i < window; i++) {
      const sent = draftAs(kind, randomDistribution(random), random());
      if (detector.observe(drawPValue(sent.q, sent.token, random()))) return round;
    }
  return Infinity;
}

async function cost(): Promise<void> {
  const targetPath =
    argv.target ??
    (await ensureDerivedModel(defaultModelPath(), RECIPES.w1024, join(projectRoot(), ".cache", "models")));
  const drafterPath = argv.drafter ?? defaultModelPath();
  const llama = await createLlama(argv.threads);
  const target = await loadModel(llama, targetPath);
  const drafter = await loadModel(llama, drafterPath);
  const contextSize = 256;
  const targetContext = await createSessionContext(target.model, { sequences: 1, contextSize, threads: argv.threads });
  const drafterContext = await createSessionContext(drafter.model, {
    sequences: 1,
    contextSize,
    threads: argv.threads,
  });
  const auditContext = await createSessionContext(drafter.model, { sequences: 1, contextSize, threads: argv.threads });
  const replay = new DraftReplay(auditContext);
  const settings: Array<{ name: string; fraction: number | null }> = [
    { name: "no audit", fraction: null },
    { name: "draw check, φ = 0", fraction: 0 },
    { name: "φ = 0.05", fraction: 0.05 },
    { name: "φ = 0.2", fraction: 0.2 },
    { name: "φ = 1", fraction: 1 },
  ];
  const times = new Map<string, number[]>(settings.map((s) => [s.name, []]));
  const honest = { positions: 0, maxTv: 0, maxLogRatio: 0, redrawsDiffer: 0, recomputes: 0, recomputeMs: 0 };
  for (let block = 0; block < argv.blocks; block++)
    for (const setting of settings) {
      process.stderr.write(`  block ${block + 1}/${argv.blocks}: ${setting.name}…\n`);
      times.get(setting.name)!.push(...(await rounds(setting.fraction, block)));
    }
  const base = median(times.get("no audit")!);
  printTable(
    `verifier ms per sampled round (verify + audit), target ${targetPath.split("/").pop()}, drafter ${drafterPath
      .split("/")
      .pop()}, γ = ${argv.window}, ${argv.threads} thread(s) each, ${argv.blocks} alternating blocks`,
    ["audit", "rounds", "median ms / round", "mean ms / round", "median / no audit"],
    settings.map(({ name }) => {
      const t = times.get(name)!;
      const mean = t.reduce((s, x) => s + x, 0) / t.length;
      return [name, String(t.length), median(t).toFixed(2), mean.toFixed(2), `${(median(t) / base).toFixed(3)}×`];
    }),
  );
  printTable(
    "honest drafter: q sent against its recomputation (what the tolerance must cover)",
    [
      "recomputed rounds",
      "positions",
      "ms per recompute",
      "max total variation",
      "max ln ratio of q(x)",
      "seeded redraws differing",
    ],
    [
      [
        String(honest.recomputes),
        String(honest.positions),
        (honest.recomputeMs / Math.max(1, honest.recomputes)).toFixed(2),
        honest.maxTv.toExponential(2),
        honest.maxLogRatio.toExponential(2),
        String(honest.redrawsDiffer),
      ],
    ],
  );
  await llama.dispose();

  /** Every prompt's request, γ per round; each round's verifier-side ms. */
  async function rounds(fraction: number | null, block: number): Promise<number[]> {
    const ms: number[] = [];
    const pick = seededRandom(77 + block);
    for (const [p, prompt] of PROMPTS.entries()) {
      const sampling: SamplingParams = { temperature: 1, topK: 0, topP: 1, seed: 1000 * block + p };
      const promptTokens = tokenizePrompt(target.model, prompt);
      const t = await ModelSession.open(targetContext, promptTokens);
      const d = await ModelSession.open(drafterContext, promptTokens);
      const detector = new DrawDetector();
      while (t.position - promptTokens.length < argv.tokens) {
        const position = t.position;
        const context = t.ledger.committedTokens();
        const draft = await d.draft(argv.window, sampling);
        const started = performance.now();
        if (fraction !== null)
          for (const [i, token] of draft.tokens.entries())
            detector.observe(drawPValue(draft.q[i]!, token, Math.random()));
        const verdict = await verifyWindow(t, draft.tokens, draft.q, sampling);
        await t.commit(position, verdict.tokens);
        if (fraction !== null && fraction > 0 && pick() < fraction) {
          const recomputing = performance.now();
          const replayed = await replay.replay(context, draft.tokens, sampling);
          honest.recomputeMs += performance.now() - recomputing;
          honest.recomputes++;
          for (const [i, token] of draft.tokens.entries()) {
            const c = compareQ(draft.q[i]!, replayed.q[i]!, token);
            honest.positions++;
            honest.maxTv = Math.max(honest.maxTv, c.totalVariation);
            honest.maxLogRatio = Math.max(honest.maxLogRatio, c.logRatioAtToken);
            if (replayed.drawn[i] !== token) honest.redrawsDiffer++;
          }
        }
        ms.push(performance.now() - started);
        await d.commit(position, verdict.tokens);
      }
      if (detector.alarmed) throw new Error("the draw check flagged an honest drafter");
      await t.dispose();
      await d.dispose();
    }
    return ms;
  }
}
