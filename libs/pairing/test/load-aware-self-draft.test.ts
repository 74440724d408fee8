import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  loadAware,
  PAIRING_TUNING_DEFAULTS,
  predictAloneRate,
  predictPairRate,
  predictSelfDraftRate,
  type PairingContext,
} from "#pairing";
import { d, pair, request, v } from "./workers.js";

/** Load-aware with a verifier that drafts for itself (fused execution, SELF_DRAFT_MODEL). */
describe("load-aware: a verifier drafting for itself", () => {
  const policy = loadAware();
  // A target of ~30 ms a pass, a little more per extra token: speculation pays.
  const verifyMsByWindow = [
    { window: 0, ms: 30 },
    { window: 4, ms: 40 },
    { window: 8, ms: 50 },
  ];
  const selfDraft = { model: { name: "small" }, draftMsPerToken: 0.5, maxWindow: 16 };
  const agreeing: PairingContext = { acceptance: () => 0.9 };

  it("predicts drafting for itself above one token per pass, and nothing without a draft model", () => {
    const plain = v("v1", 0, 4, { profile: { verifyMsByWindow } });
    const fused = v("v1", 0, 4, { profile: { verifyMsByWindow, selfDraft } });
    assert.equal(predictSelfDraftRate(plain, undefined, agreeing), null);
    const oneByOne = predictAloneRate(plain, undefined, agreeing);
    const selfRate = predictSelfDraftRate(fused, undefined, agreeing)!;
    assert.ok(selfRate > 2 * oneByOne, `${selfRate} vs ${oneByOne}`);
    assert.equal(predictAloneRate(fused, undefined, agreeing), selfRate);
  });

  it("a draft model the target rarely agrees with is not worth drafting: one token per pass", () => {
    const fused = v("v1", 0, 4, { profile: { verifyMsByWindow, selfDraft } });
    const disagreeing: PairingContext = { acceptance: () => 0.05 };
    const plain = v("v1", 0, 4, { profile: { verifyMsByWindow } });
    assert.equal(predictAloneRate(fused, undefined, disagreeing), predictAloneRate(plain, undefined, disagreeing));
  });

  it("drafts for itself rather than pair with a drafter across a slow network", () => {
    const verifier = v("v1", 0, 4, { profile: { verifyMsByWindow, selfDraft }, brokerRttMs: 1 });
    const drafter = d("d1", 0, 4, { profile: { draftMsPerToken: 0.5 }, brokerRttMs: 80 });
    const decision = policy([verifier, drafter], request, agreeing);
    assert.equal(decision.kind, "alone", JSON.stringify(decision));
    assert.ok(predictAloneRate(verifier, undefined, agreeing) > predictPairRate({ verifier, drafter }, agreeing));
  });

  it("…even before the remote drafter's model has a history with the target", () => {
    const verifier = v("v1", 0, 4, { profile: { verifyMsByWindow, selfDraft }, brokerRttMs: 1 });
    const drafter = d("d1", 0, 4, { modelName: "other", profile: { draftMsPerToken: 0.5 }, brokerRttMs: 80 });
    const decision = policy([verifier, drafter], request, {});
    assert.equal(decision.kind, "alone", JSON.stringify(decision));
  });

  it("predicts its own windows up to SELF_DRAFT_MAX_WINDOW, past a remote pair's cap", () => {
    // A draft the target nearly always agrees with: the longer the window, the better.
    const nearlyAlways: PairingContext = { acceptance: () => 0.99 };
    const rateWithCap = (maxWindow: number) =>
      predictSelfDraftRate(
        v("v1", 0, 4, { profile: { verifyMsByWindow, selfDraft: { ...selfDraft, maxWindow } } }),
        { ...PAIRING_TUNING_DEFAULTS.loadAware, maxWindow: 12 },
        nearlyAlways,
      )!;
    assert.ok(rateWithCap(64) > rateWithCap(12) * 1.1, `${rateWithCap(64)} vs ${rateWithCap(12)}`);
  });

  it("pairs with a near drafter that drafts much faster than the co-located model", () => {
    const slowSelf = { ...selfDraft, draftMsPerToken: 20 };
    const verifier = v("v1", 0, 4, { profile: { verifyMsByWindow, selfDraft: slowSelf }, brokerRttMs: 0.1 });
    const drafter = d("d1", 0, 4, { profile: { draftMsPerToken: 0.2 }, brokerRttMs: 0.1 });
    assert.deepEqual(policy([verifier, drafter], request, agreeing), pair("v1", "d1"));
  });
});
