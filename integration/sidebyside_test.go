//go:build linux

package integration

// Side by side with stock Delve: the same command script goes through
// `dlv attach` (Delve v1.27.2, the version whose terminal and pkg/proc
// dlv-listen embeds) and `dlv-listen attach`, and the two transcripts must
// agree, command by command, once normalised (sbsNormalize).
//
// How:
//
//   - Two identical debuggees, one per debugger: internal/testprog's counter,
//     started with plain exec.Command as
//     `GOMAXPROCS=1 counter -out FILE -workers 3 -period 1ms`. One process
//     cannot serve both debuggers: its n keeps counting, so a second attach
//     could never stop at the same call. Two fresh processes started together
//     both stop at the first main.tick(1000, "tick") (the script's
//     `condition 1 n == 1000`), a few seconds after they start, with the same
//     goroutines: GOMAXPROCS=1 makes the goroutine IDs deterministic (IDs are
//     handed to each P in batches of 16). Both runs go concurrently.
//   - The script is testdata/sidebyside/script.dlv, run as dlv's --init file
//     with --allow-non-terminal-interactive=true, stdin from /dev/null, and
//     `exit -d` at the end (detach without the kill prompt; the process runs
//     on, which is checked too). The test runs a copy with a marker command,
//     print "### <command>", before every command, so each transcript splits
//     into one section per command.
//   - Both debuggers get TERM=dumb (no colours) and a private, default Delve
//     config (XDG_CONFIG_HOME), so neither depends on the user's settings.
//   - Sections are compared one by one; any disagreement fails the test with
//     the section's command and a unified diff (and the whole transcripts'
//     diff is logged). Some content is also checked in the reference (dlv)
//     transcript so that two identical failures cannot pass.
//
// compare.sh in testdata/sidebyside does the same by hand.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dlv-listen/dlv-listen/internal/procguard"
	"github.com/dlv-listen/dlv-listen/internal/testprog"
)

const (
	sbsScriptPath = "testdata/sidebyside/script.dlv"
	// sbsMarker starts the output of the marker command put before every
	// script command: print "### <command>" prints "\"### <command>\"".
	sbsMarker = `"### `
	// sbsRunTimeout bounds one debugger run (attach, counting up to n ==
	// 1000, the script). Each count stops the program for the condition:
	// about 10 ms quiet, but stock dlv ran out of a 60 s bound in 3 of 19
	// full-suite runs with a core kept busy (load 11 to 14).
	sbsRunTimeout = 180 * time.Second
	// sbsSettleQuiet is how long the counter's threads must stay the same
	// before a debugger attaches: GOMAXPROCS=1 and three workers are
	// created within milliseconds, and every millisecond here is one
	// count nearer n == stopAt.
	sbsSettleQuiet = 100 * time.Millisecond
)

