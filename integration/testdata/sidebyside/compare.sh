#!/usr/bin/env bash
# compare.sh: run script.dlv (next to this file) through stock Delve's
# `dlv attach` and through `dlv-listen attach`, and diff what they print.
# It is TestSideBySideAttach (integration/sidebyside_test.go) by hand.
#
#   bash integration/testdata/sidebyside/compare.sh     # from anywhere
#
# What it does:
#   1. Builds dlv-listen (./cmd/dlv-listen) and the debuggee, internal/
#      testprog's counter (-gcflags='all=-N -l', as the tests build it), into
#      a temporary directory. Uses stock dlv v1.27.2 from $DLV if set, else
#      from the test's cache, ${XDG_CACHE_HOME:-$HOME/.cache}/dlv-listen-test/
#      dlv-v1.27.2, else installs it there with `go install` (network; ~30 s).
#   2. Starts two identical counters, `GOMAXPROCS=1 counter -out FILE
#      -workers 3 -period 1ms`, one per debugger (a single process could not
#      stop at the same n twice: n keeps counting), and runs the two
#      debuggers at the same time, each as
#        <debugger> attach PID --init SCRIPT --allow-non-terminal-interactive=true
#      with stdin from /dev/null, TERM=dumb, a private default Delve config,
#      and GO_TELEMETRY_CHILD=2 (no Go telemetry child process from dlv).
#      SCRIPT is script.dlv with a marker, print "### <command>", before each
#      command, so every command's output is headed by the command.
#   3. Normalises both transcripts as sbsNormalize in the test does:
#      escapes and trailing blanks dropped; the module, GOROOT and temporary
#      directories become <root>, <goroot>, <tmp>; "process/pid PID" -> <pid>,
#      "thread N" -> <tid>; data pointers (*T)(0x..) and unsafe.Pointer(0x..)
#      -> <ptr> (code addresses are kept: same binary); comma-separated
#      address lists sorted (Delve prints them in map order); a goroutine's
#      wait time "[reason N]" -> "[reason]", and the "[sleep]" of goroutines
#      in time.Sleep dropped (whether a 1 ms sleep has just ended when the
#      program stops is timing, not the debugger).
#   4. Prints `diff -u dlv dlv-listen` of the normalised transcripts.
#
# Needs Go 1.26, Linux amd64, and root (or kernel.yama.ptrace_scope=0): the
# debuggers attach to processes they did not start. Exit status: 0 the
# transcripts agree, 1 they differ, 2 something else failed. KEEP=1 keeps the
# temporary directory (raw and normalised transcripts: dlv.*, dlv-listen.*).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
work=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	for f in "$work"/*.pid; do [ -f "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null || true; done
	wait 2>/dev/null || true
	if [ "${KEEP:-}" = 1 ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() { echo "compare.sh: $*" >&2; exit 2; }

# 1. The binaries.
go=$(command -v go) || fail "go not found"
goroot=$("$go" env GOROOT)
dlv=${DLV:-}
cache="${XDG_CACHE_HOME:-$HOME/.cache}/dlv-listen-test/dlv-v1.27.2"
if [ -z "$dlv" ]; then
	if GO_TELEMETRY_CHILD=2 "$cache" version 2>/dev/null | grep -q 'Version: 1.27.2'; then
		dlv=$cache
	else
		echo "installing stock dlv v1.27.2 ..." >&2
		GOBIN="$work/gobin" GOFLAGS= "$go" install github.com/go-delve/delve/cmd/dlv@v1.27.2 ||
			fail "go install github.com/go-delve/delve/cmd/dlv@v1.27.2 failed (no network?)"
		mkdir -p "$(dirname "$cache")" && cp "$work/gobin/dlv" "$cache.tmp$$" && mv "$cache.tmp$$" "$cache"
		dlv=$cache
	fi
fi
(cd "$root" && "$go" build -o "$work/dlv-listen.bin" ./cmd/dlv-listen) || fail "building dlv-listen"
(cd "$root" && "$go" build -gcflags='all=-N -l' -o "$work/counter" ./internal/testprog/src/counter) || fail "building counter"

# The script, with a marker before every command (blank and # lines dropped,
# as Delve does).
while IFS= read -r line || [ -n "$line" ]; do
	line=$(printf '%s' "$line" | sed -E 's/^[[:space:]]+//; s/[[:space:]]+$//')
	case "$line" in '' | '#'*) continue ;; esac
	esc=$(printf '%s' "$line" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g')
	printf 'print "### %s"\n%s\n' "$esc" "$line"
done <"$here/script.dlv" >"$work/script.dlv"
stop_at=$(sed -nE 's/^condition 1 n == ([0-9]+)$/\1/p' "$here/script.dlv")

# 3. The normalisation (see the header and sbsNormalize).
normalise() { # file pid
	local subst=() d
	# Longest directory first.
	while IFS= read -r d; do subst+=(-e "s|$d|$(placeholder "$d")|g"); done < <(
		printf '%s\n' "$work" "$root" "$goroot" | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f2-)
	sed -E -e $'s/\x1b\\[[0-9;?]*[A-Za-z]//g' -e 's/\r//g' -e 's/[ \t]+$//' "$1" |
		sed "${subst[@]}" |
		sed -E \
			-e "s/\\b(process|pid) $2\\b/\\1 <pid>/gI" \
			-e 's/\b([Tt]hread) [0-9]+\b/\1 <tid>/g' \
			-e 's/\)\(0x[0-9a-f]+\)/)(<ptr>)/g' \
			-e 's/\bunsafe\.Pointer\(0x[0-9a-f]+\)/unsafe.Pointer(<ptr>)/g' \
			-e 's/^([[:space:]]*\*?[[:space:]]*Goroutine [0-9]+ - .*\[[^]]*) [0-9]+\]$/\1]/' \
			-e 's/^([[:space:]]*\*?[[:space:]]*Goroutine [0-9]+ - .*\btime\.Sleep \(0x[0-9a-f]+\)) \[sleep\]$/\1/' |
		awk '
		# Sort the address list in " at 0x..,0x.. for " numerically.
		function less(a, b) { return length(a) < length(b) || (length(a) == length(b) && a < b) }
		match($0, / at 0x[0-9a-f]+(,0x[0-9a-f]+)+ for /) {
			s = substr($0, RSTART + 4, RLENGTH - 9); n = split(s, v, ",")
			for (i = 2; i <= n; i++) { x = v[i]; for (j = i - 1; j >= 1 && less(x, v[j]); j--) v[j+1] = v[j]; v[j+1] = x }
			s = v[1]; for (i = 2; i <= n; i++) s = s "," v[i]
			$0 = substr($0, 1, RSTART + 3) s substr($0, RSTART + RLENGTH - 5)
		}
		{ print }'
}
placeholder() {
	case "$1" in "$work") echo '<tmp>' ;; "$root") echo '<root>' ;; *) echo '<goroot>' ;; esac
}

# 2. The runs.
run() { # name debugger
	local name=$1 bin=$2 pid status=0
	mkdir -p "$work/$name/config"
	GOMAXPROCS=1 "$work/counter" -out "$work/$name/count" -workers 3 -period 1ms >"$work/$name.counter.log" 2>&1 &
	pid=$!
	echo "$pid" >"$work/$name.pid"
	until [ -s "$work/$name/count" ]; do sleep 0.01; done
	(cd "$work/$name" && TERM=dumb XDG_CONFIG_HOME="$work/$name/config" GO_TELEMETRY_CHILD=2 timeout 60 \
		"$bin" attach "$pid" --init "$work/script.dlv" --allow-non-terminal-interactive=true \
		</dev/null >"$work/$name.out" 2>"$work/$name.err") || status=$?
	[ "$status" = 0 ] || echo "compare.sh: $name exited with status $status (counter at $(cat "$work/$name/count"); breakpoint at n == $stop_at)" >&2
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	normalise "$work/$name.out" "$pid" >"$work/$name.txt"
	if [ -s "$work/$name.err" ]; then echo "--- $name stderr:" >&2; cat "$work/$name.err" >&2; fi
}
run dlv "$dlv" &
pids+=($!)
run dlv-listen "$work/dlv-listen.bin" &
pids+=($!)
wait "${pids[@]}"
pids=()

# 4. The verdict.
if diff -u --label dlv --label dlv-listen "$work/dlv.txt" "$work/dlv-listen.txt"; then
	cat "$work/dlv.txt"
	echo "compare.sh: dlv and dlv-listen agree ($(grep -c '^"### ' "$work/dlv.txt") commands)"
	exit 0
fi
echo "compare.sh: dlv and dlv-listen differ (diff above)" >&2
exit 1
