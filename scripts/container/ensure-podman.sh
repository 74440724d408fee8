#!/usr/bin/env bash
# Installs what the container scripts and test need when it is missing (podman, runc, debootstrap;
# Debian/Ubuntu, as root), then checks that podman can run a container here: a throwaway image of
# this machine's /bin/true, run with runc on the host's network, then removed. Exits non-zero with
# the reason when something is missing or cannot run (the container test skips with it).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$here/containers.conf}"

missing=()
command -v podman >/dev/null || missing+=(podman)
command -v runc >/dev/null || [ -x /usr/sbin/runc ] || missing+=(runc)
command -v debootstrap >/dev/null || [ -x /usr/sbin/debootstrap ] || missing+=(debootstrap)
if [ ${#missing[@]} -gt 0 ]; then
  [ -f /etc/debian_version ] || { echo "missing ${missing[*]}, and this is not Debian/Ubuntu: install them" >&2; exit 1; }
  [ "$(id -u)" = 0 ] || { echo "missing ${missing[*]}, and not root to apt-get them" >&2; exit 1; }
  echo "ensure-podman.sh: installing ${missing[*]}…"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null 2>&1 || true
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/ensure-podman.$$.log 2>&1 ||
    { tail -5 /tmp/ensure-podman.$$.log >&2; rm -f /tmp/ensure-podman.$$.log; echo "apt-get install ${missing[*]} failed" >&2; exit 1; }
  rm -f /tmp/ensure-podman.$$.log
fi

probe="localhost/specfleet-probe:$$"
root="$(mktemp -d)"
trap 'rm -rf "$root"; podman rmi -f "$probe" >/dev/null 2>&1 || true' EXIT
true_bin="$(readlink -f /usr/bin/true)"
mkdir -p "$root/bin"
cp "$true_bin" "$root/bin/true"
for lib in $(ldd "$true_bin" | awk '/\//{ print ($3 ~ /^\//) ? $3 : $1 }'); do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
if ! out="$(tar -C "$root" -c . | podman import --quiet - "$probe" 2>&1)"; then
  echo "podman cannot import an image here: $out" >&2
  exit 1
fi
if ! out="$(podman run --rm --network host "$probe" /bin/true 2>&1)"; then
  echo "podman cannot run a container here (runc, host network): $out" >&2
  exit 1
fi
echo "ensure-podman.sh: podman $(podman version --format '{{.Client.Version}}') runs containers here"
