import type { NestExpressApplication } from "@nestjs/platform-express";
import type { Express, NextFunction, Request, RequestHandler, Response } from "express";
import type { GatewayMetrics } from "#metrics";
import { GatewayMeters } from "../metrics/gateway-meters.js";
import { expressRoutes, RouteLabeller, UNMATCHED_ROUTE } from "./route-label.js";

/** The status counted for a request whose client left before its answer was complete (nginx's). */
export const CLIENT_CLOSED_STATUS = 499;

/** Methods counted by name; anything else Node's parser accepts is `other` (a bounded label). */
const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]);

const arrivals = new WeakMap<object, number>();

/**
 * When the request reached the gateway (`performance.now()` ms), as the HTTP edge noted it: a
 * completion's TTFT and latency start here. A request the edge did not see (a test's fake) arrives now.
 */
export function arrivalOf(req: object): number {
  return arrivals.get(req) ?? performance.now();
}

/**
 * Counts every answer (`specfleet:http_requests_total` by route pattern, method and status) and
 * notes each request's arrival. Installed first, before the body parsers, so that a body refused
 * before routing is counted too; a client gone before its answer ended counts as 499.
 */
export function httpMetrics(requests: GatewayMetrics["httpRequests"], routes: RouteLabeller): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    arrivals.set(req, performance.now());
    let counted = false;
    const count = (status: number) => {
      if (counted) return;
      counted = true;
      const path = (req.originalUrl || req.url).split("?", 1)[0]!;
      const served = (req.route as { path?: unknown } | undefined)?.path;
      const method = METHODS.has(req.method) ? req.method : "other";
      let route: string;
      try {
        route = routes.label(req.method, path, served);
      } catch {
        // Counting runs in the response's event listener: nothing a client sends may throw there.
        route = UNMATCHED_ROUTE;
      }
      requests.inc({ route, method, status: String(status) });
    };
    res.once("finish", () => count(res.statusCode));
    res.once("close", () => count(res.writableFinished ? res.statusCode : CLIENT_CLOSED_STATUS));
    next();
  };
}

/** `httpMetrics` for the gateway's application: its meters, and its Express router's routes. */
export function gatewayHttpMetrics(app: NestExpressApplication): RequestHandler {
  const express = app.getHttpAdapter().getInstance() as Express;
  return httpMetrics(
    app.get(GatewayMeters).metrics.httpRequests,
    new RouteLabeller(() => expressRoutes(express.router)),
  );
}
