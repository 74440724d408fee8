#!/usr/bin/env bash
# Installs the npm packages when they are missing or stale, then compiles. Safe to run often.
# (nats-server and redis-server are installed, when missing, by whatever starts them: libs/infra.)
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package.json -nt "$stamp" ] || { [ -f package-lock.json ] && [ package-lock.json -nt "$stamp" ]; }; then
  echo "specfleet: installing npm packages (npm install)…"
  # node-llama-cpp 3.22.1's lock entries for other platforms' binaries are not served here,
  # so `npm ci` refuses the lock; `npm install` works.
  npm install --no-audit --no-fund
fi

# node-llama-cpp's engine built for this machine from the llama.cpp source it ships (the same
# release), once: its prebuilt binary evaluates a verify window ~1.5x slower here
# (docs/benchmarks.md, "node-llama-cpp built here"). A failed build leaves the prebuilt one in use.
# SPECFLEET_PREBUILT_LLAMA=1 skips it.
local_builds=node_modules/node-llama-cpp/llama/localBuilds
if [ ! -d "$local_builds" ] && [ "${SPECFLEET_PREBUILT_LLAMA:-0}" != "1" ]; then
  mkdir -p .cache
  echo "specfleet: building llama.cpp for this machine (once, about 5 minutes on 2 cores; log: .cache/llama-addon-build.log)…"
  if npx --no node-llama-cpp source download --gpu false --noUsageExample > .cache/llama-addon-build.log 2>&1; then
    echo "specfleet: llama.cpp built for this machine"
  else
    rm -rf "$local_builds"
    tail -n 5 .cache/llama-addon-build.log
    echo "specfleet: the build failed (above, and .cache/llama-addon-build.log); using node-llama-cpp's prebuilt binaries"
  fi
fi

bash scripts/build-native.sh

echo "specfleet: compiling (tsc)…"
npx tsc -p .
echo "specfleet: bundling the dashboard UI (esbuild)…"
node scripts/build-dashboard-ui.mjs
