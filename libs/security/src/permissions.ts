import {
  CredentialEnroll,
  CredentialIssue,
  CredentialList,
  CredentialRevoke,
  DrafterOpen,
  FleetChanged,
  FleetDrain,
  FleetLeave,
  FleetQuarantine,
  FleetRegister,
  FleetSnapshotRequest,
  FleetTelemetry,
  GatewayJobsReport,
  MetricsReport,
  RoundReports,
  SchedulerCancel,
  SchedulerDrafterLeft,
  SchedulerInsightReport,
  SchedulerMoves,
  SchedulerSessionEnded,
  SchedulerStatusRequest,
  SchedulerSubmit,
  SessionReplay,
  SessionStream,
  VerifierAttach,
  VerifierDetach,
  VerifierOpen,
  VerifierRelease,
  VerifyRound,
  WorkerClose,
  WorkerDraining,
  WorkerPower,
  WorkerSessions,
  type AnyContract,
} from "#contracts";

/**
 * What an identity is in the fleet: one NATS user per identity, its permissions by role. An
 * `enroller` (`enroll-verifier`, `enroll-drafter`) may only ask for a worker's credential.
 */
export type FleetRole =
  "gateway" | "scheduler" | "registry" | "dashboard" | "verifier" | "drafter" | "admin" | "enroller";
export const FLEET_ROLES: readonly FleetRole[] = [
  "gateway",
  "scheduler",
  "registry",
  "dashboard",
  "verifier",
  "drafter",
  "admin",
  "enroller",
];

/**
 * Who sends and who receives each contract: the one table every NATS permission is derived from
 * (docs/security.md prints it). `id`: what a subject's `{id}` names; a receiver hears `{id}`
 * subjects only with its own identity when they name the receiving worker.
 */
interface Route {
  contract: AnyContract;
  send: FleetRole[];
  receive: FleetRole[];
  id?: "receiver" | "session";
}

export const ROUTES: readonly Route[] = [
  { contract: FleetRegister, send: ["verifier", "drafter"], receive: ["registry"] },
  { contract: FleetTelemetry, send: ["verifier", "drafter"], receive: ["registry"] },
  { contract: FleetLeave, send: ["verifier", "drafter"], receive: ["registry"] },
  { contract: FleetChanged, send: ["registry"], receive: ["scheduler", "dashboard"] },
  { contract: FleetSnapshotRequest, send: ["gateway", "scheduler", "dashboard"], receive: ["registry"] },
  { contract: FleetDrain, send: ["gateway", "dashboard"], receive: ["registry"] },
  { contract: WorkerDraining, send: ["verifier", "drafter"], receive: ["registry"] },
  { contract: FleetQuarantine, send: ["verifier"], receive: ["registry"] },
  { contract: CredentialIssue, send: ["gateway", "dashboard"], receive: ["registry"] },
  { contract: CredentialList, send: ["gateway", "dashboard"], receive: ["registry"] },
  { contract: CredentialRevoke, send: ["gateway", "dashboard"], receive: ["registry"] },
  { contract: CredentialEnroll, send: ["enroller"], receive: ["registry"] },
  {
    contract: MetricsReport,
    send: ["gateway", "scheduler", "registry", "dashboard", "verifier", "drafter"],
    receive: ["dashboard"],
  },
  { contract: SchedulerInsightReport, send: ["scheduler"], receive: ["dashboard"] },
  { contract: SchedulerMoves, send: ["scheduler"], receive: ["dashboard"] },
  { contract: GatewayJobsReport, send: ["gateway"], receive: ["dashboard"] },
  { contract: SchedulerSubmit, send: ["gateway"], receive: ["scheduler"] },
  { contract: SchedulerCancel, send: ["gateway"], receive: ["scheduler"] },
  { contract: SchedulerStatusRequest, send: ["gateway"], receive: ["scheduler"] },
  { contract: SchedulerSessionEnded, send: ["verifier"], receive: ["scheduler"] },
  { contract: SchedulerDrafterLeft, send: ["verifier"], receive: ["scheduler"] },
  { contract: VerifierOpen, send: ["scheduler"], receive: ["verifier"], id: "receiver" },
  { contract: VerifierAttach, send: ["scheduler"], receive: ["verifier"], id: "receiver" },
  { contract: VerifierRelease, send: ["scheduler"], receive: ["verifier"], id: "receiver" },
  { contract: DrafterOpen, send: ["scheduler"], receive: ["drafter"], id: "receiver" },
  { contract: WorkerClose, send: ["scheduler", "verifier"], receive: ["verifier", "drafter"], id: "receiver" },
  { contract: SessionReplay, send: ["gateway"], receive: ["verifier"], id: "receiver" },
  { contract: WorkerSessions, send: ["scheduler"], receive: ["verifier", "drafter"], id: "receiver" },
  { contract: WorkerPower, send: [], receive: ["verifier", "drafter"], id: "receiver" },
  { contract: VerifierDetach, send: ["scheduler", "drafter"], receive: ["verifier"], id: "receiver" },
  { contract: VerifyRound, send: ["drafter"], receive: ["verifier"], id: "receiver" },
  { contract: SessionStream, send: ["scheduler", "verifier"], receive: ["gateway"], id: "session" },
  { contract: RoundReports, send: ["drafter"], receive: ["scheduler", "dashboard"] },
];

/** A NATS user's permissions, as a user JWT (and nats-server's config) carries them. */
export interface SubjectPermissions {
  pub: { allow: string[] };
  sub: { allow: string[] };
  /** May answer the requests it receives (nats-server `allow_responses`). */
  respond: boolean;
}

/** The inbox prefix of an identity's replies (libs/transport connects with it). */
export function inboxPrefixOf(identity: string): string {
  return `_INBOX.${identity}`;
}

/**
 * The permissions of `identity` acting as `role`: exactly the subjects of the contracts the
 * role sends or receives, its own `{from}` on those it sends, its own `{id}` on the per-worker
 * subjects it receives, and replies to its own inbox. `admin` may do anything.
 */
export function permissionsFor(role: FleetRole, identity: string): SubjectPermissions {
  if (role === "admin") return { pub: { allow: [">"] }, sub: { allow: [">"] }, respond: true };
  const pub = new Set<string>();
  const sub = new Set<string>([`${inboxPrefixOf(identity)}.>`]);
  let respond = false;
  for (const route of ROUTES) {
    const subject = route.contract.subject;
    if (route.send.includes(role)) pub.add(fill(subject, "*", identity));
    if (route.receive.includes(role)) {
      sub.add(fill(subject, route.id === "receiver" ? identity : "*", "*"));
      if (route.contract.kind === "request") respond = true;
    }
  }
  return { pub: { allow: [...pub].sort() }, sub: { allow: [...sub].sort() }, respond };
}

function fill(subject: string, id: string, from: string): string {
  return subject.replace("{id}", id).replace("{from}", from);
}
