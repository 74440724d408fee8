import { pino, type Logger } from "pino";

export type { Logger } from "pino";

/** One structured JSON line per event, tagged with the actor. Never logs prompt text. */
export function createLogger(actor: string, level: string, extra: Record<string, unknown> = {}): Logger {
  return pino({ name: actor, level, base: { actor, pid: process.pid, ...extra } });
}

/** Adapts pino to Nest's LoggerService so framework messages share the same stream. */
export class NestPinoLogger {
  constructor(private readonly logger: Logger) {}
  log(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  error(message: unknown, trace?: string, context?: string): void {
    this.logger.error({ context, trace }, String(message));
  }
  warn(message: unknown, context?: string): void {
    this.logger.warn({ context }, String(message));
  }
  debug(message: unknown, context?: string): void {
    this.logger.debug({ context }, String(message));
  }
  verbose(message: unknown, context?: string): void {
    this.logger.trace({ context }, String(message));
  }
}

/**
 * The "ready" line is how launchers know an actor is up (libs/infra waits for it), so it is
 * written whatever the configured level.
 */
export function logReady(log: Logger, fields: Record<string, unknown>): void {
  const level = log.level;
  log.level = "info";
  log.info(fields, "ready");
  log.level = level;
}
