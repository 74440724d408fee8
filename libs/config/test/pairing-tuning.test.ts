import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, pairingTuningOf, parseConfig, schedulerConfigSchema } from "#config";
import { PAIRING_TUNING_DEFAULTS, type PairingTuning } from "#pairing";

const tuningOf = (env: NodeJS.ProcessEnv) => pairingTuningOf(parseConfig(schedulerConfigSchema, env));

describe("the scheduler's pairing tuning variables", () => {
  it("unset, every tuning value keeps its default", () => {
    assert.deepEqual(tuningOf({}), PAIRING_TUNING_DEFAULTS);
  });

  // Each variable, the tuning field it sets, and a valid value other than the default.
  const mapping: Array<[variable: string, part: keyof PairingTuning, field: string, value: number]> = [
    ["LOAD_AWARE_PRIOR_ACCEPTANCE", "loadAware", "priorAcceptance", 0.7],
    ["LOAD_AWARE_DEFAULT_RTT_MS", "loadAware", "defaultRoundTripMs", 12],
    ["LOAD_AWARE_DEFAULT_DRAFT_MS_PER_TOKEN", "loadAware", "defaultDraftMsPerToken", 3.5],
    ["LOAD_AWARE_LOW_BATTERY", "loadAware", "lowBattery", 0.1],
    ["LOAD_AWARE_MAX_WINDOW", "loadAware", "maxWindow", 8],
    ["LOAD_AWARE_ROUND_OVERHEAD_MS", "loadAware", "roundOverheadMs", 2],
    ["LOAD_AWARE_OTHERS_DECODE_TOKENS", "loadAware", "othersDecodeTokens", 3],
    ["LOAD_AWARE_WAIT_GAIN", "loadAware", "waitGain", 0.5],
    ["LOAD_AWARE_WAIT_MAX_WORKERS", "loadAware", "waitMaxWorkers", 0],
    ["LOAD_AWARE_EXHAUSTIVE_PAIRS", "loadAware", "exhaustivePairs", 1024],
    ["LOAD_AWARE_SHORTLIST", "loadAware", "shortlist", 4],
    ["SCHEDULER_REBALANCE_MIN_GAIN", "rebalance", "minGain", 0.3],
    ["SCHEDULER_REBALANCE_VERIFIER_MOVE_GAIN", "rebalance", "verifierMoveGain", 1],
    ["SCHEDULER_REBALANCE_COST_FACTOR", "rebalance", "costFactor", 3],
    ["SCHEDULER_REBALANCE_MAX_MOVES", "rebalance", "maxMoves", 4],
    ["SCHEDULER_REBALANCE_LOW_BATTERY_WEIGHT", "rebalance", "lowBatteryWeight", 0.25],
    ["SCHEDULER_REBALANCE_DRAFTER_PREFILL_SHARE", "rebalance", "drafterPrefillShare", 0.5],
  ];
  for (const [variable, part, field, value] of mapping) {
    it(`${variable} sets ${part}.${field}`, () => {
      const expected = structuredClone(PAIRING_TUNING_DEFAULTS) as PairingTuning;
      (expected[part] as Record<string, number>)[field] = value;
      assert.deepEqual(tuningOf({ [variable]: String(value) }), expected);
    });
  }
  it("every tuning value has a variable", () => {
    const fields = Object.entries(PAIRING_TUNING_DEFAULTS).flatMap(([part, values]) =>
      Object.keys(values).map((field) => `${part}.${field}`),
    );
    assert.deepEqual(mapping.map(([, part, field]) => `${part}.${field}`).sort(), fields.sort());
  });

  const refused: Array<[variable: string, value: string, why: string]> = [
    ["LOAD_AWARE_PRIOR_ACCEPTANCE", "1.5", "an acceptance is at most 1"],
    ["LOAD_AWARE_WAIT_GAIN", "-0.1", "a gain is not negative"],
    ["LOAD_AWARE_MAX_WINDOW", "4.5", "a window is whole"],
    ["LOAD_AWARE_SHORTLIST", "0", "a shortlist holds one at least"],
    ["SCHEDULER_REBALANCE_COST_FACTOR", "0.5", "moving must save at least its cost"],
    ["SCHEDULER_REBALANCE_LOW_BATTERY_WEIGHT", "0", "a weight of 0 would move every such session"],
    ["LOAD_AWARE_DEFAULT_RTT_MS", "fast", "not a number"],
  ];
  for (const [variable, value, why] of refused) {
    it(`refuses ${variable}=${value}: ${why}`, () => {
      assert.throws(
        () => parseConfig(schedulerConfigSchema, { [variable]: value }),
        (error: unknown) => error instanceof ConfigError && error.message.includes(`${variable}=`),
      );
    });
  }
});
