import type { MoveKind, WorkerState } from "../feed/contracts.js";

export function StateBadge({ state, testId }: { state: WorkerState; testId?: string }) {
  return (
    <span className={`badge state-${state}`} data-testid={testId}>
      {state}
    </span>
  );
}

const MOVE_TONE: Record<MoveKind, string> = {
  rebalance: "info",
  "verifier-failover": "bad",
  "drafter-lost": "warn",
  "drafter-attached": "good",
  "hand-back": "neutral",
  drain: "warn",
  requeue: "neutral",
};

export function MoveBadge({ kind }: { kind: MoveKind }) {
  return <span className={`badge tone-${MOVE_TONE[kind] ?? "neutral"}`}>{kind}</span>;
}

/** A thin bar for a fraction in [0, 1], with its text beside it. */
export function ProgressBar({ fraction, label }: { fraction: number; label: string }) {
  const width = `${Math.round(Math.min(1, Math.max(0, fraction)) * 100)}%`;
  return (
    <span className="progress" title={label}>
      <span className="progress-track">
        <span className="progress-fill" style={{ width }} />
      </span>
      <span className="progress-label">{label}</span>
    </span>
  );
}
