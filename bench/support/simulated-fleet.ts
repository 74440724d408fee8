import {
  ANY_ID,
  DrafterOpen,
  FleetRegister,
  FleetTelemetry,
  RoundReports,
  SchedulerSessionEnded,
  VerifierOpen,
  type WorkerRegistration,
} from "#contracts";
import type { ContractBus } from "#transport";

export interface SimulatedFleetOptions {
  workers: number;
  /** How long a session lasts once opened, ms. */
  holdMs: number;
  /** Each session's drafter reports a round this often (0: no round reports). */
  roundEveryMs?: number;
}

const FINGERPRINT = "vocab-bench-0001";
export const SIMULATED_TARGET = "bench-target";

/**
 * Thousands of workers that exist only as messages: each registers with a profile (again every
 * 10 s, as workers do) and sends telemetry at 1 Hz; simulated verifiers accept every session and
 * end it after `holdMs`; simulated drafters accept every attach and, when `roundEveryMs` is set,
 * report a round for each session that often (what the dashboard's pair view reads). A fifth
 * are verifiers. Used by bench:scheduler and bench:dashboard against the real control plane.
 */
export class SimulatedFleet {
  readonly ids: string[];
  /** When each session was opened at its verifier (performance.now()). */
  readonly opened = new Map<string, number>();
  private readonly waiters = new Map<string, (at: number) => void>();
  private readonly sessions = new Map<string, { verifierId: string; drafterId: string; position: number }>();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly startedAt = Date.now();
  private beat = 0;

  constructor(
    private readonly bus: ContractBus,
    private readonly options: SimulatedFleetOptions,
  ) {
    const verifiers = Math.max(1, Math.round(options.workers / 5));
    this.ids = Array.from({ length: options.workers }, (_, i) =>
      i < verifiers ? `sim-v${i}` : `sim-d${i - verifiers}`,
    );
  }

  /** When the session is opened at its verifier (performance.now()); rejects after `timeoutMs`. */
  whenOpened(sessionId: string, timeoutMs: number): Promise<number> {
    const at = this.opened.get(sessionId);
    if (at !== undefined) return Promise.resolve(at);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(sessionId);
        reject(new Error(`${sessionId} was not opened within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(sessionId, (opened) => {
        clearTimeout(timer);
        resolve(opened);
      });
    });
  }

  /** Serves the workers' session subjects; call before anything is submitted. */
  serve(): void {
    this.bus.serve(VerifierOpen, ANY_ID, async (req) => {
      const at = performance.now();
      this.opened.set(req.sessionId, at);
      this.waiters.get(req.sessionId)?.(at);
      this.waiters.delete(req.sessionId);
      if (req.drafterId)
        this.sessions.set(req.sessionId, { verifierId: "sim-v0", drafterId: req.drafterId, position: 1 });
      const end = setTimeout(() => {
        this.sessions.delete(req.sessionId);
        this.bus.as("sim").publish(SchedulerSessionEnded, "", {
          sessionId: req.sessionId,
          verifierId: "sim",
          drafterId: req.drafterId,
          finishReason: "length",
          generatedTokens: 1,
          rounds: 1,
          draftedTokens: 0,
          acceptedTokens: 0,
        });
      }, this.options.holdMs);
      this.timers.push(end);
      return { ok: true as const, promptTokens: [1], generatedTokens: [], position: 1, finished: false };
    });
    this.bus.serve(DrafterOpen, ANY_ID, async (req) => {
      const session = this.sessions.get(req.sessionId);
      if (session) session.verifierId = req.verifierId;
      return { ok: true as const };
    });
  }

  /** Registrations and telemetry (20 slices a second), and round reports when asked for. */
  start(): void {
    this.timers.push(setInterval(() => this.heartbeat(), 50));
    const every = this.options.roundEveryMs ?? 0;
    if (every > 0) this.timers.push(setInterval(() => this.rounds(), every));
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer);
  }

  registration(id: string, i: number): WorkerRegistration {
    const verifier = id.startsWith("sim-v");
    return {
      workerId: id,
      role: verifier ? "verifier" : "drafter",
      model: { name: verifier ? SIMULATED_TARGET : "bench-draft", vocabFingerprint: FINGERPRINT },
      deviceClass: verifier ? "cloud-sim" : "edge-sim",
      threads: 1,
      maxSessions: 4,
      contextSize: 512,
      startedAt: this.startedAt,
      // Heterogeneous speeds, so the load-aware policy has something to weigh.
      profile: verifier
        ? {
            verifyMsByWindow: [
              { window: 0, ms: 20 + (i % 7) * 3 },
              { window: 4, ms: 40 + (i % 7) * 5 },
            ],
          }
        : { draftMsPerToken: 0.5 + (i % 11) * 0.8 },
    };
  }

  private heartbeat(): void {
    const beat = this.beat++;
    const slice = Math.ceil(this.ids.length / 20);
    const first = (beat % 20) * slice;
    // Each slice registers during the first second of every ten, just before its telemetry (not
    // all at once: 20,000 registrations in one tick would measure a burst, not the fleet).
    if (Math.floor(beat / 20) % 10 === 0)
      for (let i = first; i < Math.min(first + slice, this.ids.length); i++)
        this.bus.as(this.ids[i]!).publish(FleetRegister, "", this.registration(this.ids[i]!, i));
    for (const id of this.ids.slice(first, first + slice)) {
      this.bus.as(id).publish(FleetTelemetry, "", {
        workerId: id,
        at: Date.now(),
        activeSessions: 0,
        targetOnlySessions: 0,
        tokensPerSecond: 0,
        rounds: 0,
        acceptedTokens: 0,
        draftedTokens: 0,
        rollbacks: 0,
        meanBatchSize: 1,
        memoryRssBytes: 0,
        power: { source: "plugged", level: null },
        links: [],
        brokerRttMs: 1,
      });
    }
  }

  private rounds(): void {
    for (const [sessionId, session] of this.sessions) {
      const window = 2 + (session.position % 5);
      const accepted = session.position % (window + 1);
      const report = {
        sessionId,
        drafterId: session.drafterId,
        verifierId: session.verifierId,
        position: session.position,
        window,
        accepted,
        draftMs: 2,
        verifyMs: 5,
        networkMs: 1,
        at: Date.now(),
      };
      this.bus.as(session.drafterId).publish(RoundReports, "", { drafterId: session.drafterId, reports: [report] });
      session.position += accepted + 1;
    }
  }
}
