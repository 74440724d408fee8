import type { Argv } from "yargs";
import { DashboardClient } from "./dashboard-client.js";
import { renderFleetStatus, STATUS_VIEWS } from "./render.js";

export function fleetStatusOptions(yargs: Argv) {
  return yargs
    .option("dashboard", {
      type: "string",
      default: process.env.SPECFLEET_DASHBOARD ?? "http://127.0.0.1:8081",
      describe: "The dashboard service's URL (SPECFLEET_DASHBOARD)",
    })
    .option("admin-token", {
      type: "string",
      describe: "The dashboard's admin or viewer token when it has one (SPECFLEET_ADMIN_TOKEN)",
    })
    .option("watch", { type: "boolean", default: false, alias: "w", describe: "Redraw live until Ctrl-C" })
    .option("view", { choices: STATUS_VIEWS, default: "all" as const, describe: "Which tables to show" })
    .option("limit", { type: "number", default: 20, describe: "Most rows per table" })
    .option("json", { type: "boolean", default: false, describe: "Print the dashboard's state as JSON (no --watch)" })
    .check((argv) => {
      if (!Number.isInteger(argv.limit) || argv.limit < 1) throw new Error("--limit must be a positive integer");
      if (argv.json && argv.watch) throw new Error("--json prints one state; leave out --watch");
      return true;
    })
    .example("$0 fleet status", "devices, pairs, sessions, queue and the scheduler's last moves, once")
    .example("$0 fleet status --watch --view pairs", "the pairs in use, redrawn as the fleet changes");
}

type FleetStatusArgs = Awaited<ReturnType<typeof fleetStatusOptions>["argv"]>;

export async function fleetStatus(args: FleetStatusArgs): Promise<void> {
  const token = args["admin-token"] ?? process.env.SPECFLEET_ADMIN_TOKEN;
  const client = new DashboardClient(args.dashboard, token);
  const options = { view: args.view, limit: args.limit };
  if (!args.watch) {
    const state = await client.state();
    process.stdout.write(
      args.json ? JSON.stringify(state, null, 2) + "\n" : renderFleetStatus(state, { ...options, now: Date.now() }),
    );
    return;
  }
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  let last = 0;
  await client.follow((state) => {
    // At most a few redraws a second: the stream sends a delta every half second and a point every second.
    if (Date.now() - last < 250) return;
    last = Date.now();
    process.stdout.write("\x1b[H\x1b[2J" + renderFleetStatus(state, { ...options, now: Date.now() }));
  }, stop.signal);
}
