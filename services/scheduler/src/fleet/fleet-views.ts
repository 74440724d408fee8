import { isDeepStrictEqual } from "node:util";
import type { FleetWorker } from "#contracts";
import type { WorkerView } from "#pairing";
import { indexViews, PairStats, type LinkReport, type ViewIndex } from "#placement";

/** A snapshot's workers as the policies see them, and by id. */
export interface HeldViews {
  views: WorkerView[];
  index: ViewIndex;
  workers: ReadonlyMap<string, FleetWorker>;
}

/**
 * The views of a new snapshot. A worker whose view did not change since the previous snapshot
 * keeps its view object, and when none changed the previous array and index are kept whole: the
 * registry sends the fleet every second, mostly as it was, and what the policies keep per views
 * array (libs/pairing `fleetGroups`) or per view (load-aware's `PairRateCache`) then stays valid.
 */
export function viewsOf(workers: readonly FleetWorker[], previous: HeldViews | null): HeldViews {
  const byId = new Map(workers.map((w) => [w.workerId, w]));
  const before = previous?.index.byId;
  let same = previous !== null && previous.views.length === workers.length;
  const views = workers.map((worker, i) => {
    const view = viewOf(worker);
    const old = before?.get(view.id);
    if (old && sameView(old, view)) {
      same &&= previous!.views[i] === old;
      return old;
    }
    same = false;
    return view;
  });
  if (same) return { ...previous!, workers: byId };
  return { views, index: indexViews(views), workers: byId };
}

function viewOf(w: FleetWorker): WorkerView {
  return {
    id: w.workerId,
    role: w.role,
    modelName: w.model.name,
    vocabFingerprint: w.model.vocabFingerprint,
    protocol: w.protocol,
    ready: w.state === "ready" || w.state === "degraded",
    degraded: w.state === "degraded",
    activeSessions: 0,
    maxSessions: w.maxSessions,
    profile: w.profile,
    power: w.telemetry?.power,
    brokerRttMs: w.telemetry?.brokerRttMs ?? undefined,
    drafting: w.drafting,
  };
}

/** Equal in everything a policy reads (sessions are set at each decision). */
function sameView(a: WorkerView, b: WorkerView): boolean {
  return (
    a.role === b.role &&
    a.modelName === b.modelName &&
    a.vocabFingerprint === b.vocabFingerprint &&
    a.protocol === b.protocol &&
    a.ready === b.ready &&
    a.degraded === b.degraded &&
    a.maxSessions === b.maxSessions &&
    a.brokerRttMs === b.brokerRttMs &&
    isDeepStrictEqual(a.power, b.power) &&
    isDeepStrictEqual(a.profile, b.profile) &&
    isDeepStrictEqual(a.drafting, b.drafting)
  );
}

/** One drafter's report of one link, with both workers' broker round trips when known. */
type PairReport = [LinkReport, { drafter: number; verifier: number } | undefined];

/** The drafters' link reports in a snapshot, as PairStats takes them. */
export function pairReports(workers: readonly FleetWorker[], byId: ReadonlyMap<string, FleetWorker>): PairReport[] {
  const reports: PairReport[] = [];
  for (const drafter of workers) {
    for (const link of drafter.telemetry?.links ?? []) {
      const verifier = byId.get(link.verifierId);
      if (!verifier) continue;
      const drafterRtt = drafter.telemetry?.brokerRttMs;
      const verifierRtt = verifier.telemetry?.brokerRttMs;
      reports.push([
        { ...link, drafterId: drafter.workerId, drafterModel: drafter.model.name, targetModel: verifier.model.name },
        drafterRtt != null && verifierRtt != null ? { drafter: drafterRtt, verifier: verifierRtt } : undefined,
      ]);
    }
  }
  return reports;
}

/**
 * The pair statistics of these reports: the previous ones (and so their context's revision) when
 * the reports are the same as theirs, else built afresh.
 */
export function pairStatsFor(
  reports: PairReport[],
  previous: { reports: PairReport[]; stats: PairStats } | null,
): { reports: PairReport[]; stats: PairStats } {
  if (previous && isDeepStrictEqual(previous.reports, reports)) return previous;
  const stats = new PairStats();
  for (const [link, rtts] of reports) stats.report(link, rtts);
  return { reports, stats };
}
