import { useMemo } from "react";
import { ProgressBar } from "../components/badge.js";
import { age, fixed } from "../components/format.js";
import { VirtualTable, type Column } from "../components/virtual-table.js";
import type { DashboardSession, DashboardState, DashboardWaiting, JobProgress } from "../feed/contracts.js";
import { MovesTimeline } from "./moves-timeline.js";

type Props = Pick<DashboardState, "sessions" | "queue" | "jobs" | "moves"> & { now: number };

/** Running sessions, the queue, jobs and the scheduler's moves. */
export function SessionsView({ sessions, queue, jobs, moves, now }: Props) {
  const sessionCols = useMemo(() => sessionColumns(now), [now]);
  const waitingCols = useMemo(() => waitingColumns(now), [now]);
  return (
    <section className="view">
      <h2>
        Running sessions <span className="count">{sessions.length}</span>
      </h2>
      <VirtualTable
        label="Running sessions"
        rows={sessions}
        columns={sessionCols}
        rowKey={(s) => s.sessionId}
        rowTestId={(s) => `session-row-${s.sessionId}`}
        height={tableHeight(sessions.length, 360)}
        empty="No session is running."
        initialSort={{ column: "age", descending: true }}
      />
      <h2>
        Waiting <span className="count">{queue.length}</span>
      </h2>
      <VirtualTable
        label="Waiting requests"
        rows={queue}
        columns={waitingCols}
        rowKey={(w) => w.sessionId}
        rowTestId={(w) => `waiting-row-${w.sessionId}`}
        height={tableHeight(queue.length, 240)}
        empty="Nothing is waiting."
        initialSort={{ column: "priority", descending: true }}
      />
      {jobs.length > 0 && <JobsList jobs={jobs} now={now} />}
      <h2>
        Moves <span className="count">{moves.length}</span>
      </h2>
      <MovesTimeline moves={moves} />
    </section>
  );
}

/** Tall enough for the rows there are (up to a cap), so short lists leave no empty box. */
export function tableHeight(rows: number, max: number): string {
  return `${Math.min(max, 32 + Math.max(1, rows) * 30 + 2)}px`;
}

function originText(origin: DashboardSession["origin"]): string {
  if (!origin) return "–";
  return (
    [origin.jobId && `job ${origin.jobId}`, origin.keyId && `key ${origin.keyId}`].filter(Boolean).join(" · ") || "–"
  );
}

function sessionColumns(now: number): Column<DashboardSession>[] {
  return [
    {
      id: "id",
      header: "Session",
      width: "minmax(150px, 1.4fr)",
      cell: (s) => <span className="mono small">{s.sessionId}</span>,
      sortValue: (s) => s.sessionId,
    },
    { id: "model", header: "Model", width: "minmax(90px, 0.8fr)", cell: (s) => s.model, sortValue: (s) => s.model },
    {
      id: "pair",
      header: "Pair (drafter → verifier)",
      width: "minmax(180px, 1.6fr)",
      cell: (s) => (
        <span>
          {s.drafterId ?? <span className="muted">alone</span>} → {s.verifierId}
        </span>
      ),
      sortValue: (s) => `${s.verifierId}|${s.drafterId ?? ""}`,
    },
    {
      id: "tokens",
      header: "Tokens",
      width: "150px",
      cell: (s) => (
        <ProgressBar fraction={s.generatedTokens / s.maxTokens} label={`${s.generatedTokens}/${s.maxTokens}`} />
      ),
      sortValue: (s) => s.generatedTokens,
    },
    {
      id: "tps",
      header: "Tok/s",
      width: "64px",
      align: "right",
      cell: (s) => fixed(s.tokensPerSecond),
      sortValue: (s) => s.tokensPerSecond,
    },
    {
      id: "window",
      header: "γ",
      width: "40px",
      align: "right",
      cell: (s) => s.window ?? "–",
      sortValue: (s) => s.window,
    },
    {
      id: "priority",
      header: "Prio",
      width: "48px",
      align: "right",
      cell: (s) => s.priority,
      sortValue: (s) => s.priority,
    },
    {
      id: "origin",
      header: "Key / job",
      width: "minmax(100px, 1fr)",
      cell: (s) => originText(s.origin),
      sortValue: (s) => originText(s.origin),
    },
    {
      id: "age",
      header: "Running",
      width: "90px",
      align: "right",
      cell: (s) => age(now - s.placedAt),
      sortValue: (s) => -s.placedAt,
    },
  ];
}

function waitingColumns(now: number): Column<DashboardWaiting>[] {
  return [
    {
      id: "id",
      header: "Request",
      width: "minmax(150px, 1.4fr)",
      cell: (w) => <span className="mono small">{w.sessionId}</span>,
      sortValue: (w) => w.sessionId,
    },
    { id: "model", header: "Model", width: "minmax(90px, 1fr)", cell: (w) => w.model, sortValue: (w) => w.model },
    {
      id: "priority",
      header: "Priority",
      width: "80px",
      align: "right",
      cell: (w) => w.priority,
      sortValue: (w) => w.priority,
    },
    {
      id: "origin",
      header: "Key / job",
      width: "minmax(100px, 1fr)",
      cell: (w) => originText(w.origin),
      sortValue: (w) => originText(w.origin),
    },
    {
      id: "wait",
      header: "Waiting",
      width: "80px",
      align: "right",
      cell: (w) => age(now - w.submittedAt),
      sortValue: (w) => -w.submittedAt,
    },
  ];
}

function JobsList({ jobs, now }: { jobs: JobProgress[]; now: number }) {
  return (
    <>
      <h2>
        Jobs <span className="count">{jobs.length}</span>
      </h2>
      <div className="jobs">
        {jobs.map((job) => {
          const done = job.completed + job.failed;
          return (
            <div key={job.id} className="job" data-testid={`job-${job.id}`}>
              <span className="mono small">{job.id}</span>
              <span className="badge tone-neutral">{job.status}</span>
              <ProgressBar fraction={job.total ? done / job.total : 0} label={`${done}/${job.total}`} />
              {job.failed > 0 && <span className="late small">{job.failed} failed</span>}
              <span className="muted small">
                {job.keyId ? `key ${job.keyId} · ` : ""}
                {age(now - job.createdAt)} old
              </span>
            </div>
          );
        })}
      </div>
    </>
  );
}
