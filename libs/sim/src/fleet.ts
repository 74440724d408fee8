import { readFileSync } from "node:fs";
import type { WorkerView } from "#pairing";
import { byWindow, verifyCostCurve } from "#window";
import { acceptanceModel, type AcceptanceModel } from "./acceptance.js";
import {
  drafterProfileSchema,
  fromConfigDir,
  verifierProfileSchema,
  type DrafterProfile,
  type LinkConfig,
  type SimConfig,
  type VerifierProfile,
} from "./config.js";
import { meanRttMs } from "./network.js";

/** The model name every simulated verifier serves. */
export const TARGET_MODEL = "target";
const VOCAB = "sim-vocab";

/** A simulated verifier: its costs, its queue of work and what it has done. */
export interface SimVerifier {
  id: string;
  view: WorkerView;
  profile: VerifierProfile;
  cost: (tokens: number) => number;
  link: LinkConfig;
  maxBatch: number;
  /** The cell (region) it serves in (cells.ts). */
  cell: number;
  /** Fused execution: the drafter that runs on this machine, sharing its processor. */
  fused: SimDrafter | null;
  busy: boolean;
  busyMs: number;
  sessionsServed: number;
}

export interface SimDrafter {
  id: string;
  model: string;
  view: WorkerView;
  profile: DrafterProfile;
  link: LinkConfig;
  acceptance: AcceptanceModel;
  /** Fused: the verifier whose processor it drafts on. */
  host: SimVerifier | null;
  /** The cell (region) it drafts in (cells.ts). */
  cell: number;
  busy: boolean;
  busyMs: number;
}

export interface SimFleet {
  verifiers: SimVerifier[];
  drafters: SimDrafter[];
  /** Every worker's view, in id order (what the pairing policy is shown). */
  views: WorkerView[];
}

/** A profile written inline, or the path of a `specfleet profile` file (relative to the configuration's folder). */
function loadProfile<T>(profile: string | T, schema: { parse(value: unknown): T }, baseDir: string): T {
  if (typeof profile !== "string") return profile;
  const path = fromConfigDir(baseDir, profile);
  let raw: string;
  try {
    raw = readFileSync(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read the profile ${path}: ${(error as Error).message}`);
  }
  try {
    return schema.parse(JSON.parse(raw));
  } catch (error) {
    throw new Error(`${path} is not a profile (make one with \`specfleet profile\`): ${(error as Error).message}`);
  }
}

export function buildFleet(config: SimConfig, baseDir: string): SimFleet {
  const drafting = {
    windowPolicy: config.policies.window.policy,
    window: config.policies.window.window,
    maxWindow: config.policies.window.maxWindow,
    pipelined: false,
  };
  const verifiers: SimVerifier[] = [];
  const drafters: SimDrafter[] = [];
  const fused = config.execution === "fused";
  for (const group of config.verifiers) {
    const profile = loadProfile(group.profile, verifierProfileSchema, baseDir);
    const cost = verifyCostCurve(profile.verifyMsByTokens);
    for (let i = 0; i < group.count; i++) {
      const id = `${group.name}-${i}`;
      const verifier: SimVerifier = {
        id,
        view: {
          id,
          role: "verifier",
          modelName: TARGET_MODEL,
          // Fused: a verifier's own drafter is its only partner.
          vocabFingerprint: fused ? `${VOCAB}/${id}` : VOCAB,
          ready: true,
          activeSessions: 0,
          maxSessions: group.maxSessions,
          // What a real verifier registers: its passes timed at a few windows.
          profile: { verifyMsByWindow: byWindow(cost) },
          brokerRttMs: meanRttMs(group.link),
        },
        profile,
        cost,
        link: group.link,
        maxBatch: group.maxBatch > 0 ? group.maxBatch : Number.POSITIVE_INFINITY,
        // Each group's workers are dealt over the regions in turn.
        cell: i % config.regions,
        fused: null,
        busy: false,
        busyMs: 0,
        sessionsServed: 0,
      };
      verifiers.push(verifier);
      if (fused) {
        const drafter = group.fusedDrafter!;
        const drafterProfile = loadProfile(drafter.profile, drafterProfileSchema, baseDir);
        const local = { ...group.link, rttMs: { min: 0, max: 0 }, jitterMs: 0, loss: 0 };
        verifier.fused = makeDrafter(
          `${id}/drafter`,
          `${group.name}-drafter`,
          drafterProfile,
          group.maxSessions,
          local,
          acceptanceModel(drafter.acceptance ?? config.acceptance),
          verifier.view.vocabFingerprint,
          drafting,
        );
        verifier.fused.host = verifier;
        verifier.fused.cell = verifier.cell;
        verifier.fused.view.brokerRttMs = 0;
        verifier.view.brokerRttMs = 0;
        drafters.push(verifier.fused);
      }
    }
  }
  if (!fused) {
    for (const group of config.drafters) {
      const profile = loadProfile(group.profile, drafterProfileSchema, baseDir);
      const acceptance = acceptanceModel(group.acceptance ?? config.acceptance);
      for (let i = 0; i < group.count; i++) {
        const drafter = makeDrafter(
          `${group.name}-${i}`,
          group.name,
          profile,
          group.maxSessions,
          group.link,
          acceptance,
          VOCAB,
          drafting,
        );
        if (group.power) drafter.view.power = group.power;
        drafter.cell = i % config.regions;
        drafters.push(drafter);
      }
    }
  }
  // In id order, as every pairing policy sorts them: sorting sorted views each decision is cheap.
  const views = [...verifiers.map((v) => v.view), ...drafters.map((d) => d.view)].sort(byId);
  return { verifiers, drafters, views };
}

const byId = (a: WorkerView, b: WorkerView) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

function makeDrafter(
  id: string,
  model: string,
  profile: DrafterProfile,
  maxSessions: number,
  link: LinkConfig,
  acceptance: AcceptanceModel,
  vocabFingerprint: string,
  drafting: WorkerView["drafting"],
): SimDrafter {
  return {
    id,
    model,
    view: {
      id,
      role: "drafter",
      modelName: model,
      vocabFingerprint,
      ready: true,
      activeSessions: 0,
      maxSessions,
      profile: { draftMsPerToken: profile.draftMsPerToken },
      brokerRttMs: meanRttMs(link),
      drafting,
    },
    profile,
    link,
    acceptance,
    host: null,
    cell: 0,
    busy: false,
    busyMs: 0,
  };
}
