import { z } from "zod";
import { intVar } from "./load.js";
import { isLoopbackHost } from "./loopback.js";
import { common } from "./services.js";

const token = z.string().min(8, "at least 8 characters").optional();

// Where it lives (a file of its own, importing nothing: every actor's schema may use it), re-exported.
export { isLoopbackHost };

/** The dashboard service's configuration (services/dashboard/README.md). */
export const dashboardConfigSchema = z
  .object({
    ...common,
    DASHBOARD_HOST: z.string().default("127.0.0.1"),
    DASHBOARD_PORT: intVar(8081, 0, 65535),
    /** Logging in with it (or `Authorization: Bearer` it) may drain and undrain devices. Required beyond loopback. */
    DASHBOARD_ADMIN_TOKEN: token,
    /** Logging in with it sees everything and may change nothing. */
    DASHBOARD_VIEWER_TOKEN: token,
    /** The live feed's delta period: the page is at most this (plus a network hop) behind, so at most 1 s. */
    DASHBOARD_PUSH_MS: intVar(500, 50, 1000),
    /** One chart sample this often; 15 minutes of them are kept. */
    DASHBOARD_SAMPLE_MS: intVar(1000, 100, 60_000),
  })
  .superRefine((config, ctx) => {
    if (!config.DASHBOARD_ADMIN_TOKEN && !isLoopbackHost(config.DASHBOARD_HOST))
      ctx.addIssue({
        code: "custom",
        path: ["DASHBOARD_ADMIN_TOKEN"],
        message: `the dashboard listens beyond loopback (DASHBOARD_HOST=${config.DASHBOARD_HOST}), where anyone could drain the fleet: set DASHBOARD_ADMIN_TOKEN (and DASHBOARD_VIEWER_TOKEN for read-only users), or DASHBOARD_HOST=127.0.0.1`,
      });
    if (config.DASHBOARD_VIEWER_TOKEN && !config.DASHBOARD_ADMIN_TOKEN)
      ctx.addIssue({
        code: "custom",
        path: ["DASHBOARD_ADMIN_TOKEN"],
        message: "DASHBOARD_VIEWER_TOKEN is set: set DASHBOARD_ADMIN_TOKEN too, or nobody could drain",
      });
    if (config.DASHBOARD_VIEWER_TOKEN && config.DASHBOARD_VIEWER_TOKEN === config.DASHBOARD_ADMIN_TOKEN)
      ctx.addIssue({
        code: "custom",
        path: ["DASHBOARD_VIEWER_TOKEN"],
        message: "must differ from DASHBOARD_ADMIN_TOKEN (a viewer would be an admin)",
      });
  });
export type DashboardConfig = z.infer<typeof dashboardConfigSchema>;
