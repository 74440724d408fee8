#!/usr/bin/env bash
# Builds the SpecFleet image from the repo's Containerfile with podman (buildah's engine).
#
# Usage: scripts/container/build.sh [--base IMAGE] [--tag NAME] [--gpu none|cuda|vulkan] [--ca FILE]
#                                   [--network MODE] [-- more podman build arguments]
#   --base     BASE_IMAGE (default: the Containerfile's, docker.io/library/node:20-bookworm-slim;
#              without a registry: localhost/specfleet-base:node20 from scripts/container/base-image.sh)
#   --tag      default ghcr.io/specfleet/specfleet:<package.json version>
#   --gpu      LLAMA_GPU: which GPU prebuilt binaries of node-llama-cpp to keep besides the CPU ones
#   --ca       PEM file of CAs npm must trust while installing (a TLS-inspecting proxy); a build
#              secret, never in a layer
#   --network  the build's network (podman build --network), e.g. host
# Prints the build time and the image's size.
set -euo pipefail

repo="$(cd "$(dirname "$0")/../.." && pwd)"
version="$(node -p 'require(process.argv[1]).version' "$repo/package.json")"
tag="ghcr.io/specfleet/specfleet:$version"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --base) args+=(--build-arg "BASE_IMAGE=${2:?--base needs an image}"); shift ;;
    --tag) tag="${2:?--tag needs a name}"; shift ;;
    --gpu) args+=(--build-arg "LLAMA_GPU=${2:?--gpu needs none, cuda or vulkan}"); shift ;;
    --ca) args+=(--secret "id=ca_certs,src=${2:?--ca needs a file}"); shift ;;
    --network) args+=(--network "${2:?--network needs a mode}"); shift ;;
    --) shift; args+=("$@"); break ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

export CONTAINERS_CONF="${CONTAINERS_CONF:-$repo/scripts/container/containers.conf}"
revision="$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)"
started=$SECONDS
# docker format: OCI image configs have no HEALTHCHECK.
podman build --format docker --file "$repo/Containerfile" --tag "$tag" \
  --build-arg "VERSION=$version" --build-arg "REVISION=$revision" \
  ${args[@]+"${args[@]}"} "$repo"
size="$(podman image inspect --format '{{.Size}}' "$tag")"
echo "build.sh: $tag built in $((SECONDS - started)) s, $((size / 1000000)) MB"
