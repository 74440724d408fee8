#!/usr/bin/env bash
# Makes a local stand-in for the published base image (docker.io/library/node:20-bookworm-slim)
# where no image registry is reachable: Debian bookworm from Debian's own mirror
# (debootstrap --variant=minbase, trimmed as Debian's slim images are) with this machine's Node.js 20
# and npm laid out as the official image lays them out (/usr/local/bin/node, /usr/local/lib/node_modules/npm),
# imported into podman as localhost/specfleet-base:node20. Then:
#   scripts/container/build.sh --base localhost/specfleet-base:node20
#
# Why debootstrap rather than a rootfs holding only node and the shared libraries it and
# node-llama-cpp's prebuilt binaries load: that one takes ~4 s and 100 MB here, debootstrap ~75 s,
# but the Containerfile's RUN steps (npm install and its install scripts, groupadd/useradd) need a real
# Debian userland like the published base's; a libraries-only rootfs would test another image.
#
# Usage: scripts/container/base-image.sh [--force] [--tag NAME]
#   --force   make it again even when an image of that name from the same node binary exists
#   --tag     default localhost/specfleet-base:node20
# Environment: NODE_BIN (default: node on PATH; must be 20.x), DEBIAN_MIRROR (default http://deb.debian.org/debian).
# Needs root, podman and debootstrap (scripts/container/ensure-podman.sh installs them).
set -euo pipefail

tag=localhost/specfleet-base:node20
force=false
while [ $# -gt 0 ]; do
  case "$1" in
    --force) force=true ;;
    --tag) tag="${2:?--tag needs a name}"; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "base-image.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

here="$(cd "$(dirname "$0")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"
node_bin="$(readlink -f "${NODE_BIN:-$(command -v node)}")"
node_version="$("$node_bin" --version)"
case "$node_version" in
  v20.*) ;;
  *) echo "base-image.sh: $node_bin is Node.js $node_version; the image is for Node.js 20 (set NODE_BIN)" >&2; exit 1 ;;
esac
npm_dir="$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")"
[ -f "$npm_dir/package.json" ] || { echo "base-image.sh: npm not found beside $node_bin" >&2; exit 1; }
for tool in podman debootstrap; do
  command -v "$tool" >/dev/null || { echo "base-image.sh: $tool is missing (scripts/container/ensure-podman.sh installs it)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "base-image.sh: debootstrap needs root" >&2; exit 1; }

# The same node binary gives the same image: kept unless --force.
node_sum="$(sha256sum "$node_bin" | cut -c1-16)"
if [ "$force" = false ] && podman image exists "$tag" &&
  [ "$(podman image inspect --format '{{ index .Labels "org.specfleet.base.node-sha256" }}' "$tag")" = "$node_sum" ]; then
  echo "base-image.sh: $tag is up to date (Node.js $node_version)"
  exit 0
fi

root="$(mktemp -d /var/tmp/specfleet-base.XXXXXX)"
trap 'rm -rf "$root"' EXIT
started=$SECONDS
echo "base-image.sh: debootstrap bookworm (minbase) into $root…"
debootstrap --variant=minbase bookworm "$root" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}" >"$root.log" 2>&1 ||
  { tail -20 "$root.log" >&2; rm -f "$root.log"; exit 1; }
rm -f "$root.log"

# Trimmed as Debian's slim images are: no package lists, caches, manuals or translations.
rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/usr/share/man/* "$root"/usr/share/info/* \
  "$root"/usr/share/locale/* "$root"/var/log/*.log "$root"/var/cache/debconf/*-old
find "$root/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true

# Node.js and npm where the official node image has them.
install -D -m 0755 "$node_bin" "$root/usr/local/bin/node"
mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
chroot "$root" /usr/local/bin/node --version >/dev/null

tar --numeric-owner -C "$root" -c . | podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=${node_version#v}" \
  --change "LABEL org.specfleet.base.node=$node_version" \
  --change "LABEL org.specfleet.base.node-sha256=$node_sum" \
  --change 'CMD ["node"]' \
  - "$tag" >/dev/null
echo "base-image.sh: $tag made in $((SECONDS - started)) s ($(podman image inspect --format '{{.Size}}' "$tag") bytes; Node.js $node_version, Debian bookworm)"
