import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  projectRoot,
  queryPrometheus,
  startPrometheus,
  type LocalFleet,
  type PrometheusHandle,
  type PromSample,
} from "#infra";
import { ensureDerivedModel, RECIPES } from "#models";
import { MODEL, MODEL_PATH, PROMPTS, startTestFleet } from "../support/fleet.js";
import { panelQueries, shippedDashboard } from "../support/grafana.js";
import { docPromQL } from "../support/metrics-doc.js";
import { complete } from "../support/openai-client.js";

const ADMIN_TOKEN = "prometheus-test-admin";
const VIEWER_TOKEN = "prometheus-test-viewer";
const LOAD_MS = 20_000;
const CONCURRENCY = 4;
const MAX_TOKENS = 48;
const DRAFTERS = ["drafter-1", "drafter-2"] as const;
/** What Grafana would put for a 15-minute view over a 1 s scrape, widened to cover the whole load. */
const INTERVALS = { rateInterval: "1m", interval: "15s" };

/** What the clients saw: the counters must end at these. */
interface LoadResult {
  requests: number;
  tokens: number;
}

/**
 * A real Prometheus (Debian's package) scraping a real fleet's one `/metrics` (the dashboard's,
 * behind its viewer token) every second, under a few concurrent streamed requests for ~20 s,
 * asked through its HTTP API: throughput, acceptance, TTFT p95, counters that match what the
 * clients received, and every query of the shipped Grafana dashboard.
 */
describe("Prometheus scraping a fleet", () => {
  let fleet: LocalFleet;
  let prometheus: PrometheusHandle;
  let load: LoadResult;

  const query = (expr: string) => queryPrometheus(prometheus.url, expr);
  const scalar = async (expr: string) => {
    const samples = await query(expr);
    assert.equal(samples.length, 1, `${expr}: one series, got ${JSON.stringify(samples)}`);
    return samples[0]!.value;
  };

  before(async () => {
    // Two pairs that differ: a drafter with a layer dropped (it guesses wrong now and then) and the original.
    const weaker = await ensureDerivedModel(MODEL_PATH, RECIPES.L4of5, join(projectRoot(), ".cache", "models"));
    fleet = await startTestFleet("prometheus", {
      verifiers: 1,
      // Two sessions per drafter: the four concurrent requests need both.
      drafters: [
        { id: DRAFTERS[0], modelPath: weaker, env: { MAX_SESSIONS: "2" } },
        { id: DRAFTERS[1], env: { MAX_SESSIONS: "2" } },
      ],
      maxSessions: 4,
      window: 4,
      draftTemperature: 0,
      dashboard: true,
      serviceEnv: { dashboard: { DASHBOARD_ADMIN_TOKEN: ADMIN_TOKEN, DASHBOARD_VIEWER_TOKEN: VIEWER_TOKEN } },
    });
    assert.ok(fleet.dashboardUrl, "the fleet runs a dashboard");
    prometheus = await startPrometheus({
      targets: [{ job: "specfleet", url: `${fleet.dashboardUrl}/metrics`, bearerToken: VIEWER_TOKEN }],
      scrapeIntervalS: 1,
      output: { logFile: ".cache/test-logs/prometheus/prometheus.log" },
    });
    await until("Prometheus scrapes the dashboard", async () => (await query('up{job="specfleet"} == 1')).length > 0);
    load = await runLoad(fleet.gatewayUrl, async (phase) => {
      // Mid-load, drain both drafters and take them back: the scheduler moves sessions (moves by kind).
      for (const id of DRAFTERS) await setDraining(fleet.dashboardUrl!, id, phase === "drain");
    });
    // The last reports reach Prometheus a report period plus a scrape after the last token.
    await until("Prometheus has every generated token", async () => {
      const samples = await query("sum(specfleet:generation_tokens_total)");
      return samples[0]?.value === load.tokens;
    });
  });

  after(async () => {
    await prometheus?.stop();
    await fleet?.stop();
  });

  it("counts what the clients received", async () => {
    assert.ok(load.requests >= CONCURRENCY, `the load finished requests (${load.requests})`);
    assert.equal(await scalar(`sum(specfleet:generation_tokens_total{model="${MODEL}"})`), load.tokens);
    assert.equal(await scalar("sum(specfleet:request_success_total)"), load.requests);
    assert.equal(await scalar('sum(specfleet:request_success_total{finished_reason="length"})'), load.requests);
    assert.equal(await scalar("sum(specfleet:time_to_first_token_seconds_count)"), load.requests);
    // Every process reports, each under its own actor and process labels.
    const actors = await query("count by (actor) (count by (actor, process) ({__name__=~'specfleet:.+'}))");
    assert.deepEqual(actors.map((s) => s.metric["actor"]).sort(), [
      "draft-worker",
      "gateway",
      "registry",
      "scheduler",
      "verify-worker",
    ]);
  });

  it("gives throughput, acceptance and TTFT p95", async (t) => {
    const throughput = await scalar(`sum(rate(specfleet:generation_tokens_total[${INTERVALS.rateInterval}]))`);
    assert.ok(throughput > 0, `throughput ${throughput} tokens/s`);

    const pairs = await query(
      `sum by (process, drafter) (rate(specfleet:spec_decode_num_accepted_tokens_total[${INTERVALS.rateInterval}]))` +
        ` / sum by (process, drafter) (rate(specfleet:spec_decode_num_draft_tokens_total[${INTERVALS.rateInterval}]))`,
    );
    assert.deepEqual(pairs.map((s) => `${s.metric["process"]}←${s.metric["drafter"]}`).sort(), [
      "verifier-1←drafter-1",
      "verifier-1←drafter-2",
    ]);
    for (const pair of pairs) assert.ok(pair.value > 0 && pair.value <= 1, `per-pair acceptance ${pair.value}`);
    const acceptance = await scalar(
      `sum(rate(specfleet:spec_decode_num_accepted_tokens_total[${INTERVALS.rateInterval}]))` +
        ` / sum(rate(specfleet:spec_decode_num_draft_tokens_total[${INTERVALS.rateInterval}]))`,
    );
    assert.ok(acceptance > 0 && acceptance <= 1, `acceptance rate ${acceptance} in (0, 1]`);
    const meanAccepted = await scalar(
      `1 + sum(specfleet:spec_decode_num_accepted_tokens_total) / sum(specfleet:spec_decode_num_drafts_total)`,
    );
    assert.ok(meanAccepted > 1 && Number.isFinite(meanAccepted), `mean accepted length ${meanAccepted} above 1`);

    const ttftP95 = await scalar(
      `histogram_quantile(0.95, sum by (le) (rate(specfleet:time_to_first_token_seconds_bucket[${INTERVALS.rateInterval}])))`,
    );
    assert.ok(Number.isFinite(ttftP95) && ttftP95 > 0, `TTFT p95 ${ttftP95} s`);
    t.diagnostic(
      `${load.requests} requests, ${load.tokens} tokens; ${throughput.toFixed(1)} tokens/s, acceptance ${acceptance.toFixed(3)}, ` +
        `mean accepted length ${meanAccepted.toFixed(2)}, TTFT p95 ${(ttftP95 * 1000).toFixed(1)} ms; per pair ` +
        pairs.map((s) => `${s.metric["drafter"]} ${s.value.toFixed(3)}`).join(", "),
    );
  });

  it("answers every Grafana panel's query with series", async (t) => {
    const queries = panelQueries(shippedDashboard(), INTERVALS);
    assert.ok(queries.length >= 15, `the dashboard has its panels' queries (${queries.length})`);
    const empty: string[] = [];
    for (const { panel, refId, expr, datasourceUid } of queries) {
      assert.equal(datasourceUid, "${datasource}", `${panel} ${refId} queries the dashboard's datasource variable`);
      const samples: PromSample[] = await query(expr); // throws on PromQL Prometheus refuses
      if (samples.length === 0) empty.push(`${panel} ${refId}: ${expr}`);
    }
    assert.deepEqual(empty, [], "panels without a series");
    const moves = await query("sum by (kind) (specfleet:scheduler_moves_total)");
    t.diagnostic(
      `${queries.length} panel queries; moves ${moves.map((s) => `${s.metric["kind"]}=${s.value}`).join(", ")}`,
    );
  });

  it("accepts every PromQL example of docs/metrics.md", async () => {
    const examples = docPromQL();
    assert.ok(examples.length >= 15, `docs/metrics.md has its examples (${examples.length})`);
    for (const expr of examples) await query(expr); // throws on PromQL Prometheus refuses
    // The per-pair example finds both pairs.
    const perPair = examples.find((expr) => expr.includes("sum by (process, drafter)"));
    assert.ok(perPair, "docs/metrics.md has a per-pair example");
    assert.equal((await query(perPair)).length, DRAFTERS.length, perPair);
  });
});

