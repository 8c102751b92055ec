#!/bin/sh
# deps.sh -- installs the Debian 12 packages Levee needs to build, run and test.
# Idempotent: installs only what is missing. Needs root (or sudo).
set -eu

PKGS="meson ninja-build pkg-config gcc clang libclang-rt-14-dev
libldns-dev ldnsutils libuv1-dev libjemalloc-dev libcunit1-dev libyaml-dev
libsodium-dev liburcu-dev libbpf-dev libxdp-dev xdp-tools liblmdb-dev libssl-dev unbound
knot knot-dnsutils nsd bind9 bind9-dnsutils dnsperf
python3-dnspython python3-pytest iproute2 procps gnuplot-nox valgrind
scdoc man-db libsystemd-dev systemd libmicrohttpd-dev prometheus
libfstrm-dev libprotobuf-c-dev protobuf-c-compiler fstrm-bin dnstap-ldns
knot-module-dnstap qemu-system-x86 busybox-static cpio"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done

if [ -n "$missing" ]; then
	SUDO=""
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	echo "deps: installing$missing"
	$SUDO apt-get update -q
	# Packaged servers (knot, nsd, prometheus) must not start as system services: the
	# tests start their own on loopback. policy-rc.d stops invoke-rc.d.
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
		$SUDO chmod +x /usr/sbin/policy-rc.d
		trap '$SUDO rm -f /usr/sbin/policy-rc.d' EXIT
	fi
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi
