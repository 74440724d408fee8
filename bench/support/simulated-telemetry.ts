/**
 * The simulated fleet's registrations and telemetry (`SimulatedFleet.start`) in a process of their
 * own, so that a benchmark's client and its simulated workers' session subjects do not share an
 * event loop with 20,000 heartbeats a second, and so that their CPU is measured apart.
 * `node dist/bench/support/simulated-telemetry.js --nats <url> --workers <n>`; prints "ready"
 * once connected; stops on SIGTERM or SIGINT.
 */
import { connect } from "nats";
import pino from "pino";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { ContractBus } from "#transport";
import { SimulatedFleet } from "./simulated-fleet.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("simulated-telemetry")
  .option("nats", { type: "string", demandOption: true, describe: "NATS server URL" })
  .option("workers", { type: "number", demandOption: true, describe: "simulated workers (a fifth of them verifiers)" })
  .strict()
  .help()
  .parseAsync();

const nc = await connect({ servers: argv.nats, name: "bench-simulated-telemetry" });
const fleet = new SimulatedFleet(new ContractBus(nc, pino({ level: "silent" })), { workers: argv.workers, holdMs: 0 });
fleet.start();
console.log(JSON.stringify({ msg: "ready" }));
const stop = () => {
  fleet.stop();
  void nc.drain().finally(() => process.exit(0));
};
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