/** CONCURRENCY clients streaming completions back to back for LOAD_MS; `midway` at 40% ("drain") and 60% ("undrain"). */
async function runLoad(gatewayUrl: string, midway: (phase: "drain" | "undrain") => Promise<void>): Promise<LoadResult> {
  const result: LoadResult = { requests: 0, tokens: 0 };
  const end = Date.now() + LOAD_MS;
  const client = async (index: number) => {
    for (let i = index; Date.now() < end; i += CONCURRENCY) {
      const answer = await complete(gatewayUrl, {
        model: MODEL,
        prompt: PROMPTS[i % PROMPTS.length],
        max_tokens: MAX_TOKENS,
        stream: true,
      });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.ok(answer.done, "the stream ended with [DONE]");
      assert.equal(answer.finishReason, "length");
      result.requests += 1;
      result.tokens += answer.tokenIds.length;
    }
  };
  const operator = async () => {
    await sleep(LOAD_MS * 0.4);
    await midway("drain");
    await sleep(LOAD_MS * 0.2);
    await midway("undrain");
  };
  await Promise.all([...Array.from({ length: CONCURRENCY }, (_, i) => client(i)), operator()]);
  return result;
}

async function setDraining(dashboardUrl: string, workerId: string, draining: boolean): Promise<void> {
  const response = await fetch(`${dashboardUrl}/dashboard/api/devices/${workerId}/${draining ? "drain" : "undrain"}`, {
    method: "POST",
    headers: { Authorization: `Bearer ${ADMIN_TOKEN}` },
  });
  assert.equal(response.status, 200, `${draining ? "drain" : "undrain"} ${workerId}: ${await response.text()}`);
}

async function until(what: string, probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(250);
  }
}
