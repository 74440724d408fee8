#!/usr/bin/env node
import yargs, { type Argv } from "yargs";
import { hideBin } from "yargs/helpers";

/** Adds one top-level command (and its subcommands) to the program. */
type Registrar = (cli: Argv) => Argv;

/**
 * Each top-level command, loaded only when it runs: some pull in the whole engine (fleet up,
 * join, profile, secrets, sim take 1-3 s of CPU to import), and a pod's probe (`health`) or
 * preStop (`worker drain`) must not pay for them. `--help` and a mistyped command load them all.
 */
const COMMANDS: Record<string, () => Promise<Registrar>> = {
  fleet: async () => {
    const [{ fleetUp, fleetUpOptions }, { fleetStatus, fleetStatusOptions }] = await Promise.all([
      import("./fleet-up.js"),
      import("./fleet-status/command.js"),
    ]);
    return (cli) =>
      cli.command("fleet", "Run a SpecFleet on this machine", (fleet) =>
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
      );
  },
  devices: async () => {
    const { devicesCommands } = await import("./devices/commands.js");
    return (cli) =>
      cli.command(
        "devices",
        "Device NATS credentials of a running fleet: issue, list, revoke (its gateway's admin API)",
        (devices) => devicesCommands(devices),
      );
  },
  join: async () => {
    const { joinCommand, joinOptions } = await import("./join/command.js");
    return (cli) =>
      cli.command(
        "join",
        "Join a fleet from this device as a drafter: one command with the URL, the device's credential and a model",
        joinOptions,
        joinCommand,
      );
  },
  keys: async () => {
    const { keysCommands } = await import("./keys/commands.js");
    return (cli) =>
      cli.command(
        "keys",
        "API keys of a running gateway: create, list, show, revoke, usage (its admin API)",
        keysCommands,
      );
  },
  model: async () => {
    const { modelCommands } = await import("./model/commands.js");
    return (cli) =>
      cli.command("model", "Inspect GGUF models; derive drafters and benchmark targets from them", modelCommands);
  },
  profile: async () => {
    const { profileCommand, profileOptions } = await import("./profile/command.js");
    return (cli) =>
      cli.command(
        "profile",
        "Time a model on this machine as a verifier or a drafter: a DSD-Sim device profile (JSON)",
        profileOptions,
        profileCommand,
      );
  },
  serve: async () => {
    const { serveCommand, serveOptions } = await import("./serve/command.js");
    return (cli) =>
      cli.command(
        "serve <actor>",
        "Run one actor (registry, scheduler, gateway, dashboard, verify-worker, draft-worker) in this process, from its environment: the container image's command",
        serveOptions,
        serveCommand,
      );
  },
  secrets: async () => {
    const { secretsCommands } = await import("./secrets/command.js");
    return (cli) =>
      cli.command(
        "secrets",
        "The NATS authority, credentials, Redis passwords and tokens of a cluster fleet, as the Secrets helm/specfleet takes",
        secretsCommands,
      );
  },
  sim: async () => {
    const { simCommands } = await import("./sim/commands.js");
    return (cli) =>
      cli.command("sim", "DSD-Sim: simulate fleets too large to deploy, on the production policies", simCommands);
  },
  health: async () => {
    const { healthCommand, healthOptions } = await import("./ops/commands.js");
    return (cli) =>
      cli.command(
        "health",
        "Exit 0 when the actor in this container answers its health endpoint (HEALTH_PORT, GATEWAY_PORT or DASHBOARD_PORT), else 1",
        healthOptions,
        healthCommand,
      );
  },
  worker: async () => {
    const { workerCommands } = await import("./ops/commands.js");
    return (cli) => cli.command("worker", "The worker in this container: drain it (a pod's preStop)", workerCommands);
  },
};

const argv = hideBin(process.argv);
const chosen = Object.hasOwn(COMMANDS, argv[0] ?? "") ? [COMMANDS[argv[0]!]!] : Object.values(COMMANDS);
const registrars = await Promise.all(chosen.map((load) => load()));

/** `specfleet <command>`: developer tooling around a SpecFleet deployment. */
const program = yargs(argv)
  .scriptName("specfleet")
  .usage("$0 <command>\n\nDistributed speculative decoding over NATS: run a local fleet, build its models.")
  .help()
  .alias("h", "help")
  .version(false)
  .wrap(Math.min(110, process.stdout.columns ?? 100));
for (const register of registrars) register(program);
await program
  .demandCommand(1, "Say which command to run; see specfleet --help")
  .strict()
  .recommendCommands()
  .parseAsync();
