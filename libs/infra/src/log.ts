/**
 * The little this library says about its own work (apt-get progress, server start/stop).
 * A pino Logger fits; so does a console adapter in a CLI.
 */
export interface InfraLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
}

/** For callers that want silence. */
export const silentLog: InfraLog = { info: () => undefined, warn: () => undefined };
