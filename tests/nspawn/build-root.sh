#!/usr/bin/env bash
# Builds (once) a Debian root that boots systemd as PID 1 under systemd-nspawn, for the fleet e2e
# tests, and prints its path. The root is cached under $EDGE_NSPAWN_CACHE (default
# /var/tmp/edge-proxy-nspawn-root) in a folder keyed by the hash of this script, so changing the
# package list or the steps below builds a new root; containers boot it with --volatile=overlay, so
# it is never written to after it is built.
# A root is used only once it is complete: it is built in "$key.partial" (removed first, so an
# interrupted build is never resumed), checked (systemd, python3 and java run inside it), marked
# .complete and only then renamed to "$key"; a "$key" without the mark is removed and rebuilt.
# The mirror is the one apt on this host already uses (first deb URI of the host's sources).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${EDGE_NSPAWN_CACHE:-/var/tmp/edge-proxy-nspawn-root}"
suite="${EDGE_NSPAWN_SUITE:-bookworm}"
include="systemd,systemd-sysv,dbus,python3,iproute2,procps,curl,ca-certificates,openjdk-17-jre-headless"
key="$(cat "$here/build-root.sh" | sha256sum | cut -c1-16)-$suite"
root="$cache/$key"
if [[ -f "$root/.complete" ]]; then
  echo "$root"
  exit 0
fi

mirror="$(grep -hE '^\s*URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)"
if [[ -z "$mirror" ]]; then
  mirror="$(grep -hE '^\s*deb\s' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)"
fi
[[ -n "$mirror" ]] || { echo "build-root.sh: no Debian mirror found in apt's sources" >&2; exit 1; }

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock 9
if [[ -f "$root/.complete" ]]; then echo "$root"; exit 0; fi
# Older roots (other keys) are stale: remove them so the cache does not grow without bound.
find "$cache" -mindepth 1 -maxdepth 1 -type d ! -name "$key" -exec rm -rf {} +
# An interrupted debootstrap leaves its mounts (proc, sys) inside the partial root: unmount them first.
awk -v p="$root.partial/" 'index($2, p) == 1 {print $2}' /proc/self/mounts | sort -r | while read -r m; do umount -l "$m"; done
rm -rf --one-file-system "$root.partial" "$root"
debootstrap --variant=minbase --include="$include" "$suite" "$root.partial" "$mirror" >&2
# Boot faster and quieter: no getty on the console, no network management (the host's network
# namespace is shared), no timers that would change the root under the test.
chroot "$root.partial" systemctl mask console-getty.service getty@.service systemd-networkd.service \
  systemd-resolved.service apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer fstrim.timer \
  systemd-timesyncd.service >&2 || true
echo "edge-node" > "$root.partial/etc/hostname"
rm -f "$root.partial/etc/machine-id" && : > "$root.partial/etc/machine-id"
rm -rf "$root.partial/var/cache/apt/archives/"*.deb
# Every package installed and configured, and what the nodes and the role run works, or the root is not
# used. (java cannot run in a chroot without /proc: its launcher finds libjli.so through /proc/self/exe.)
for p in ${include//,/ }; do
  [[ "$(chroot "$root.partial" dpkg-query -W -f='${Status}' "$p")" == "install ok installed" ]] \
    || { echo "build-root.sh: $p is not installed in $root.partial" >&2; exit 1; }
done
chroot "$root.partial" /lib/systemd/systemd --version >/dev/null
chroot "$root.partial" /usr/bin/python3 -c 'import json, zipfile' >/dev/null
chroot "$root.partial" sh -c 'j=$(readlink -f /usr/bin/java) && test -x "$j" && test -f "${j%/bin/java}/lib/libjli.so"'
sync -f "$root.partial"
touch "$root.partial/.complete"
mv -T "$root.partial" "$root"
echo "$root"