func TestSideBySideAttach(t *testing.T) {
	if testing.Short() {
		t.Skip("side-by-side with stock dlv: needs `go install` of Delve " + StockDlvVersion + " (skipped in -short mode)")
	}
	if _, err := exec.LookPath(GoTool()); err != nil {
		t.Skip("side-by-side with stock dlv: needs the go command to build dlv-listen and stock dlv, and there is none here (" + err.Error() + ")")
	}
	if os.Geteuid() != 0 {
		if b, err := os.ReadFile("/proc/sys/kernel/yama/ptrace_scope"); err == nil && strings.TrimSpace(string(b)) != "0" {
			t.Skip("needs root or kernel.yama.ptrace_scope=0: the debuggers attach to a process they did not start")
		}
	}

	dlv := StockDlv(t)
	root := sbsModuleRoot(t)
	goroot := sbsGoEnv(t, "GOROOT")
	work := t.TempDir()

	listen := filepath.Join(work, "dlv-listen.bin")
	build := exec.Command(GoTool(), "build", "-o", listen, "./cmd/dlv-listen")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building dlv-listen: %v\n%s", err, out)
	}
	counter := testprog.Build(t, "counter")

	script, err := os.ReadFile(sbsScriptPath)
	if err != nil {
		t.Fatal(err)
	}
	commands := sbsCommands(string(script))
	m := regexp.MustCompile(`(?m)^condition 1 n == (\d+)$`).FindStringSubmatch(string(script))
	if m == nil {
		t.Fatalf("%s: no `condition 1 n == N` line", sbsScriptPath)
	}
	stopAt, _ := strconv.Atoi(m[1])
	marked := filepath.Join(work, "script.dlv")
	var b strings.Builder
	for _, c := range commands {
		fmt.Fprintf(&b, "print %s\n%s\n", strconv.Quote(strings.TrimPrefix(sbsMarker, `"`)+c), c)
	}
	if err := os.WriteFile(marked, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	debuggers := []struct{ name, bin string }{{"dlv", dlv}, {"dlv-listen", listen}}
	runs := make([]*sbsRun, len(debuggers))
	for i, d := range debuggers {
		dir := filepath.Join(work, d.name)
		if err := os.MkdirAll(filepath.Join(dir, "config"), 0o755); err != nil {
			t.Fatal(err)
		}
		runs[i] = &sbsRun{name: d.name, bin: d.bin, dir: dir}
		runs[i].startCounter(t, counter)
	}
	var wg sync.WaitGroup
	for _, r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.debug(marked, stopAt)
		}()
	}
	wg.Wait()

	// dlv-listen's run must have gone right; stock dlv's is the
	// reference: if it went wrong, the test says so and is skipped.
	transcripts := make([]string, len(runs))
	var stockFailed []string
	for i, r := range runs {
		subst := []sbsSubst{{root, "<root>"}, {goroot, "<goroot>"}, {work, "<tmp>"}, {filepath.Dir(counter), "<bin>"}}
		transcripts[i] = sbsNormalize(r.stdout.String(), r.cmd.Process.Pid, subst)
		problems := r.problems(stopAt, sbsNormalize(r.stderr.String(), r.cmd.Process.Pid, subst))
		if r.name == "dlv" {
			stockFailed = problems
			continue
		}
		for _, p := range problems {
			t.Errorf("%s: %s", r.name, p)
		}
		if len(problems) > 0 {
			t.Logf("%s stdout:\n%s\nstderr:\n%s", r.name, r.stdout.String(), r.stderr.String())
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	if len(stockFailed) > 0 {
		t.Skipf("stock dlv %s failed, not dlv-listen (whose run went right but was not compared):\n%s\nstdout:\n%s\nstderr:\n%s",
			StockDlvVersion, strings.Join(stockFailed, "\n"), runs[0].stdout.String(), runs[0].stderr.String())
	}

	ref, got := sbsSections(transcripts[0]), sbsSections(transcripts[1])
	sbsCheckReference(t, ref, stopAt)
	if len(ref) != len(commands)+1 || len(got) != len(commands)+1 {
		t.Errorf("sections: want %d (a preamble and one per command), dlv has %d, dlv-listen has %d", len(commands)+1, len(ref), len(got))
	}
	for i := 0; i < len(ref) || i < len(got); i++ {
		var a, g sbsSection
		if i < len(ref) {
			a = ref[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if a.command != g.command || a.output != g.output {
			name := a.command
			if name == "" {
				name = g.command
			}
			t.Errorf("section %d (%s) differs:\n%s", i, name,
				sbsUnifiedDiff("dlv", "dlv-listen", "### "+a.command+"\n"+a.output, "### "+g.command+"\n"+g.output))
		}
	}
	if t.Failed() {
		t.Logf("whole normalised transcripts:\n%s", sbsUnifiedDiff("dlv", "dlv-listen", transcripts[0], transcripts[1]))
		return
	}
	t.Logf("dlv and dlv-listen agree on all %d commands; normalised transcript:\n%s", len(commands), transcripts[0])
}

// sbsRun is one debugger's side: its counter and its run of the script.
type sbsRun struct {
	name, bin, dir string
	cmd            *exec.Cmd // the counter
	counterPath    string

	stdout, stderr sbsBuffer
	err            error // the debugger's exit
	missed         bool  // the counter passed n == stopAt before the breakpoint was set
	ranOn          bool  // the counter kept counting after the debugger left
	counterAtEnd   int
	counterDone    <-chan struct{} // closed once the counter is reaped
	counterEnd     string          // how the counter ended, if it did
}

// startCounter starts the debuggee, as our child (Spawn), and waits until
// it counts.
func (r *sbsRun) startCounter(t *testing.T, bin string) {
	t.Helper()
	r.counterPath = filepath.Join(r.dir, "counter")
	log, err := os.Create(filepath.Join(r.dir, "counter.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	r.cmd = exec.Command(bin, "-out", r.counterPath, "-workers", "3", "-period", "1ms")
	r.cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	r.cmd.Stdout, r.cmd.Stderr = log, log
	r.counterDone = Spawn(t, r.cmd)
	deadline := time.Now().Add(testprog.Timeout(testprog.StartTimeout))
	for sbsReadCounter(r.counterPath) < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("counter %d for %s never counted", r.cmd.Process.Pid, r.name)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Stock dlv attaches only once the counter's threads are created (see
	// testprog.WaitSettled); a short quiet window keeps it well below
	// n == stopAt when the breakpoint is set.
	if !testprog.WaitSettled(r.cmd.Process.Pid, sbsSettleQuiet, testprog.StartTimeout) {
		t.Fatalf("counter %d for %s: its threads did not stay the same for %v", r.cmd.Process.Pid, r.name, sbsSettleQuiet)
	}
}

// problems says what went wrong with the run, given its normalised
// stderr: nothing if it went right.
func (r *sbsRun) problems(stopAt int, stderr string) []string {
	var ps []string
	if r.missed {
		ps = append(ps, fmt.Sprintf("the counter passed n == %d before the breakpoint was set (attach too slow on this machine?)", stopAt))
	}
	if r.counterEnd != "" {
		ps = append(ps, "the counter died while debugged: "+r.counterEnd)
	}
	if r.err != nil {
		ps = append(ps, fmt.Sprintf("attach: %v", r.err))
	}
	if !r.ranOn && r.counterEnd == "" {
		ps = append(ps, fmt.Sprintf("the counter did not run on after `exit -d` (stuck at %d)", r.counterAtEnd))
	}
	if strings.TrimSpace(stderr) != "" {
		ps = append(ps, "wrote to stderr:\n"+stderr)
	}
	return ps
}

// debug runs `<debugger> attach <pid> --init script` to the end, killing
// it if the counter runs past the breakpoint's n without stopping there,
// then checks the counter runs on.
func (r *sbsRun) debug(script string, stopAt int) {
	ctx, cancel := context.WithTimeout(context.Background(), sbsRunTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, r.bin, "attach", strconv.Itoa(r.cmd.Process.Pid),
		"--init", script, "--allow-non-terminal-interactive=true")
	cmd.Dir = r.dir // not under the module, so Delve prints absolute paths
	cmd.Env = append(os.Environ(), "TERM=dumb", "XDG_CONFIG_HOME="+filepath.Join(r.dir, "config"), NoTelemetryEnv)
	cmd.Stdout, cmd.Stderr = &r.stdout, &r.stderr // stdin: /dev/null
	procguard.Prepare(cmd)
	if err := procguard.Do(cmd.Start); err != nil {
		r.err = err
		return
	}
	done, watched := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(watched)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				// Stopped at n == stopAt, the counter file says stopAt-1;
				// well past it without a stop, the breakpoint came too late.
				if sbsReadCounter(r.counterPath) > stopAt+200 && !strings.Contains(r.stdout.String(), "[Breakpoint 1]") {
					r.missed = true
					_ = cmd.Process.Kill()
					return
				}
			}
		}
	}()
	r.err = cmd.Wait()
	close(done)
	<-watched
	if ctx.Err() != nil {
		r.err = fmt.Errorf("%v (timed out after %v)", r.err, sbsRunTimeout)
	}
	// Detached with `exit -d`: the counter must count on.
	r.counterAtEnd = sbsReadCounter(r.counterPath)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		select {
		case <-r.counterDone:
			r.counterEnd = r.cmd.ProcessState.String() // "signal: trace/breakpoint trap", say
			return
		default:
		}
		if sbsReadCounter(r.counterPath) > r.counterAtEnd+5 {
			r.ranOn = true
			break
		}
	}
}

func sbsReadCounter(path string) int { return int(testprog.ReadCounter(path)) }

// sbsBuffer is a bytes.Buffer safe for a writer and concurrent readers.
type sbsBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *sbsBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *sbsBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// sbsCommands returns the script's commands: its lines without blanks and
// '#' comments, trimmed, as Delve reads an init file.
func sbsCommands(script string) []string {
	var cmds []string
	for _, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line != "" && line[0] != '#' {
			cmds = append(cmds, line)
		}
	}
	return cmds
}

