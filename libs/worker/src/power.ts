import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { PowerState } from "#contracts";

const SUPPLIES = "/sys/class/power_supply";

/**
 * A device's power state for telemetry: fixed by DEVICE_POWER (`plugged`, `battery:0.4`,
 * `charging:0.8`), read from the kernel's battery (`auto`, Linux), or set at run time by an
 * operator or a test (the worker's power subject) to play a device going on battery.
 */
export class PowerSource {
  private override: PowerState | null = null;

  constructor(private readonly setting: string) {}

  current(): PowerState {
    if (this.override) return this.override;
    if (this.setting === "auto") return readBattery() ?? { source: "plugged", level: null };
    return parsePowerSetting(this.setting);
  }

  set(state: PowerState): void {
    this.override = state;
  }
}

export function parsePowerSetting(setting: string): PowerState {
  const [source, level] = setting.split(":");
  if (source !== "plugged" && source !== "battery" && source !== "charging")
    throw new Error(`unknown power source '${setting}'`);
  return { source, level: level === undefined ? null : Number(level) };
}

/** The first battery the kernel lists, if any. */
function readBattery(): PowerState | null {
  try {
    for (const name of readdirSync(SUPPLIES)) {
      const dir = join(SUPPLIES, name);
      if (readFileSync(join(dir, "type"), "utf8").trim() !== "Battery") continue;
      const level = Number(readFileSync(join(dir, "capacity"), "utf8").trim()) / 100;
      const status = readFileSync(join(dir, "status"), "utf8").trim();
      const source = status === "Discharging" ? "battery" : status === "Charging" ? "charging" : "plugged";
      return { source, level: Number.isFinite(level) ? level : null };
    }
  } catch {
    // No power-supply class (a server, a container): treated as plugged in.
  }
  return null;
}
