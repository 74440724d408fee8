import type { Provider } from "@nestjs/common";
import type { GatewayConfig } from "#config";
import type { Logger } from "#logging";
import { GatewayStore } from "../store.js";
import { GATEWAY_CONFIG, GATEWAY_LOGGER } from "../tokens.js";
import { DERIVED_FILE_CONTENT, type DerivedFileContent } from "./derived-content.js";
import { FileStore } from "./file-store.js";
import { FilesController } from "./files.controller.js";
import { FilesService } from "./files.service.js";

export const filesControllers = [FilesController];

/** Uploads are read by multer into memory, one file of at most `FILES_MAX_BYTES` (`MulterModule.register`). */
export function multerOptionsOf(config: GatewayConfig) {
  return { limits: { fileSize: config.FILES_MAX_BYTES, files: 1, fields: 16, parts: 32 } };
}

/** The Files API; the content of derived files (`DERIVED_FILE_CONTENT`) comes from the batches capability. */
export const filesProviders: Provider[] = [
  {
    provide: FileStore,
    useFactory: (s: GatewayStore, log: Logger) => new FileStore(s.redis, log),
    inject: [GatewayStore, GATEWAY_LOGGER],
  },
  {
    provide: FilesService,
    useFactory: (c: GatewayConfig, store: FileStore, derived: DerivedFileContent) =>
      new FilesService(c, store, derived),
    inject: [GATEWAY_CONFIG, FileStore, DERIVED_FILE_CONTENT],
  },
];
