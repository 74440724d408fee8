import { draftWorkerConfigSchema, loadConfigOrExit } from "#config";
import { bootWorker } from "#worker";
import { DrafterService } from "./drafter.service.js";

const config = loadConfigOrExit(draftWorkerConfigSchema);
await bootWorker({
  actor: "draft-worker",
  role: "drafter",
  config,
  service: DrafterService,
  readyFields: { window: config.WINDOW, temperature: config.DRAFT_TEMPERATURE },
});
