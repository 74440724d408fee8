import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { isLoopbackHost } from "#config";
import type { Logger } from "#logging";

/** Where a drain stands, as `GET /drain` tells a loopback caller (`specfleet worker drain`). */
export interface DrainStatus {
  draining: boolean;
  /** Draining and no session left (or the drain's time is up). */
  done: boolean;
  sessions: number;
}

/** A worker's drain, as the health listener drives it. */
export interface DrainControl {
  /** Starts draining (once; later calls change nothing). */
  start(): void;
  status(): DrainStatus;
}

export interface HealthServerOptions {
  host: string;
  port: number;
  log: Logger;
  /** Whether the actor can do its work now (connected to NATS; a worker: model loaded and registered). */
  ready: () => boolean;
  /** Workers: POST /drain starts it, GET /drain tells where it is (loopback peers only). */
  drain?: DrainControl;
}

export interface HealthServer {
  /** The port it listens on (the one given, or the one the system chose for 0 in tests). */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * The health listener of an actor without an HTTP API (registry, scheduler, workers): what the
 * kubelet probes. GET /healthz answers while the process runs; GET /readyz when it can work. They
 * say ok or not ready and nothing else (the listener binds the pod's address). A worker's drain is
 * for its own pod only: POST /drain and GET /drain answer loopback peers that name a loopback host
 * (a page in a browser on the node cannot rebind its way in), and 403 anyone else.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const server = createServer((req, res) => answer(options, req, res));
  server.keepAliveTimeout = 1000;
  server.headersTimeout = 5000;
  server.requestTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (err) => options.log.error({ err: err.message }, "health listener error"));
  const port = (server.address() as AddressInfo).port;
  options.log.info({ host: options.host, port }, "health listener up");
  return { port, close: () => closeServer(server) };
}

function answer(options: HealthServerOptions, req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? "/").split("?", 1)[0];
  if (path === "/healthz" || path === "/readyz") {
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, { error: "method not allowed" });
    if (path === "/healthz") return send(res, 200, { status: "ok" });
    const ready = safely(options.ready, false);
    return send(res, ready ? 200 : 503, { status: ready ? "ok" : "not ready" });
  }
  if (path === "/drain" && options.drain !== undefined) {
    if (!fromLoopback(req)) return send(res, 403, { error: "the drain is asked from the pod itself (loopback)" });
    if (req.method === "POST") {
      options.drain.start();
      return send(res, 202, options.drain.status());
    }
    if (req.method === "GET") return send(res, 200, options.drain.status());
    return send(res, 405, { error: "method not allowed" });
  }
  send(res, 404, { error: "not found" });
}

/** A loopback peer that names a loopback host. */
function fromLoopback(req: IncomingMessage): boolean {
  const peer = (req.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
  const host = (req.headers.host ?? "").trim().toLowerCase();
  const hostName = host.startsWith("[") ? host.slice(1, host.indexOf("]")) : host.split(":", 1)[0]!;
  return isLoopbackHost(peer) && isLoopbackHost(hostName);
}

function safely(check: () => boolean, fallback: boolean): boolean {
  try {
    return check();
  } catch {
    return fallback;
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store" });
  res.end(`${JSON.stringify(body)}\n`);
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** The health settings an actor's configuration carries (libs/config: HEALTH_PORT, HEALTH_HOST). */
export interface HealthConfig {
  HEALTH_PORT: number;
  HEALTH_HOST: string;
}

/** Starts the health listener when HEALTH_PORT is set (not 0); else null. */
export async function startConfiguredHealthServer(
  config: HealthConfig,
  options: Omit<HealthServerOptions, "host" | "port">,
): Promise<HealthServer | null> {
  if (config.HEALTH_PORT === 0) return null;
  return startHealthServer({ ...options, host: config.HEALTH_HOST, port: config.HEALTH_PORT });
}