// sbsSubst replaces a literal string (a directory) by a placeholder.
type sbsSubst struct{ old, new string }

var (
	sbsANSI       = regexp.MustCompile("\x1b\\[[0-9;?]*[A-Za-z]")
	sbsPidRe      = regexp.MustCompile(`(?i)\b(process|pid) (\d+)\b`)
	sbsThreadRe   = regexp.MustCompile(`\b([Tt]hread) \d+\b`)
	sbsPointerRe  = regexp.MustCompile(`\)\(0x[0-9a-f]+\)`)
	sbsUnsafeRe   = regexp.MustCompile(`\bunsafe\.Pointer\(0x[0-9a-f]+\)`)
	sbsAddrListRe = regexp.MustCompile(` at (0x[0-9a-f]+(?:,0x[0-9a-f]+)+) for `)
	sbsWaitSince  = regexp.MustCompile(`(?m)^(\s*\*?\s*Goroutine \d+ - .*\[[^\]]*?) \d+\]$`)
	sbsSleepRe    = regexp.MustCompile(`(?m)^(\s*\*?\s*Goroutine \d+ - .*\btime\.Sleep \(0x[0-9a-f]+\)) \[sleep\]$`)
)

// sbsNormalize makes a transcript comparable with one of another process:
//
//   - terminal escapes and carriage returns are dropped, and trailing blanks
//     on every line (Delve's source listings end lines with a tab);
//   - the directories in subst become placeholders (<root> for the module,
//     <goroot>, <tmp> for the test's files, <bin> for the debuggee's), longest
//     first;
//   - the process id (after "process" or "pid") becomes <pid>, and thread ids
//     ("thread 1234") <tid>: both are the kernel's;
//   - data pointers, (*T)(0x...) and unsafe.Pointer(0x...), become <ptr>: the
//     Go 1.26 heap is at a random address in each process. Code addresses
//     (PC: 0x4ec3f3, frames, goroutine locations, breakpoints) are kept: both
//     debuggees are the same non-PIE binary, so they must agree exactly;
//   - a comma-separated address list ("Breakpoint runtime-fatal-throw ... at
//     0x..,0x..,0x.. for") is sorted: Delve prints it in map order, which
//     changes from run to run of the same debugger;
//   - timing: the wait time Delve may add to a goroutine's wait reason
//     ("[chan receive 12]") is dropped, and so is the "[sleep]" wait reason of
//     a goroutine in time.Sleep. The workers sleep 1 ms at a time; whether a
//     worker's timer has fired (it is then runnable, so Delve prints no wait
//     reason) at the moment the stop happens is a matter of timing, and it
//     varies from run to run under either debugger.
func sbsNormalize(s string, pid int, subst []sbsSubst) string {
	s = sbsANSI.ReplaceAllString(s, "")
	s = strings.ReplaceAll(s, "\r", "")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	s = strings.Join(lines, "\n")

	subst = append([]sbsSubst(nil), subst...)
	sort.SliceStable(subst, func(i, j int) bool { return len(subst[i].old) > len(subst[j].old) })
	for _, r := range subst {
		if r.old != "" && r.old != "/" {
			s = strings.ReplaceAll(s, r.old, r.new)
		}
	}

	ps := strconv.Itoa(pid)
	s = sbsPidRe.ReplaceAllStringFunc(s, func(m string) string {
		sm := sbsPidRe.FindStringSubmatch(m)
		if sm[2] != ps {
			return m
		}
		return sm[1] + " <pid>"
	})
	s = sbsThreadRe.ReplaceAllString(s, "$1 <tid>")
	s = sbsPointerRe.ReplaceAllString(s, ")(<ptr>)")
	s = sbsUnsafeRe.ReplaceAllString(s, "unsafe.Pointer(<ptr>)")
	s = sbsAddrListRe.ReplaceAllStringFunc(s, func(m string) string {
		list := strings.Split(sbsAddrListRe.FindStringSubmatch(m)[1], ",")
		sort.Slice(list, func(i, j int) bool {
			a, _ := strconv.ParseUint(strings.TrimPrefix(list[i], "0x"), 16, 64)
			b, _ := strconv.ParseUint(strings.TrimPrefix(list[j], "0x"), 16, 64)
			return a < b
		})
		return " at " + strings.Join(list, ",") + " for "
	})
	s = sbsWaitSince.ReplaceAllString(s, "$1]")
	s = sbsSleepRe.ReplaceAllString(s, "$1")
	return strings.TrimRight(s, "\n") + "\n"
}

