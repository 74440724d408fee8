import { createServer, type Server } from "node:http";
import type { Duplex } from "node:stream";
import { ExpressAdapter } from "@nestjs/platform-express";
import type { GatewayConfig } from "#config";
import { HttpApiError } from "#http";

/** The HTTP server's limits, from the gateway's configuration (libs/config/src/gateway.ts). */
export interface EdgeLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
  maxHeaderBytes: number;
}

export function edgeLimitsOf(config: GatewayConfig): EdgeLimits {
  return {
    headersTimeoutMs: config.GATEWAY_HEADERS_TIMEOUT_MS,
    requestTimeoutMs: config.GATEWAY_REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: config.GATEWAY_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: config.GATEWAY_MAX_CONNECTIONS,
    maxHeaderBytes: config.GATEWAY_MAX_HEADER_BYTES,
  };
}

/**
 * Node's HTTP server with every limit set on purpose rather than left at its defaults (headers
 * held 60 s, a stalled body never cut off before 5 min, no connection cap). Node checks the two
 * timeouts every `connectionsCheckingInterval`; it must not exceed the shorter one, or a short
 * timeout would be enforced late. The request timeout covers receiving the request only: a long
 * stream of tokens back is not cut.
 */
export function createEdgeServer(limits: EdgeLimits, listener: Parameters<typeof createServer>[1]): Server {
  // Node refuses a headers timeout above the request timeout.
  const headersTimeout = Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs);
  const server = createServer(
    {
      headersTimeout,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      maxHeaderSize: limits.maxHeaderBytes,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
    },
    listener,
  );
  if (limits.maxConnections > 0) server.maxConnections = limits.maxConnections;
  server.on("clientError", answerClientError);
  return server;
}

/** Nest's Express adapter on `createEdgeServer`. */
export class EdgeExpressAdapter extends ExpressAdapter {
  constructor(private readonly limits: EdgeLimits) {
    super();
  }

  override initHttpServer(): void {
    this.httpServer = createEdgeServer(this.limits, this.getInstance());
  }
}

/**
 * A request Node could not read (malformed, headers too large, too slow) is answered in OpenAI's
 * shape, as Node would answer it (400, 431, 408) but with a body a client can show; then the
 * connection closes. Nothing is written over a response already under way on that socket.
 */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === "ECONNRESET" || !socket.writable || inFlight?.headersSent === true) {
    socket.destroy();
    return;
  }
  const error = clientErrorOf(err.code);
  const body = JSON.stringify(error.body());
  socket.end(
    `HTTP/1.1 ${error.status} ${error.statusText}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Node's parser and timeout error codes, as OpenAI errors. */
export function clientErrorOf(code: string | undefined): HttpApiError & { statusText: string } {
  const error = (status: number, statusText: string, message: string, errorCode: string) =>
    Object.assign(new HttpApiError(status, message, "invalid_request_error", errorCode), { statusText });
  switch (code) {
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return error(408, "Request Timeout", "the request was not received in time", "request_timeout");
    case "HPE_HEADER_OVERFLOW":
      return error(431, "Request Header Fields Too Large", "the request's headers are too large", "headers_too_large");
    default:
      return error(400, "Bad Request", `the request is not valid HTTP (${code ?? "unknown"})`, "bad_http_request");
  }
}
