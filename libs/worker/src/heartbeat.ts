import {
  FleetLeave,
  FleetRegister,
  FleetTelemetry,
  type LinkStats,
  type PowerState,
  type WorkerRegistration,
} from "#contracts";
import type { Logger } from "#logging";
import { SpecFleetError, type ContractBus } from "#transport";
import type { WorkerStats } from "./stats.js";

/** Broker round-trip samples kept (one per beat): the minimum over about ten seconds. */
const RTT_SAMPLES = 10;

/**
 * Registers the worker and sends telemetry every period; the registration is repeated every
 * ten periods so a restarted registry learns the fleet again without asking.
 */
export class Heartbeat {
  private timer?: NodeJS.Timeout;
  private beats = 0;
  private brokerRttMs: number | null = null;

  constructor(
    private readonly bus: ContractBus,
    private readonly registration: WorkerRegistration,
    private readonly stats: WorkerStats,
    private readonly sessions: () => { active: number; targetOnly: number },
    private readonly device: () => { power: PowerState; links: LinkStats[] },
    private readonly periodMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.send(() => this.bus.publish(FleetRegister, "", this.registration));
    this.measure();
    this.timer = setInterval(() => this.beat(), this.periodMs);
  }

  /** Stops beating and tells the registry the worker is leaving, so it gets no new sessions. */
  stop(): void {
    clearInterval(this.timer);
    this.send(() => this.bus.publish(FleetLeave, "", { workerId: this.registration.workerId }));
  }

  private beat(): void {
    if (++this.beats % 10 === 0) this.send(() => this.bus.publish(FleetRegister, "", this.registration));
    this.send(() => this.telemetry());
    this.measure();
  }

  private telemetry(): void {
    const sessions = this.sessions();
    this.bus.publish(FleetTelemetry, "", {
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
  }

  /** A beat that cannot be sent (connection closed, message too large) is logged; the next one may pass. */
  private send(publish: () => void): void {
    try {
      publish();
    } catch (error) {
      const code = error instanceof SpecFleetError ? error.code : "internal";
      this.log.warn({ code, err: error instanceof Error ? error.message : String(error) }, "heartbeat not sent");
    }
  }

  /**
   * The round trip to the broker, for the next beat: the least of the last few samples. A sample
   * also holds however long this worker's own event loop was busy before it read the answer (a
   * verifier mid-pass, a drafter mid-draft), which is not the network's: the minimum filters that
   * out (as TCP's min-RTT does), where a mean made busy workers look far away and sent sessions
   * chasing idle ones. A broker that does not answer leaves the last value.
   */
  private measure(): void {
    this.bus.nc.rtt().then(
      (ms) => {
        this.rttSamples.push(ms);
        if (this.rttSamples.length > RTT_SAMPLES) this.rttSamples.shift();
        this.brokerRttMs = Math.min(...this.rttSamples);
      },
      () => undefined,
    );
  }

  private readonly rttSamples: number[] = [];
}
