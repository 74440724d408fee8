/** What bench:peer compares: setups of either side, each started afresh for a measurement. */
import type { PeerEndpoint } from "./load.js";

export interface PeerModels {
  /** The widened target `npm start` builds (stories260K-w1024). */
  target: string;
  /** The shared tiny model the target and drafts come from. */
  source: string;
  /** Draft models, by name: stories260K itself and its q4_0 derivative. */
  drafts: Array<{ name: string; path: string }>;
}

export interface StartContext {
  /** The CPU cores both sides get. */
  cores: number;
  /** Requests in flight at once (llama-server gets as many slots). */
  concurrency: number;
  logDir: string;
}

export interface RunningPeer extends PeerEndpoint {
  stop(): Promise<void>;
}

export interface PeerSetup {
  label: string;
  side: "llama-server" | "specfleet";
  /** llama-server with a draft model (a candidate for "llama-server's best speculative"). */
  speculative: boolean;
  draft?: string;
  nMax?: number;
  /** A SpecFleet fleet serves both concurrencies; a llama-server is started per concurrency (its slots). */
  start(context: StartContext): Promise<RunningPeer>;
}
