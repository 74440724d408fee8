import { loadConfigOrExit, verifyWorkerConfigSchema } from "#config";
import { verifierMetrics } from "#metrics";
import { bootWorker } from "#worker";
import { journalProviders } from "./journal.provider.js";
import { VerifierService } from "./verifier.service.js";

const config = loadConfigOrExit(verifyWorkerConfigSchema);
await bootWorker({
  actor: "verify-worker",
  role: "verifier",
  config,
  service: VerifierService,
  providers: journalProviders,
  metrics: verifierMetrics,
  ...(config.TARGET_NATIVE ? { native: "verify" as const } : {}),
  selfDraft: config.SELF_DRAFT_MODEL
    ? {
        location: config.SELF_DRAFT_MODEL,
        threads: config.SELF_DRAFT_THREADS,
        maxWindow: config.SELF_DRAFT_MAX_WINDOW,
        native: config.SELF_DRAFT_NATIVE,
      }
    : undefined,
  readyFields: config.SELF_DRAFT_MODEL ? { selfDraft: config.SELF_DRAFT_MODEL } : undefined,
});
