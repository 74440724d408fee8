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

echo "specfleet: compiling (tsc)…"
npx tsc -p .
echo "specfleet: bundling the dashboard UI (esbuild)…"
node scripts/build-dashboard-ui.mjs
