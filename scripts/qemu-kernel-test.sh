#!/bin/sh
# qemu-kernel-test.sh [BUILD_DIR] -- runs the existence filter's unit test
# (BUILD_DIR/tests/unit/test_exist_filter, default build/) under Debian 12's
# stock kernel 6.1 in QEMU, so the program is known to pass that kernel's
# verifier whatever kernel this machine runs (issue 16).
#
# The kernel package that linux-image-amd64 depends on is downloaded, never
# installed (no grub or initramfs hooks), and unpacked into
# BUILD_DIR/qemu-kernel/, where it is kept. An initramfs is built each run:
# busybox-static, the test, the libraries ldd lists and the loader. The
# guest prints its kernel release and the test's exit status on the serial
# console: QEMU-KERNEL=<release>, QEMU-TEST-RC=<n>. QEMU emulates (TCG,
# about 15 s in all); QEMU_ACCEL=kvm asks for KVM, which on a machine whose
# /dev/kvm opens but runs no guest (nested virtualisation) hangs until the
# 300 s timeout.
#
# Exits 0 when the release starts with 6.1. and the test passed; 77 when
# the existence filter is not built (no clang BPF target); 1 otherwise.
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
test_bin=$build/tests/unit/test_exist_filter
cache=$build/qemu-kernel
log=$cache/console.log

if [ ! -f "$build/server/exist_filter.bpf.o" ]; then
	echo "qemu-kernel-test: SKIP: the existence filter is not built" \
		"(no clang BPF target) in $build"
	exit 77
fi
[ -x "$test_bin" ] || { echo "qemu-kernel-test: $test_bin missing"; exit 1; }
for t in qemu-system-x86_64 cpio ldd; do
	command -v $t >/dev/null || { echo "qemu-kernel-test: $t missing"; exit 1; }
done
[ -x /bin/busybox ] || { echo "qemu-kernel-test: /bin/busybox missing"; exit 1; }
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

# 1. The kernel: linux-image-6.1.0-N-amd64, unpacked once.
pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
	sed -n 's/^ *Depends: \(linux-image-6\.1\.[^ ]*\)$/\1/p' | head -n 1)
kernel=$(ls "$cache"/kernel/boot/vmlinuz-6.1.* 2>/dev/null | head -n 1 || true)
if [ -n "$pkg" ] && [ ! -f "$cache/kernel/boot/vmlinuz-${pkg#linux-image-}" ]; then
	rm -rf "$cache/kernel" "$cache"/*.deb
	(cd "$cache" && apt-get download -q "$pkg") >/dev/null 2>&1 ||
		{ echo "qemu-kernel-test: apt-get download $pkg failed"; exit 1; }
	# only boot/ is needed, not the modules
	dpkg-deb --fsys-tarfile "$cache"/"$pkg"_*.deb |
		tar -x -C "$cache" --transform 's,^\./boot,kernel/boot,' ./boot
	rm -f "$cache"/*.deb
	kernel=$cache/kernel/boot/vmlinuz-${pkg#linux-image-}
fi
[ -f "$kernel" ] || {
	echo "qemu-kernel-test: no 6.1 kernel (linux-image-amd64 depends on '$pkg';" \
		"apt-get update?)"; exit 1; }

# 2. The initramfs: busybox, the test and what it links.
root=$cache/root
rm -rf "$root"
mkdir -p "$root/bin" "$root/proc" "$root/sys" "$root/tmp" "$root/dev"
cp /bin/busybox "$root/bin/busybox"
cp "$test_bin" "$root/bin/test_exist_filter"
for lib in $(ldd "$test_bin" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'); do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done
cat > "$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s /bin
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
echo "QEMU-KERNEL=$(uname -r)"
cd /tmp
LEVEE_EXIST_FILTER_REQUIRED=1 /bin/test_exist_filter
echo "QEMU-TEST-RC=$?"
poweroff -f
EOF
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 > "$cache/initrd.gz"
rm -rf "$root"

# 3. Boot it.
accel=${QEMU_ACCEL:-tcg}
echo "qemu-kernel-test: booting $(basename "$kernel") ($accel)"
rc=0
timeout 300 qemu-system-x86_64 -accel "$accel" -m 512M -smp 1 \
	-nodefaults -no-user-config -display none -serial stdio -no-reboot \
	-kernel "$kernel" -initrd "$cache/initrd.gz" \
	-append 'console=ttyS0 panic=-1 quiet' </dev/null > "$log" 2>&1 || rc=$?
tr -d '\r' < "$log" > "$log.txt" && mv "$log.txt" "$log"
cat "$log"
[ "$rc" -eq 0 ] || echo "qemu-kernel-test: qemu exited $rc (124: timeout)"

release=$(sed -n 's/^QEMU-KERNEL=//p' "$log" | head -n 1)
status=$(sed -n 's/^QEMU-TEST-RC=//p' "$log" | head -n 1)
echo "qemu-kernel-test: guest kernel ${release:-?}, test exit status ${status:-?}"
case $release in
6.1.*) ;;
*) echo "qemu-kernel-test: FAIL: the guest kernel is not 6.1"; exit 1 ;;
esac
[ "$status" = 0 ] || { echo "qemu-kernel-test: FAIL"; exit 1; }
echo "qemu-kernel-test: ok"