// sbsSection is the output of one script command; the first section
// (command "") is what the debugger printed before the first command.
type sbsSection struct {
	command, output string
}

// sbsSections splits a normalised transcript at the marker lines.
func sbsSections(s string) []sbsSection {
	secs := []sbsSection{{}}
	var b strings.Builder
	for _, line := range strings.SplitAfter(s, "\n") {
		l := strings.TrimSuffix(line, "\n")
		if strings.HasPrefix(l, sbsMarker) && strings.HasSuffix(l, `"`) && len(l) > len(sbsMarker) {
			secs[len(secs)-1].output = b.String()
			b.Reset()
			cmd, err := strconv.Unquote(l)
			if err != nil {
				cmd = l
			}
			secs = append(secs, sbsSection{command: strings.TrimPrefix(cmd, sbsMarker[1:])})
			continue
		}
		b.WriteString(line)
	}
	secs[len(secs)-1].output = b.String()
	return secs
}

// sbsCheckReference checks that the reference transcript (stock dlv) shows
// what the script is there to compare, so that two debuggers failing the
// same way cannot pass.
func sbsCheckReference(t *testing.T, secs []sbsSection, stopAt int) {
	t.Helper()
	want := map[string][]string{
		"continue":   {"[Breakpoint 1] main.tick()", "main.go:24"},
		"print n":    {strconv.Itoa(stopAt)},
		"args":       {fmt.Sprintf("n = %d", stopAt), `label = "tick"`},
		"locals":     {fmt.Sprintf("doubled = %d", 2*stopAt)},
		"print msg":  {fmt.Sprintf(`"tick-%d"`, stopAt)},
		"stack":      {"main.tick", "main.main", "runtime.main"},
		"goroutines": {"* Goroutine 1 - User: <root>/internal/testprog/src/counter/main.go:27 main.tick", "main.go:27", "goroutines]"},
		"step":       {"> main.helper() <root>/internal/testprog/src/counter/main.go:18"},
		"stepout":    {fmt.Sprintf("~r0: %d", (2*stopAt+1)*3)},
		"clear 1":    {"Breakpoint 1 cleared"},
	}
	seen := map[string]bool{}
	for _, s := range secs {
		if seen[s.command] {
			continue // the first of repeated commands
		}
		seen[s.command] = true
		if strings.Contains(s.output, "Command failed") || strings.Contains(s.output, "script.dlv:") {
			t.Errorf("dlv: %q failed: %s", s.command, s.output)
		}
		for _, w := range want[s.command] {
			if !strings.Contains(s.output, w) {
				t.Errorf("dlv: output of %q lacks %q:\n%s", s.command, w, s.output)
			}
		}
		delete(want, s.command)
	}
	for c := range want {
		t.Errorf("dlv: no section for %q", c)
	}
}

