import { draftWorkerConfigSchema, loadConfigOrExit } from "#config";
import { drafterMetrics } from "#metrics";
import { bootWorker } from "#worker";
import { DrafterService } from "./drafter.service.js";

const config = loadConfigOrExit(draftWorkerConfigSchema);
await bootWorker({
  actor: "draft-worker",
  role: "drafter",
  config,
  service: DrafterService,
  metrics: drafterMetrics,
  ...(config.DRAFT_NATIVE ? { native: "draft" as const } : {}),
  drafting: {
    windowPolicy: config.WINDOW_POLICY,
    window: config.WINDOW,
    maxWindow: config.MAX_WINDOW,
    pipelined: config.DRAFT_PIPELINE,
  },
  readyFields: { window: config.WINDOW, temperature: config.DRAFT_TEMPERATURE },
});
