import { remoteErrorSchema, type ErrorCode, type RemoteError } from "#contracts";

/** An expected failure with a code that crosses the wire and that the gateway maps to an HTTP status. */
export class SpecFleetError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "SpecFleetError";
  }
}

/** A peer answered a request with a coded error: its code and message, as it sent them. */
export class PeerError extends SpecFleetError {
  constructor(
    readonly subject: string,
    error: RemoteError,
  ) {
    super(error.code, error.message);
    this.name = "PeerError";
  }
}

/** Nobody listens on the subject: the worker is gone or never existed. */
export class NoResponderError extends SpecFleetError {
  constructor(readonly subject: string) {
    super("internal", `nobody answers on ${subject}: the worker is not running`);
    this.name = "NoResponderError";
  }
}

/** A request that got no reply in time (the peer is gone, slow, or never existed). */
export class RequestTimeoutError extends SpecFleetError {
  constructor(
    readonly subject: string,
    timeoutMs: number,
  ) {
    super("internal", `no reply on ${subject} within ${timeoutMs} ms`);
    this.name = "RequestTimeoutError";
  }
}

/** A message larger than the broker accepts (NATS's max_payload, 1 MiB by default): it was never sent. */
export class PayloadTooLargeError extends SpecFleetError {
  constructor(
    readonly subject: string,
    bytes: number,
    maxBytes: number | undefined,
  ) {
    super(
      "bad_request",
      `a ${bytes}-byte message on ${subject} exceeds the broker's limit${maxBytes ? ` of ${maxBytes} bytes` : ""}`,
    );
    this.name = "PayloadTooLargeError";
  }
}

/**
 * What a handler's failure says on the wire: a SpecFleetError keeps its code, a `{code, message}`
 * object (an RpcException's error) is taken as it is, anything else is `internal`.
 */
export function toRemoteError(error: unknown): RemoteError {
  if (error instanceof SpecFleetError) return { code: error.code, message: error.message };
  const coded = remoteErrorSchema.safeParse(rpcErrorOf(error));
  if (coded.success) return coded.data;
  if (error instanceof Error) return { code: "internal", message: error.message };
  const message = (error as { message?: unknown } | null)?.message;
  return { code: "internal", message: typeof message === "string" ? message : String(error) };
}

/** Nest's RpcException wraps what it was given; duck-typed so this file needs no Nest import. */
function rpcErrorOf(error: unknown): unknown {
  const getError = (error as { getError?: unknown } | null)?.getError;
  return typeof getError === "function" ? (getError as () => unknown).call(error) : error;
}
