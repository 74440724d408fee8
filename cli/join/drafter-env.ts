import type { DeviceCredential } from "./device-credential.js";

/** The URL schemes a drafter reaches NATS with: TCP (`nats`, `tls`) or WebSocket (`ws`, `wss`). */
const SCHEMES = ["nats:", "tls:", "ws:", "wss:"];

/** Checks `--url`: one NATS URL of a scheme the transport speaks; throws what is wrong with it. */
export function checkJoinUrl(url: string): string {
  const parsed = URL.canParse(url) ? new URL(url) : null;
  if (parsed === null || parsed.hostname === "")
    throw new Error(`--url '${url}': give the fleet's NATS URL, e.g. wss://nats.example.com:443 or tls://host:4222`);
  if (!SCHEMES.includes(parsed.protocol))
    throw new Error(
      `--url '${url}': ${parsed.protocol.replace(/:$/, "")}:// is not a NATS URL; use nats://, tls:// (TCP) or ` +
        "ws://, wss:// (WebSocket, through proxies)",
    );
  return url;
}

/** What `specfleet join` decided, as the draft worker takes it. */
export interface JoinPlan {
  url: string;
  credential: DeviceCredential;
  /** The model's local file (downloaded already when it was an hf: URI) and the name it is served under. */
  modelPath: string;
  modelName: string;
  modelCacheDir: string;
  caFile?: string;
  threads?: number;
  maxSessions?: number;
  deviceClass?: string;
  logLevel: string;
}

/**
 * The draft worker's environment (libs/config `draftWorkerConfigSchema`, its one source of
 * configuration) for a joined device: the fleet's URL, the credential and the identity it names,
 * the model; it times itself at start (PROFILE_AT_START) so the scheduler can pair it well. What
 * a flag leaves unset keeps the environment's value, or the worker's default.
 */
export function drafterEnv(plan: JoinPlan): Record<string, string> {
  const env: Record<string, string> = {
    NATS_URL: plan.url,
    NATS_CREDS: plan.credential.file,
    WORKER_ID: plan.credential.identity,
    MODEL_PATH: plan.modelPath,
    MODEL_NAME: plan.modelName,
    MODEL_CACHE_DIR: plan.modelCacheDir,
    PROFILE_AT_START: "true",
    LOG_LEVEL: plan.logLevel,
  };
  if (plan.caFile !== undefined) env.NATS_TLS_CA = plan.caFile;
  if (plan.threads !== undefined) env.THREADS = String(plan.threads);
  if (plan.maxSessions !== undefined) env.MAX_SESSIONS = String(plan.maxSessions);
  if (plan.deviceClass !== undefined) env.DEVICE_CLASS = plan.deviceClass;
  return env;
}
