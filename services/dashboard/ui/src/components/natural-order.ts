/**
 * A key that orders text as people read it (drafter-2 before drafter-10) under plain `<`:
 * lower-cased, each run of digits zero-padded. `localeCompare` with `numeric` does the same but
 * took ~350 ms to sort 2,000 device ids in Chromium, on every feed update.
 */
export function naturalKey(text: string): string {
  return text.toLowerCase().replace(/\d+/g, (digits) => digits.padStart(16, "0"));
}

export function naturalCompare(a: string, b: string): number {
  const x = naturalKey(a);
  const y = naturalKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