// sbsUnifiedDiff returns a unified diff (3 lines of context) of a and b, by
// lines; "" if they are equal.
func sbsUnifiedDiff(nameA, nameB, a, b string) string {
	if a == b {
		return ""
	}
	x, y := strings.Split(strings.TrimSuffix(a, "\n"), "\n"), strings.Split(strings.TrimSuffix(b, "\n"), "\n")
	// Longest common subsequence, then an edit script.
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type edit struct {
		op   byte // ' ', '-', '+'
		line string
		i, j int // line numbers (0-based) in x and y before this edit
	}
	var edits []edit
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			edits = append(edits, edit{' ', x[i], i, j})
			i, j = i+1, j+1
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			edits = append(edits, edit{'-', x[i], i, j})
			i++
		default:
			edits = append(edits, edit{'+', y[j], i, j})
			j++
		}
	}
	const context = 3
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", nameA, nameB)
	for k := 0; k < len(edits); {
		if edits[k].op == ' ' {
			k++
			continue
		}
		start := max(k-context, 0)
		end := k
		for end < len(edits) {
			if edits[end].op != ' ' {
				end++
				continue
			}
			run := end
			for run < len(edits) && edits[run].op == ' ' {
				run++
			}
			if run == len(edits) || run-end > 2*context {
				end = min(end+context, len(edits))
				break
			}
			end = run
		}
		na, nb := 0, 0
		for _, e := range edits[start:end] {
			if e.op != '+' {
				na++
			}
			if e.op != '-' {
				nb++
			}
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", edits[start].i+1, na, edits[start].j+1, nb)
		for _, e := range edits[start:end] {
			fmt.Fprintf(&out, "%c%s\n", e.op, e.line)
		}
		k = end
	}
	return out.String()
}

