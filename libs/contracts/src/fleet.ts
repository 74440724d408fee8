import { z } from "zod";
// The window policy's names come from the lib that implements them (a pure lib with no imports
// of its own, so no cycle): one list for the wire, the configuration and the simulator.
import { WINDOW_POLICY_NAMES } from "#window";
import { eventContract, requestContract } from "./contract.js";
import { remoteErrorSchema, workerIdSchema } from "./common.js";

export const workerRoleSchema = z.enum(["drafter", "verifier"]);
export type WorkerRole = z.infer<typeof workerRoleSchema>;

export const modelDescriptorSchema = z.object({
  /** The name clients use in `model` (verifiers) or a label (drafters). */
  name: z.string().min(1).max(200),
  /** Hash of the tokenizer: only equal fingerprints may be paired. */
  vocabFingerprint: z.string().min(8).max(200),
});
export type ModelDescriptor = z.infer<typeof modelDescriptorSchema>;

/** Speeds a worker measured on itself at start-up (what the load-aware pairing predicts from). */
export const workerProfileSchema = z.object({
  /** Drafters: ms per drafted token. */
  draftMsPerToken: z.number().nonnegative().optional(),
  /** Verifiers: ms of one verify pass at a few windows γ (γ + 1 tokens per pass; libs/window verify-cost.ts). */
  verifyMsByWindow: z
    .array(z.object({ window: z.number().int().nonnegative(), ms: z.number().nonnegative() }))
    .max(32)
    .optional(),
  /**
   * Verifiers with a co-located draft model (SELF_DRAFT_MODEL): they draft for themselves for
   * sessions no remote drafter follows. Its model, ms per drafted token, and largest window.
   */
  selfDraft: z
    .object({
      model: modelDescriptorSchema,
      draftMsPerToken: z.number().nonnegative(),
      maxWindow: z.number().int().nonnegative().max(64),
    })
    .optional(),
});
export type WorkerProfile = z.infer<typeof workerProfileSchema>;

/** Where an edge device draws power from; `level` in [0, 1] when known. */
export const powerStateSchema = z.object({
  source: z.enum(["plugged", "charging", "battery"]),
  level: z.number().min(0).max(1).nullable(),
});
export type PowerState = z.infer<typeof powerStateSchema>;

/** What a drafter measured of one verifier it works with, lately. */
export const linkStatsSchema = z.object({
  verifierId: workerIdSchema,
  /** The network's share of a round (round trip minus the verifier's own time), ms. */
  roundTripMs: z.number().nonnegative().max(3_600_000),
  /** Accepted / drafted tokens with that verifier. */
  acceptance: z.number().min(0).max(1),
  rounds: z.number().int().nonnegative(),
});
export type LinkStats = z.infer<typeof linkStatsSchema>;

/** Drafters: how they choose each round's window (what a pair's predicted rate depends on). */
export const draftingSettingsSchema = z.object({
  windowPolicy: z.enum(WINDOW_POLICY_NAMES),
  /** The fixed window, or the adaptive policy's first one. */
  window: z.number().int().nonnegative(),
  maxWindow: z.number().int().nonnegative(),
  pipelined: z.boolean(),
});
export type DraftingSettings = z.infer<typeof draftingSettingsSchema>;

export const workerRegistrationSchema = z.object({
  workerId: workerIdSchema,
  role: workerRoleSchema,
  model: modelDescriptorSchema,
  // What a worker says of itself is bounded to what a device can be (docs/security.md): a claim
  // beyond cannot draw the whole fleet's load.
  deviceClass: z.string().min(1).max(64),
  threads: z.number().int().positive().max(1024),
  maxSessions: z.number().int().positive().max(1024),
  contextSize: z
    .number()
    .int()
    .positive()
    .max(1 << 22),
  startedAt: z.number(),
  profile: workerProfileSchema.default({}),
  drafting: draftingSettingsSchema.optional(),
  /**
   * What it speaks to its partner (libs/contracts protocol.ts `WORKER_PROTOCOL`): only workers of
   * equal protocols are paired. Absent from workers older than it: "unknown", paired only with
   * each other. Bounded (an edge drafter says it of itself); only its alphabet is fixed.
   */
  protocol: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/)
    .optional(),
});
export type WorkerRegistration = z.infer<typeof workerRegistrationSchema>;

export const workerTelemetrySchema = z.object({
  workerId: workerIdSchema,
  at: z.number(),
  activeSessions: z.number().int().nonnegative().max(1024),
  /** Sessions a verifier decodes alone because no drafter shares its vocabulary (or one left). */
  targetOnlySessions: z.number().int().nonnegative().max(1024),
  tokensPerSecond: z.number().nonnegative().max(1_000_000),
  rounds: z.number().int().nonnegative(),
  acceptedTokens: z.number().int().nonnegative(),
  draftedTokens: z.number().int().nonnegative(),
  rollbacks: z.number().int().nonnegative(),
  /** Verify rounds per forward pass, since start (verifiers; 0 for drafters). */
  meanBatchSize: z.number().nonnegative().max(1024),
  memoryRssBytes: z
    .number()
    .nonnegative()
    .max(2 ** 50),
  power: powerStateSchema.default({ source: "plugged", level: null }),
  /**
   * Round trip to the message broker on the worker's hot-path connection, ms (null until
   * measured): a drafter's plus a verifier's is their pair's round trip before it has one.
   */
  brokerRttMs: z.number().nonnegative().max(3_600_000).nullable().default(null),
  /** Drafters: per verifier, the round trip and acceptance lately (the scheduler's pair history). */
  links: z.array(linkStatsSchema).max(256).default([]),
});
export type WorkerTelemetry = z.infer<typeof workerTelemetrySchema>;

