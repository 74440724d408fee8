import type { ErrorCode } from "#contracts";

/** An expected failure with a code the gateway maps to an HTTP status. */
export class SpecFleetError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "SpecFleetError";
  }
}

/** Nobody listens on the subject: the worker is gone or never existed. */
export class NoResponderError extends SpecFleetError {
  constructor(subject: string) {
    super("internal", `nobody answers on ${subject}: the worker is not running`);
    this.name = "NoResponderError";
  }
}

/** A request that got no reply in time (the peer is gone, slow, or never existed). */
export class RequestTimeoutError extends SpecFleetError {
  constructor(subject: string, timeoutMs: number) {
    super("internal", `no reply on ${subject} within ${timeoutMs} ms`);
    this.name = "RequestTimeoutError";
  }
}
