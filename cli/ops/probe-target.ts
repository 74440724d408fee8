import { z } from "zod";
import { intVar, parseConfig } from "#config";

/**
 * The only variables `specfleet health` and `specfleet worker drain` read: those of the actor in
 * this container (libs/config), to find the port it answers probes on.
 */
const probeEnvSchema = z.object({
  HEALTH_PORT: intVar(0, 0, 65535),
  HEALTH_HOST: z.string().min(1).optional(),
  GATEWAY_PORT: intVar(0, 0, 65535),
  GATEWAY_HOST: z.string().min(1).optional(),
  DASHBOARD_PORT: intVar(0, 0, 65535),
  DASHBOARD_HOST: z.string().min(1).optional(),
  DRAIN_TIMEOUT_MS: intVar(30_000, 0, 3_600_000),
});
export type ProbeEnv = z.infer<typeof probeEnvSchema>;

export function probeEnvOf(env: NodeJS.ProcessEnv): ProbeEnv {
  return parseConfig(probeEnvSchema, env);
}

/**
 * Where this container's actor answers its probes: the health listener (HEALTH_PORT: registry,
 * scheduler, workers), else the gateway's or the dashboard's own port; null when none is set.
 */
export function probeBaseUrl(env: ProbeEnv): string | null {
  if (env.HEALTH_PORT > 0) return `http://${reachable(env.HEALTH_HOST)}:${env.HEALTH_PORT}`;
  if (env.GATEWAY_PORT > 0) return `http://${reachable(env.GATEWAY_HOST)}:${env.GATEWAY_PORT}`;
  if (env.DASHBOARD_PORT > 0) return `http://${reachable(env.DASHBOARD_HOST)}:${env.DASHBOARD_PORT}`;
  return null;
}

/** The address to reach a listener bound to `bind` from inside its own container. */
function reachable(bind: string | undefined): string {
  if (bind === undefined || bind === "0.0.0.0" || bind === "::" || bind === "[::]") return "127.0.0.1";
  return bind.includes(":") && !bind.startsWith("[") ? `[${bind}]` : bind;
}
