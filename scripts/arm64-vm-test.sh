#!/usr/bin/env bash
# Runs dlv-listen's tests on linux/arm64 in an emulated arm64 virtual machine,
# from an amd64 Debian (or Ubuntu) machine, as root.
#
#   scripts/arm64-vm-test.sh [package ...]     (default: every package below)
#
# It installs what it needs from Debian's packages (qemu-system-arm, cpio,
# and, as arm64 packages unpacked here, not installed: a kernel and
# busybox-static), cross-compiles the test binaries (CGO_ENABLED=0
# GOARCH=arm64 go test -c) and the test programs (found by the tests through
# DLV_LISTEN_TESTPROG_DIR, so the VM needs no Go toolchain), packs them into
# an initramfs whose /init runs them and powers off, boots
# qemu-system-aarch64 and prints go test's output. The exit status is 0 only
# if every test binary exited 0.
#
# Environment:
#   ARM64_VM_CACHE    downloaded packages and the unpacked kernel
#                     (default ~/.cache/dlv-listen-arm64-vm)
#   ARM64_VM_TIMEOUT  seconds the VM may run (default 2400)
#   ARM64_VM_RUN      -test.run pattern passed to every test binary
#   ARM64_VM_KERNEL_ARGS  more kernel arguments (default quiet)
#   ARM64_VM_NICE     niceness of qemu (default 15)
#   ARM64_VM_SCALE    factor stretching the tests' deadlines in the VM, where
#                     programs run 10-100 times slower (default 20)
#   ARM64_VM_JOBS     test binaries run at a time in the VM (default 2, as
#                     its CPUs; the longest are listed first)
set -euo pipefail

