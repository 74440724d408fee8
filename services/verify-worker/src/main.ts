import { loadConfigOrExit, verifyWorkerConfigSchema } from "#config";
import { bootWorker } from "#worker";
import { VerifierService } from "./verifier.service.js";

const config = loadConfigOrExit(verifyWorkerConfigSchema);
await bootWorker({
  actor: "verify-worker",
  role: "verifier",
  config,
  service: VerifierService,
});
