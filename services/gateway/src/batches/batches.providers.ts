import type { Provider } from "@nestjs/common";
import type { GatewayConfig } from "#config";
import type { Logger } from "#logging";
import { DERIVED_FILE_CONTENT } from "../files/derived-content.js";
import { FileStore } from "../files/file-store.js";
import { FilesService } from "../files/files.service.js";
import { JobRequestValidator } from "../jobs/job-request.js";
import { JobStore } from "../jobs/job-store.js";
import { JobsService } from "../jobs/jobs.service.js";
import { GatewayStore } from "../store.js";
import { GATEWAY_CONFIG, GATEWAY_LOGGER } from "../tokens.js";
import { BatchFiles } from "./batch-files.js";
import { BatchStore } from "./batch-store.js";
import { BatchesController } from "./batches.controller.js";
import { BatchesService } from "./batches.service.js";

export const batchesControllers = [BatchesController];

/** The Batch API on the jobs engine; it also gives the Files API its output and error files' content. */
export const batchesProviders: Provider[] = [
  {
    provide: BatchStore,
    useFactory: (s: GatewayStore, log: Logger) => new BatchStore(s.redis, log),
    inject: [GatewayStore, GATEWAY_LOGGER],
  },
  {
    provide: BatchFiles,
    useFactory: (c: GatewayConfig, jobs: JobStore, batches: BatchStore, files: FileStore) =>
      new BatchFiles(c, jobs, batches, files),
    inject: [GATEWAY_CONFIG, JobStore, BatchStore, FileStore],
  },
  { provide: DERIVED_FILE_CONTENT, useExisting: BatchFiles },
  {
    provide: BatchesService,
    useFactory: (
      c: GatewayConfig,
      jobs: JobsService,
      validator: JobRequestValidator,
      files: FilesService,
      store: BatchStore,
      batchFiles: BatchFiles,
    ) => new BatchesService(c, jobs, validator, files, store, batchFiles),
    inject: [GATEWAY_CONFIG, JobsService, JobRequestValidator, FilesService, BatchStore, BatchFiles],
  },
];