# The whole script is one function, read before it runs: editing the file
# while a run takes its half hour does not change that run.
main() {
cd "$(dirname "$0")/.."
root=$(pwd)
start=$(date +%s)

packages=("$@")
if [ ${#packages[@]} -eq 0 ]; then
	# The longest first: the VM runs them ARM64_VM_JOBS at a time, in
	# this order. integration/compare is left out: it runs only with
	# DLV_LISTEN_COMPARE=1 and installs stock dlv with the go command.
	packages=(./integration ./backend ./service/dap ./service/rpc ./service/debugger
		./listenmode ./internal/testprog ./internal/procguard ./service/listener)
fi
cache=${ARM64_VM_CACHE:-$HOME/.cache/dlv-listen-arm64-vm}
timeout_s=${ARM64_VM_TIMEOUT:-2400}
nice_n=${ARM64_VM_NICE:-15}
scale=${ARM64_VM_SCALE:-20}
jobs=${ARM64_VM_JOBS:-2}

log() { printf 'arm64-vm: %s\n' "$*" >&2; }

# --- host tools and arm64 packages -------------------------------------------
need_apt=()
command -v qemu-system-aarch64 >/dev/null || need_apt+=(qemu-system-arm)
command -v cpio >/dev/null || need_apt+=(cpio)
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	log "adding the arm64 architecture to dpkg"
	dpkg --add-architecture arm64
	apt_updated=
fi
if [ ${#need_apt[@]} -gt 0 ] || ! apt-cache show busybox-static:arm64 >/dev/null 2>&1; then
	log "apt-get update"
	apt-get update -q >/dev/null
fi
if [ ${#need_apt[@]} -gt 0 ]; then
	log "installing ${need_apt[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need_apt[@]}" >/dev/null
fi

mkdir -p "$cache/debs"
# The cloud kernel: small, and has what qemu's virt machine needs built in
# (PL011 console, virtio). The metapackage names the current version.
kpkg=$(apt-cache depends linux-image-cloud-arm64:arm64 2>/dev/null |
	awk '/Depends: linux-image-[0-9]/ {sub(/:arm64$/, "", $2); print $2; exit}')
if [ -z "$kpkg" ]; then
	log "cannot find the arm64 cloud kernel package (apt-cache depends linux-image-cloud-arm64:arm64)"
	exit 2
fi
# unpack DIR PKG...: download each arm64 package once and unpack it into DIR.
unpack() {
	local dir=$1 pkg
	shift
	mkdir -p "$dir"
	for pkg in "$@"; do
		if ! ls "$cache/debs/${pkg}_"*_arm64.deb >/dev/null 2>&1; then
			log "downloading $pkg:arm64"
			(cd "$cache/debs" && apt-get download -q -o APT::Sandbox::User=root "$pkg:arm64" >/dev/null)
		fi
		if [ ! -e "$dir/.$pkg" ]; then
			dpkg-deb -x "$cache/debs/${pkg}_"*_arm64.deb "$dir"
			touch "$dir/.$pkg"
		fi
	done
}
unpack "$cache/root" "$kpkg" busybox-static
# bash and dash, with the libraries they link, for the job-control tests in
# real shells.
unpack "$cache/userland" bash dash libc6 libtinfo6
vmlinuz=$(ls "$cache/root/boot/vmlinuz-${kpkg#linux-image-}")
busybox=$cache/root/bin/busybox
file -b "$busybox" 2>/dev/null | grep -q 'ARM aarch64' || [ ! -x /usr/bin/file ] || {
	log "$busybox is not an arm64 binary"
	exit 2
}

# --- cross-compiled tests and test programs ----------------------------------
work=$(mktemp -d /tmp/dlv-listen-arm64-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
initrd_root=$work/root
mkdir -p "$initrd_root"/{bin,dev,etc,proc,sys,tmp,tests,testprog}
# Users for os/user (Delve finds its config directory through it) and the
# tests that drop to nobody.
printf 'root:x:0:0:root:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$initrd_root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$initrd_root/etc/group"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$initrd_root/etc/hosts"
cp "$busybox" "$initrd_root/bin/busybox"
cp -a "$cache/userland/lib" "$initrd_root/"
cp "$cache/userland/bin/bash" "$cache/userland/bin/dash" "$initrd_root/bin/"

export CGO_ENABLED=0 GOOS=linux GOARCH=arm64
log "cross-compiling test programs"
for dir in internal/testprog/src/*/; do
	name=$(basename "$dir")
	go build -gcflags=all=-N\ -l -o "$initrd_root/testprog/$name" "./${dir%/}"
done
# The programs tests build stripped (testprog.BuildStripped).
for name in counter spawner; do
	go build -ldflags='-s -w' -o "$initrd_root/testprog/$name.stripped" "./internal/testprog/src/$name"
done
go build -o "$initrd_root/testprog/dlv-listen" ./cmd/dlv-listen
# Stock dlv, for the tests that compare with it: integration.StockDlv finds
# it in the user cache directory (XDG_CACHE_HOME=/cache in the VM). Built
# once; go install puts a cross-compiled binary in GOPATH/bin/linux_arm64.
dlv_version=$(go list -m -f '{{.Version}}' github.com/go-delve/delve)
stock_dlv=$cache/dlv-$dlv_version
if [ ! -x "$stock_dlv" ]; then
	log "cross-compiling stock dlv $dlv_version"
	(cd / && env -u GOBIN GOFLAGS= go install "github.com/go-delve/delve/cmd/dlv@$dlv_version")
	gopath=$(go env GOPATH)
	cp "${gopath%%:*}/bin/linux_arm64/dlv" "$stock_dlv"
fi
mkdir -p "$initrd_root/cache/dlv-listen-test"
cp "$stock_dlv" "$initrd_root/cache/dlv-listen-test/dlv-$dlv_version"

tests=()
for pkg in "${packages[@]}"; do
	name=$(echo "${pkg#./}" | tr / _)
	log "cross-compiling the tests of $pkg"
	go test -c -o "$initrd_root/tests/$name.test" "$pkg"
	if [ -e "$initrd_root/tests/$name.test" ]; then
		# It runs in its package directory at the path it has here, so
		# testdata and the sources named in the programs' debug
		# information are where they are on this machine.
		mkdir -p "$initrd_root$root/${pkg#./}"
		[ -d "$pkg/testdata" ] && cp -r "$pkg/testdata" "$initrd_root$root/${pkg#./}/"
		tests+=("$name:${pkg#./}")
		# Tests that show source lines read the test programs' sources;
		# go.mod marks the module root for those that look for it.
		cp go.mod "$initrd_root$root/"
		if [ ! -d "$initrd_root$root/internal/testprog/src" ]; then
			mkdir -p "$initrd_root$root/internal/testprog"
			cp -r internal/testprog/src "$initrd_root$root/internal/testprog/"
		fi
	fi
done
unset CGO_ENABLED GOOS GOARCH

run_flag=
# Single-quoted for /init's shell: a pattern has ( | ) $ in it.
[ -n "${ARM64_VM_RUN:-}" ] && run_flag="'-test.run=${ARM64_VM_RUN//\'/\'\\\'\'}'"
cat >"$initrd_root/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin HOME=/tmp TMPDIR=/tmp XDG_CACHE_HOME=/cache
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mkdir -p /dev/pts
mount -t devpts -o ptmxmode=666 devpts /dev/pts
mount -t tmpfs tmp /tmp
export DLV_LISTEN_TESTPROG_DIR=/testprog DLV_LISTEN_BIN=/testprog/dlv-listen
export DLV_LISTEN_TEST_TIMEOUT_SCALE=$scale
# A tenth of the thread-churn test's 600 continue/halt rounds: a few seconds
# on the host, minutes emulated.
export DLV_LISTEN_CHURN_ROUNDS=60
# The loopback interface, for the DAP and headless servers' tests.
ip link set lo up
echo "arm64-vm: kernel \$(uname -r) \$(uname -m), \$(nproc) cpus, $jobs test binaries at a time"
# Each worker takes the next test binary nobody has claimed (mkdir is
# atomic), runs it into a file and prints the file whole when it ends.
worker() {
	for t in ${tests[*]}; do
		name=\${t%%:*}
		dir=\${t#*:}
		mkdir /tmp/claim.\$name 2>/dev/null || continue
		cd $root/\$dir
		echo "arm64-vm: START \$dir"
		s=\$(date +%s)
		/tests/\$name.test -test.v -test.count=1 -test.timeout=30m $run_flag >/tmp/out.\$name 2>&1
		rc=\$?
		echo "arm64-vm: RESULT \$dir exit=\$rc seconds=\$((\$(date +%s) - s))" >>/tmp/out.\$name
		# busybox-static has no flock: a directory is the console's lock.
		until mkdir /tmp/console.lock 2>/dev/null; do sleep 1; done
		echo "arm64-vm: === \$dir"
		cat /tmp/out.\$name
		rmdir /tmp/console.lock
	done
}
i=0
while [ \$i -lt $jobs ]; do
	worker &
	i=\$((i + 1))
done
wait
echo "arm64-vm: DONE"
poweroff -f
EOF
chmod +x "$initrd_root/init"
(cd "$initrd_root" && find . | cpio -o -H newc --quiet | gzip -1) >"$work/initrd.gz"
log "initramfs $(du -h "$work/initrd.gz" | cut -f1), booting $(basename "$vmlinuz") (built in $(($(date +%s) - start)) s)"

# --- boot ---------------------------------------------------------------------
# -cpu max with pauth-impdef: the kernel signs every return address, and
# QEMU's emulation of the architected algorithm (QARMA) is many times slower
# than its implementation-defined one.
out=$work/console.log
set +e
timeout "$timeout_s" nice -n "$nice_n" qemu-system-aarch64 \
	-M virt -cpu max,pauth-impdef=on -smp 2 -m 2048 -nographic -no-reboot -nic none \
	-kernel "$vmlinuz" -initrd "$work/initrd.gz" \
	-append "console=ttyAMA0 rdinit=/init panic=-1 ${ARM64_VM_KERNEL_ARGS-quiet}" </dev/null | tee "$out"
qemu_rc=${PIPESTATUS[0]}
set -e

status=0
if [ "$qemu_rc" -eq 124 ]; then
	log "the VM did not finish within $timeout_s s"
	status=1
elif ! grep -q '^arm64-vm: DONE' "$out"; then
	log "the VM stopped before running every test (qemu exit $qemu_rc)"
	status=1
fi
log "summary:"
for t in "${tests[@]}"; do
	dir=${t#*:}
	line=$(tr -d '\r' <"$out" | grep "^arm64-vm: RESULT $dir " || true)
	if [ -z "$line" ]; then
		log "  $dir: did not run to the end"
		status=1
		continue
	fi
	log "  ${line#arm64-vm: RESULT }"
	case "$line" in *" exit=0 "*) ;; *) status=1 ;; esac
done
log "lane took $(($(date +%s) - start)) s, status $status"
return $status
}

main "$@"
