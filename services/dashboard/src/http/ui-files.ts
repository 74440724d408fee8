import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import express, { type NextFunction, type Request, type Response } from "express";

/** Where esbuild puts the page (services/dashboard/ui → dist/dashboard-ui), beside this file's dist/services. */
export function defaultUiDir(): string {
  return resolve(dirname(fileURLToPath(import.meta.url)), "../../../../dashboard-ui");
}

/**
 * `GET /dashboard` and `/dashboard/*`: the page's files from the built UI folder, its index.html
 * for any other path (the page routes itself), except `/dashboard/api/…` (left to the API). No
 * file here is secret: the data behind them needs a login.
 */
export function uiFiles(dir: string) {
  const index = join(dir, "index.html");
  const files = express.static(dir, { index: false, fallthrough: true, maxAge: 0 });
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.path === "/api" || req.path.startsWith("/api/")) return next();
    if (req.method !== "GET" && req.method !== "HEAD") return next();
    if (!existsSync(index)) {
      res
        .status(503)
        .type("text/plain")
        .send(`The dashboard's page is not built (no ${index}): run \`npm run build\` first.\n`);
      return;
    }
    files(req, res, () => {
      res.setHeader("Cache-Control", "no-cache");
      res.sendFile(index);
    });
  };
}
