import { constants, createGzip } from "node:zlib";
import type { Request, Response } from "express";
import type { DashboardRole } from "#contracts";
import type { FleetFeed } from "../feed/fleet-feed.js";

/** A comment line this often keeps proxies from closing a quiet stream. */
export const HEARTBEAT_MS = 15_000;
/** A client this far behind (bytes queued) is dropped rather than holding the dashboard's memory. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** Whether the client takes a gzip-encoded body (browsers and fetch do). */
function acceptsGzip(req: Request): boolean {
  return /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
}

/**
 * `GET /dashboard/api/stream`: server-sent events. First `state` (the whole state for the caller's
 * role), then `delta` whenever something changed (at most every DASHBOARD_PUSH_MS) and `point`
 * for each chart sample; `: heartbeat` comments in between. The page follows it with
 * `applyDashboardDelta` (libs/contracts). Gzip-encoded when the client takes it, flushed after
 * every event: a large fleet's rows repeat from delta to delta and compress about tenfold.
 */
export function openFeedStream(feed: FleetFeed, role: DashboardRole, req: Request, res: Response): void {
  res.status(200);
  res.setHeader("Content-Type", "text/event-stream; charset=utf-8");
  res.setHeader("Cache-Control", "no-cache, no-transform");
  res.setHeader("Connection", "keep-alive");
  res.setHeader("X-Accel-Buffering", "no");
  const gzip = acceptsGzip(req) ? createGzip({ level: 3 }) : null;
  if (gzip) {
    res.setHeader("Content-Encoding", "gzip");
    res.setHeader("Vary", "Accept-Encoding");
    gzip.pipe(res);
  }
  res.flushHeaders();
  req.socket.setNoDelay(true);
  const write = (text: string) => {
    if (gzip) {
      gzip.write(text);
      gzip.flush(constants.Z_SYNC_FLUSH);
    } else res.write(text);
  };
  const send = (event: string, data: unknown) => {
    if (res.writableLength + (gzip?.writableLength ?? 0) > MAX_BUFFERED_BYTES) {
      close();
      throw new Error("stream client too far behind");
    }
    write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const { state, moveSeq } = feed.snapshot(role);
  send("state", state);
  const stopListening = feed.listen(
    { delta: (delta) => send("delta", delta), point: (point) => send("point", point), close },
    moveSeq,
  );
  const heartbeat = setInterval(() => write(": heartbeat\n\n"), HEARTBEAT_MS);
  heartbeat.unref();
  let closed = false;
  function close(): void {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    stopListening();
    if (gzip) gzip.end();
    else res.end();
  }
  req.on("close", close);
  res.on("error", close);
}