func sbsGoEnv(t *testing.T, name string) string {
	t.Helper()
	out, err := exec.Command(GoTool(), "env", name).Output()
	if err != nil {
		t.Fatalf("go env %s: %v", name, err)
	}
	return strings.TrimSpace(string(out))
}

// sbsModuleRoot is the directory holding go.mod: the parent of this
// package's directory, where `go test` runs us.
func sbsModuleRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(wd)
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatal(errors.New("cannot find the module root (go.mod) above " + wd))
	}
	return root
}

// TestSideBySideNormalize checks sbsNormalize and sbsUnifiedDiff on
// canned transcript lines (no debugger needed).
func TestSideBySideNormalize(t *testing.T) {
	subst := []sbsSubst{{"/src/mod", "<root>"}, {"/usr/local/go", "<goroot>"}}
	in := "\x1b[33m=>\x1b[0m  24:\tfunc tick() {\t \r\n" +
		"Breakpoint runtime-fatal-throw (enabled) at 0x485fa4,0x44ff44,0x468fae for (multiple functions)() <multiple locations>:0 (0)\n" +
		"* Goroutine 1 - User: /src/mod/main.go:27 main.tick (0x4ec51f) (thread 19755)\n" +
		"  Goroutine 7 - User: /usr/local/go/src/runtime/time.go:363 time.Sleep (0x488ffc) [sleep]\n" +
		"  Goroutine 2 - User: /usr/local/go/src/runtime/proc.go:463 runtime.gopark (0x486131) [chan receive 12]\n" +
		"  Goroutine 3 - User: /usr/local/go/src/runtime/proc.go:463 runtime.gopark (0x486131) [GC sweep wait]\n" +
		"out = (*string)(0x86798cfe2f0)\n" +
		"p = unsafe.Pointer(0xc000012345)\n" +
		"Process 4242 has exited with status 0; process 4243 is another\n" +
		"Switched from 1 to 7 (thread 20152)\n"
	want := "=>  24:\tfunc tick() {\n" +
		"Breakpoint runtime-fatal-throw (enabled) at 0x44ff44,0x468fae,0x485fa4 for (multiple functions)() <multiple locations>:0 (0)\n" +
		"* Goroutine 1 - User: <root>/main.go:27 main.tick (0x4ec51f) (thread <tid>)\n" +
		"  Goroutine 7 - User: <goroot>/src/runtime/time.go:363 time.Sleep (0x488ffc)\n" +
		"  Goroutine 2 - User: <goroot>/src/runtime/proc.go:463 runtime.gopark (0x486131) [chan receive]\n" +
		"  Goroutine 3 - User: <goroot>/src/runtime/proc.go:463 runtime.gopark (0x486131) [GC sweep wait]\n" +
		"out = (*string)(<ptr>)\n" +
		"p = unsafe.Pointer(<ptr>)\n" +
		"Process <pid> has exited with status 0; process 4243 is another\n" +
		"Switched from 1 to 7 (thread <tid>)\n"
	if got := sbsNormalize(in, 4242, subst); got != want {
		t.Errorf("sbsNormalize:\n%s", sbsUnifiedDiff("want", "got", want, got))
	}

	a := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\n"
	b := "a\nb\nc\nd\nE\nf\ng\nh\ni\nj\nk\nl\nm\n"
	wantDiff := "--- x\n+++ y\n" +
		"@@ -2,7 +2,7 @@\n b\n c\n d\n-e\n+E\n f\n g\n h\n" +
		"@@ -10,3 +10,4 @@\n j\n k\n l\n+m\n"
	if got := sbsUnifiedDiff("x", "y", a, b); got != wantDiff {
		t.Errorf("sbsUnifiedDiff:\n%s\nwant:\n%s", got, wantDiff)
	}
	if got := sbsUnifiedDiff("x", "y", a, a); got != "" {
		t.Errorf("sbsUnifiedDiff of equal texts: %q", got)
	}
}
