#!/usr/bin/env bash
# Builds SpecFleet's native llama.cpp runner (native/llama: greedy drafting and greedy verify
# passes) against the libllama node-llama-cpp loads: its build for this machine when there is
# one, else its prebuilt binaries. Needs g++ (Debian's build-essential). Without it the workers
# draft and verify through node-llama-cpp instead (slower), so a failed build warns and exits 0. Skipped when the addon is newer than its inputs.
set -euo pipefail
cd "$(dirname "$0")/.."

out=native/llama/build/specfleet_llama.node
src=native/llama/runner.cc
llama=node_modules/node-llama-cpp/llama
platform=$(node -p 'process.platform + "-" + process.arch')
lib_dir=$llama/localBuilds/$platform/Release
if [ ! -f "$lib_dir/libllama.v0.5.0.so" ]; then
  prebuilt=$(ls node_modules/@node-llama-cpp/"$platform"/bins/*/libllama.v0.5.0.so 2> /dev/null | head -n 1 || true)
  lib_dir=$(dirname "${prebuilt:-none/none}")
fi
include=$llama/llama.cpp/include
ggml_include=$llama/llama.cpp/ggml/include

skip() {
  echo "specfleet: native runner not built ($1); the workers draft and verify through node-llama-cpp"
  exit 0
}
[ -f "$lib_dir/libllama.v0.5.0.so" ] || skip "no libllama.v0.5.0.so from node-llama-cpp"
[ -f "$include/llama.h" ] || skip "no llama.cpp headers under $llama/llama.cpp"
command -v g++ > /dev/null || skip "no g++: apt-get install build-essential"
if [ -f "$out" ] && [ "$out" -nt "$src" ] && [ "$out" -nt "$lib_dir/libllama.v0.5.0.so" ]; then exit 0; fi

echo "specfleet: building the native runner (native/llama, a few seconds)…"
mkdir -p "$(dirname "$out")"
lib_abs=$(cd "$lib_dir" && pwd)
if ! g++ -std=c++17 -O2 -Wall -shared -fPIC -DNAPI_VERSION=8 -DNAPI_DISABLE_CPP_EXCEPTIONS \
  -I node_modules/node-api-headers/include -I node_modules/node-addon-api -I "$include" -I "$ggml_include" \
  "$src" -L "$lib_abs" -l:libllama.v0.5.0.so -l:libggml-base.so -Wl,-rpath,"$lib_abs" -o "$out.tmp" 2> .cache/native-build.log; then
  rm -f "$out.tmp"
  tail -n 5 .cache/native-build.log
  skip "the compile failed: .cache/native-build.log"
fi
mv "$out.tmp" "$out"
