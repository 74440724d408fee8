import { z } from "zod";
import { eventContract, requestContract } from "./contract.js";
import { workerIdSchema } from "./common.js";

export const workerRoleSchema = z.enum(["drafter", "verifier"]);
export type WorkerRole = z.infer<typeof workerRoleSchema>;

export const modelDescriptorSchema = z.object({
  /** The name clients use in `model` (verifiers) or a label (drafters). */
  name: z.string().min(1),
  /** Hash of the tokenizer: only equal fingerprints may be paired. */
  vocabFingerprint: z.string().min(8),
});

export const workerRegistrationSchema = z.object({
  workerId: workerIdSchema,
  role: workerRoleSchema,
  model: modelDescriptorSchema,
  deviceClass: z.string().min(1),
  threads: z.number().int().positive(),
  maxSessions: z.number().int().positive(),
  contextSize: z.number().int().positive(),
  startedAt: z.number(),
});
export type WorkerRegistration = z.infer<typeof workerRegistrationSchema>;

export const workerTelemetrySchema = z.object({
  workerId: workerIdSchema,
  at: z.number(),
  activeSessions: z.number().int().nonnegative(),
  /** Sessions a verifier decodes alone because no drafter shares its vocabulary (or one left). */
  targetOnlySessions: z.number().int().nonnegative(),
  tokensPerSecond: z.number().nonnegative(),
  rounds: z.number().int().nonnegative(),
  acceptedTokens: z.number().int().nonnegative(),
  draftedTokens: z.number().int().nonnegative(),
  rollbacks: z.number().int().nonnegative(),
  /** Verify rounds per forward pass, since start (verifiers; 0 for drafters). */
  meanBatchSize: z.number().nonnegative(),
  memoryRssBytes: z.number().nonnegative(),
});
export type WorkerTelemetry = z.infer<typeof workerTelemetrySchema>;

export const workerStateSchema = z.enum(["ready", "lost"]);
export type WorkerState = z.infer<typeof workerStateSchema>;

export const fleetWorkerSchema = workerRegistrationSchema.extend({
  state: workerStateSchema,
  lastSeenAt: z.number(),
  telemetry: workerTelemetrySchema.nullable(),
});
export type FleetWorker = z.infer<typeof fleetWorkerSchema>;

export const fleetSnapshotSchema = z.object({ at: z.number(), workers: z.array(fleetWorkerSchema) });
export type FleetSnapshot = z.infer<typeof fleetSnapshotSchema>;

/** Control plane (registry), carried by @nestjs/microservices. */
export const FleetRegister = eventContract("specfleet.fleet.register", 1, workerRegistrationSchema);
export const FleetTelemetry = eventContract("specfleet.fleet.telemetry", 1, workerTelemetrySchema);
/** A worker shutting down leaves at once rather than waiting to be found silent. */
export const FleetLeave = eventContract("specfleet.fleet.leave", 1, z.object({ workerId: workerIdSchema }));
export const FleetChanged = eventContract("specfleet.fleet.changed", 1, fleetSnapshotSchema);
export const FleetSnapshotRequest = requestContract(
  "specfleet.fleet.snapshot",
  1,
  z.object({}).loose(),
  fleetSnapshotSchema,
);
