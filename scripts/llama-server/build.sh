#!/usr/bin/env bash
# Builds llama.cpp's own llama-server from the llama.cpp source that node-llama-cpp ships
# (node_modules/node-llama-cpp/llama/gitRelease.bundle), once, into .cache/llama-server/.
# Rebuilt only when the bundle changes (its sha256 is the cache key). Prints the binary's path
# on the last line of stdout; .cache/llama-server/version.json records the llama.cpp release
# and commit it was built from. Used by test/fixtures/llama-server (token-id and greedy-text
# fixtures) and by benchmarks that compare SpecFleet with llama-server on the same model.
#
#   bash scripts/llama-server/build.sh            # build if needed, print the binary's path
#   LLAMA_SERVER_JOBS=1 bash scripts/llama-server/build.sh   # fewer compile jobs (default 2)
#
# Needs git, cmake and a C++ compiler (apt-get install -y cmake g++ git). About 4 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/../.."

bundle=node_modules/node-llama-cpp/llama/gitRelease.bundle
info=node_modules/node-llama-cpp/llama/llama.cpp.info.json
out=.cache/llama-server
src="$out/llama.cpp"
bin="$out/llama-server"
version="$out/version.json"
jobs="${LLAMA_SERVER_JOBS:-2}"

[ -f "$bundle" ] || { echo "llama-server: $bundle is missing (run npm install)" >&2; exit 1; }
for tool in git cmake c++; do
  command -v "$tool" >/dev/null || { echo "llama-server: '$tool' not found (apt-get install -y git cmake g++)" >&2; exit 1; }
done

key=$(sha256sum "$bundle" | cut -d' ' -f1)
if [ -x "$bin" ] && [ -f "$version" ] && grep -q "\"bundleSha256\": \"$key\"" "$version"; then
  echo "$(pwd)/$bin"
  exit 0
fi

echo "llama-server: building from $bundle (about 4 minutes)…" >&2
rm -rf "$src" "$bin" "$version"
mkdir -p "$out"
git clone --quiet "$bundle" "$src" >&2
commit=$(git -C "$src" rev-parse HEAD)
describe=$(git -C "$src" describe --tags --always 2>/dev/null || echo "$commit")
(
  cd "$src"
  cmake -B build -DCMAKE_BUILD_TYPE=Release -DLLAMA_BUILD_UI=OFF -DLLAMA_USE_PREBUILT_UI=OFF \
    -DLLAMA_OPENSSL=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
    -DBUILD_SHARED_LIBS=OFF >&2
  cmake --build build --target llama-server -j "$jobs" >&2
)
cp "$src/build/bin/llama-server" "$bin"
release=$(node -e "console.log(JSON.parse(require('fs').readFileSync('$info','utf8')).tag)")
cat > "$version" <<JSON
{
  "nodeLlamaCppRelease": "$release",
  "llamaCppCommit": "$commit",
  "llamaCppDescribe": "$describe",
  "bundleSha256": "$key",
  "server": "$("$bin" --version 2>&1 | grep -m1 version | tr -d '"' || true)"
}
JSON
echo "llama-server: built $bin ($describe)" >&2
echo "$(pwd)/$bin"
