import type { ClientProxy } from "@nestjs/microservices";
import {
  FleetLeave,
  FleetRegister,
  FleetTelemetry,
  type LinkStats,
  type PowerState,
  type WorkerRegistration,
} from "#contracts";
import { emitContract } from "#transport";
import type { WorkerStats } from "./stats.js";

/**
 * Registers the worker and sends telemetry every period; the registration is repeated every
 * ten periods so a restarted registry learns the fleet again without asking.
 */
export class Heartbeat {
  private timer?: NodeJS.Timeout;
  private beats = 0;
  private brokerRttMs: number | null = null;

  constructor(
    private readonly client: ClientProxy,
    private readonly registration: WorkerRegistration,
    private readonly stats: WorkerStats,
    private readonly sessions: () => { active: number; targetOnly: number },
    private readonly device: () => { power: PowerState; links: LinkStats[] },
    /** One round trip to the broker on the hot-path connection, ms. */
    private readonly measureRtt: () => Promise<number>,
    private readonly periodMs: number,
  ) {}

  start(): void {
    emitContract(this.client, FleetRegister, this.registration);
    this.measure();
    this.timer = setInterval(() => this.beat(), this.periodMs);
  }

  /** Stops beating and tells the registry the worker is leaving, so it gets no new sessions. */
  stop(): void {
    clearInterval(this.timer);
    emitContract(this.client, FleetLeave, { workerId: this.registration.workerId });
  }

  private beat(): void {
    if (++this.beats % 10 === 0) emitContract(this.client, FleetRegister, this.registration);
    const sessions = this.sessions();
    emitContract(this.client, FleetTelemetry, {
      workerId: this.registration.workerId,
      at: Date.now(),
      activeSessions: sessions.active,
      targetOnlySessions: sessions.targetOnly,
      tokensPerSecond: this.stats.takeRate(),
      rounds: this.stats.rounds,
      acceptedTokens: this.stats.acceptedTokens,
      draftedTokens: this.stats.draftedTokens,
      rollbacks: this.stats.rollbacks,
      meanBatchSize: this.stats.batches ? this.stats.batchedRounds / this.stats.batches : 0,
      memoryRssBytes: process.memoryUsage.rss(),
      brokerRttMs: this.brokerRttMs,
      ...this.device(),
    });
    this.measure();
  }

  /** For the next beat; a broker that does not answer leaves the last value. */
  private measure(): void {
    this.measureRtt().then(
      (ms) => (this.brokerRttMs = this.brokerRttMs === null ? ms : 0.7 * this.brokerRttMs + 0.3 * ms),
      () => undefined,
    );
  }
}
