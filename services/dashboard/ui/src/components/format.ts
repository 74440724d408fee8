// How numbers read on the page: short, with units, a dash for what nothing measured yet.

export const DASH = "–";

export function fixed(value: number | null | undefined, digits = 1): string {
  return value == null || !Number.isFinite(value) ? DASH : value.toFixed(digits);
}

export function percent(value: number | null | undefined): string {
  return value == null ? DASH : `${Math.round(value * 100)}%`;
}

export function ms(value: number | null | undefined): string {
  if (value == null) return DASH;
  return value >= 1000 ? `${(value / 1000).toFixed(1)} s` : `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
}

/** An age such as a heartbeat's or a wait: 3s, 4m 05s, 2h 10m. */
export function age(msAgo: number): string {
  const s = Math.max(0, Math.floor(msAgo / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
}

export function bytes(value: number): string {
  if (value <= 0) return DASH;
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let unit = 0;
  let v = value;
  while (v >= 1024 && unit < units.length - 1) {
    v /= 1024;
    unit++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[unit]}`;
}

export function clock(at: number): string {
  return new Date(at).toLocaleTimeString([], { hour12: false });
}