/**
 * `ready`: takes sessions. `degraded`: telemetry is late; used only when nothing healthy is
 * free. `draining`: an operator is emptying it; takes nothing new. `lost`: silent too long, or
 * left.
 */
export const workerStateSchema = z.enum(["ready", "degraded", "draining", "lost"]);
export type WorkerState = z.infer<typeof workerStateSchema>;

export const fleetWorkerSchema = workerRegistrationSchema.extend({
  state: workerStateSchema,
  /** Set by an operator (drain / undrain); survives the worker's restarts. */
  draining: z.boolean().default(false),
  lastSeenAt: z.number(),
  telemetry: workerTelemetrySchema.nullable(),
});
export type FleetWorker = z.infer<typeof fleetWorkerSchema>;

/**
 * The registry's fleet at one moment. Snapshots are ordered by the registry's own counters, not
 * by clocks: `epoch` names the registry process that took it (its start, ms) and `seq` counts its
 * snapshots; `at` (wall clock) is for people.
 */
export const fleetSnapshotSchema = z.object({
  epoch: z.number().int().nonnegative(),
  seq: z.number().int().nonnegative(),
  at: z.number(),
  workers: z.array(fleetWorkerSchema),
});
export type FleetSnapshot = z.infer<typeof fleetSnapshotSchema>;

/** Workers per message: a fleet of thousands would not fit NATS's 1 MB payload in one. */
export const FLEET_PAGE_SIZE = 200;

/** One page of a snapshot; the pages of one snapshot share its `epoch` and `seq`. */
export const fleetPageSchema = fleetSnapshotSchema.extend({
  page: z.number().int().nonnegative(),
  pages: z.number().int().positive(),
});
export type FleetPage = z.infer<typeof fleetPageSchema>;

/** A snapshot cut into pages (at least one, even for an empty fleet). */
export function fleetPages(snapshot: FleetSnapshot, size = FLEET_PAGE_SIZE): FleetPage[] {
  const pages = Math.max(1, Math.ceil(snapshot.workers.length / size));
  return Array.from({ length: pages }, (_, page) => ({
    epoch: snapshot.epoch,
    seq: snapshot.seq,
    at: snapshot.at,
    page,
    pages,
    workers: snapshot.workers.slice(page * size, (page + 1) * size),
  }));
}

/**
 * Puts a snapshot's pages back together as they arrive: a newer snapshot (a later `seq`, or another
 * registry process) drops an unfinished older one; a page of an older one is ignored.
 */
export class FleetPageAssembler {
  private pending: { epoch: number; seq: number; pages: Map<number, FleetPage> } | null = null;

  /** The whole snapshot once its last page is in; null until then. */
  add(page: FleetPage): FleetSnapshot | null {
    const pending = this.pending;
    if (pending && page.epoch === pending.epoch && page.seq < pending.seq) return null;
    if (!pending || page.epoch !== pending.epoch || page.seq > pending.seq) {
      this.pending = { epoch: page.epoch, seq: page.seq, pages: new Map() };
    }
    this.pending!.pages.set(page.page, page);
    if (this.pending!.pages.size < page.pages) return null;
    const workers = [...this.pending!.pages.values()].sort((a, b) => a.page - b.page).flatMap((p) => p.workers);
    this.pending = null;
    return { epoch: page.epoch, seq: page.seq, at: page.at, workers };
  }
}

/** Control plane (registry): served by its Nest controller through the ContractBus (libs/transport). */
// v2: the profile's `verifyMs` became `verifyMsByWindow` (a verify profile names its key).
// v3: sender-bound (`{from}`): a worker registers, reports and leaves only as itself.
export const FleetRegister = eventContract("specfleet.fleet.register.{from}", 3, workerRegistrationSchema, {
  senderField: "workerId",
});
export const FleetTelemetry = eventContract("specfleet.fleet.telemetry.{from}", 2, workerTelemetrySchema, {
  senderField: "workerId",
});
/** A worker shutting down leaves at once rather than waiting to be found silent. */
export const FleetLeave = eventContract("specfleet.fleet.leave.{from}", 2, z.object({ workerId: workerIdSchema }), {
  senderField: "workerId",
});
/** The registry's snapshot, a page at a time, on every change and once a second. */
export const FleetChanged = eventContract("specfleet.fleet.changed", 3, fleetPageSchema, { bulky: true });
/** One page of the current snapshot (page 0 first; its `pages` says how many to ask for, with its epoch and seq). */
export const FleetSnapshotRequest = requestContract(
  "specfleet.fleet.snapshot",
  3,
  z
    .object({
      page: z.number().int().nonnegative().default(0),
      epoch: z.number().int().nonnegative().optional(),
      seq: z.number().int().nonnegative().optional(),
    })
    .loose(),
  fleetPageSchema,
);

/** Operator (gateway admin API) → registry: drain a worker (no new sessions; the scheduler moves its sessions off), or undrain it. */
export const FleetDrain = requestContract(
  "specfleet.fleet.drain",
  1,
  z.object({ workerId: workerIdSchema, draining: z.boolean() }),
  z.discriminatedUnion("ok", [
    z.object({ ok: z.literal(true), workerId: workerIdSchema, state: workerStateSchema, draining: z.boolean() }),
    z.object({ ok: z.literal(false), error: remoteErrorSchema }),
  ]),
);

/**
 * Worker → registry: this worker is being stopped (SIGTERM, a pod's preStop) and drains itself:
 * like FleetDrain, but sender-bound: a worker drains only itself. Its drain ends with the worker's
 * next start (a new `startedAt`), unlike an operator's, which holds until undrained.
 */
export const WorkerDraining = requestContract(
  "specfleet.fleet.draining.{from}",
  1,
  z.object({ workerId: workerIdSchema }),
  FleetDrain.reply,
  { senderField: "workerId" },
);
