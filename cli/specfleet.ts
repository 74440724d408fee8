#!/usr/bin/env node
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { fleetStatus, fleetStatusOptions } from "./fleet-status/command.js";
import { fleetUp, fleetUpOptions } from "./fleet-up.js";
import { devicesCommands } from "./devices/commands.js";
import { keysCommands } from "./keys/commands.js";
import { joinCommand, joinOptions } from "./join/command.js";
import { modelCommands } from "./model/commands.js";
import { healthCommand, healthOptions, workerCommands } from "./ops/commands.js";
import { profileCommand, profileOptions } from "./profile/command.js";
import { secretsCommands } from "./secrets/command.js";
import { serveCommand, serveOptions } from "./serve/command.js";
import { simCommands } from "./sim/commands.js";

/** `specfleet <command>`: developer tooling around a SpecFleet deployment. */
await yargs(hideBin(process.argv))
  .scriptName("specfleet")
  .usage("$0 <command>\n\nDistributed speculative decoding over NATS: run a local fleet, build its models.")
  .command("fleet", "Run a SpecFleet on this machine", (fleet) =>
    fleet
      .command(
        "up",
        "Start nats-server, redis-server, registry, scheduler, gateway and the workers, each its own process; Ctrl-C stops them all",
        fleetUpOptions,
        fleetUp,
      )
      .command(
        "status",
        "The running fleet's devices, pairs, sessions and the scheduler's moves, from its dashboard service",
        fleetStatusOptions,
        fleetStatus,
      )
      .demandCommand(1, "Say what to do with the fleet: specfleet fleet up, or specfleet fleet status"),
  )
  .command(
    "devices",
    "Device NATS credentials of a running fleet: issue, list, revoke (its gateway's admin API)",
    (devices) => devicesCommands(devices),
  )
  .command(
    "join",
    "Join a fleet from this device as a drafter: one command with the URL, the device's credential and a model",
    joinOptions,
    joinCommand,
  )
  .command("keys", "API keys of a running gateway: create, list, show, revoke, usage (its admin API)", keysCommands)
  .command("model", "Inspect GGUF models; derive drafters and benchmark targets from them", modelCommands)
  .command(
    "profile",
    "Time a model on this machine as a verifier or a drafter: a DSD-Sim device profile (JSON)",
    profileOptions,
    profileCommand,
  )
  .command(
    "serve <actor>",
    "Run one actor (registry, scheduler, gateway, dashboard, verify-worker, draft-worker) in this process, from its environment: the container image's command",
    serveOptions,
    serveCommand,
  )
  .command(
    "secrets",
    "The NATS authority, credentials, Redis passwords and tokens of a cluster fleet, as the Secrets helm/specfleet takes",
    secretsCommands,
  )
  .command("sim", "DSD-Sim: simulate fleets too large to deploy, on the production policies", simCommands)
  .command(
    "health",
    "Exit 0 when the actor in this container answers its health endpoint (HEALTH_PORT, GATEWAY_PORT or DASHBOARD_PORT), else 1",
    healthOptions,
    healthCommand,
  )
  .command("worker", "The worker in this container: drain it (a pod's preStop)", workerCommands)
  .demandCommand(1, "Say which command to run; see specfleet --help")
  .strict()
  .recommendCommands()
  .help()
  .alias("h", "help")
  .version(false)
  .wrap(Math.min(110, process.stdout.columns ?? 100))
  .parseAsync();
