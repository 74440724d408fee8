#!/usr/bin/env bash
# bench:round at two revisions, side by side: what a change costs a round (e.g. metrics and
# traces). Builds BASE in a worktree under .cache/bench-base/ (once), then alternates
# `bench:round` runs of BASE and of this tree ROUNDS times, and prints each run's medians and the
# ratio of the medians over all runs (after / before) for the fleet path and for fleet / in-process.
#
#   bash bench/round/compare-revisions.sh BASE [ROUNDS] [-- bench:round options]
set -euo pipefail
cd "$(dirname "$0")/../.."
base="${1:?usage: compare-revisions.sh BASE_REVISION [ROUNDS] [-- bench:round options]}"
shift
rounds=3
if [ $# -gt 0 ] && [ "$1" != "--" ]; then rounds="$1"; shift; fi
[ "${1:-}" = "--" ] && shift
dir=".cache/bench-base/$(git rev-parse --short "$base")"
if [ ! -f "$dir/dist/bench/round/main.js" ]; then
  echo "compare-revisions: building $base in $dir…" >&2
  rm -rf "$dir" && git worktree prune
  git worktree add --detach -f "$dir" "$base" >/dev/null
  ln -sfn "$PWD/node_modules" "$dir/node_modules"
  (cd "$dir" && npx tsc -p . >/dev/null)
fi
npx tsc -p . >/dev/null
# The base worktree sits elsewhere, so its default model path (../shared beside the project) would
# not resolve: both runs get this tree's model unless one is given.
case " $* " in
  *" --model"*) ;;
  *) set -- --model "$(node --input-type=module -e 'import { defaultModelPath } from "#infra"; console.log(defaultModelPath())')" "$@" ;;
esac
out=$(mktemp -d)
for i in $(seq 1 "$rounds"); do
  echo "compare-revisions: round $i/$rounds: before ($base)…" >&2
  (cd "$dir" && node dist/bench/round/main.js "$@" 2>/dev/null) > "$out/before-$i.txt"
  echo "compare-revisions: round $i/$rounds: after (this tree)…" >&2
  node dist/bench/round/main.js "$@" 2>/dev/null > "$out/after-$i.txt"
done
node - "$out" "$rounds" <<'JS'
const { readFileSync } = require("node:fs");
const [dir, rounds] = [process.argv[2], Number(process.argv[3])];
const figures = (file) => {
  const text = readFileSync(file, "utf8");
  const row = (name) => Number(new RegExp(`^\\| ${name}[^|]*\\| ([0-9.]+)`, "m").exec(text)?.[1]);
  return { fleet: row("fleet"), local: row("in-process") };
};
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const runs = [];
console.log("\n| round | before: fleet ms/round | before: in-process | after: fleet ms/round | after: in-process |\n|---|---|---|---|---|");
for (let i = 1; i <= rounds; i++) {
  const b = figures(`${dir}/before-${i}.txt`), a = figures(`${dir}/after-${i}.txt`);
  runs.push({ b, a });
  console.log(`| ${i} | ${b.fleet.toFixed(3)} | ${b.local.toFixed(3)} | ${a.fleet.toFixed(3)} | ${a.local.toFixed(3)} |`);
}
const fb = median(runs.map((r) => r.b.fleet)), fa = median(runs.map((r) => r.a.fleet));
const rb = median(runs.map((r) => r.b.fleet / r.b.local)), ra = median(runs.map((r) => r.a.fleet / r.a.local));
console.log(`\nfleet path, median over rounds: before ${fb.toFixed(3)} ms/round, after ${fa.toFixed(3)} ms/round: after / before ${(fa / fb).toFixed(3)}×`);
console.log(`fleet / in-process, median over rounds: before ${rb.toFixed(2)}×, after ${ra.toFixed(2)}×: after / before ${(ra / rb).toFixed(3)}×`);
JS
