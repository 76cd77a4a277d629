package listenmode

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/unix"
)

const testPid = 1000

var notification = Stop{Kind: KindEventStop, Signal: unix.SIGTRAP}

func groupStop(sig unix.Signal) Stop { return Stop{Kind: KindGroupStop, Signal: sig} }

// backend drives a Tracker as the backend does: observe a report, then
// resume the thread (CONT or LISTEN) and record that.
type backend struct {
	t      *testing.T
	tr     *Tracker
	events []Event
}

func newBackend(t *testing.T, tids ...int) *backend {
	b := &backend{t: t, tr: NewTracker(testPid)}
	for _, tid := range tids {
		b.tr.Seized(tid)
	}
	return b
}

// observe feeds one report and returns the event it produced, if any.
func (b *backend) observe(tid int, s Stop) (Event, bool) {
	b.t.Helper()
	before, _ := b.tr.State()
	e, ok := b.tr.Observe(tid, s)
	after, _ := b.tr.State()
	if ok {
		b.events = append(b.events, e)
		if e.Pid != testPid || e.Tid != tid {
			b.t.Fatalf("event %+v: want Pid %d Tid %d", e, testPid, tid)
		}
		switch e.Kind {
		case GroupStopBegan:
			if before != StateRunning || after != StateStopped || e.Signal != s.Signal {
				b.t.Fatalf("Began %+v on %v: state %v -> %v", e, s, before, after)
			}
		case GroupStopEnded:
			if before != StateStopped || after != StateRunning || e.Signal != 0 {
				b.t.Fatalf("Ended %+v on %v: state %v -> %v", e, s, before, after)
			}
		default:
			b.t.Fatalf("unexpected event kind %+v", e)
		}
	} else if before != StateUnknown && before != after {
		b.t.Fatalf("report %v of %d moved state %v -> %v with no event", s, tid, before, after)
	}
	return e, ok
}

// step observes a report and resumes the thread.
func (b *backend) step(tid int, s Stop) (Event, bool) {
	b.t.Helper()
	e, ok := b.observe(tid, s)
	b.tr.Resumed(tid)
	return e, ok
}

// noEvent steps and fails if an event was emitted.
func (b *backend) noEvent(tid int, s Stop) {
	b.t.Helper()
	if e, ok := b.step(tid, s); ok {
		b.t.Fatalf("report %v of thread %d emitted %v", s, tid, e)
	}
}

func (b *backend) wantState(st State, sig unix.Signal) {
	b.t.Helper()
	if gst, gsig := b.tr.State(); gst != st || gsig != sig {
		b.t.Fatalf("State() = %v %v, want %v %v", gst, gsig, st, sig)
	}
}

func (b *backend) wantEvents(want ...Event) {
	b.t.Helper()
	if len(b.events) != len(want) {
		b.t.Fatalf("events = %v, want %v", b.events, want)
	}
	for i := range want {
		if b.events[i] != want[i] {
			b.t.Fatalf("events[%d] = %+v, want %+v (all: %v)", i, b.events[i], want[i], b.events)
		}
	}
}

func began(sig unix.Signal, tid int) Event {
	return Event{Kind: GroupStopBegan, Pid: testPid, Signal: sig, Tid: tid}
}
func ended(tid int) Event { return Event{Kind: GroupStopEnded, Pid: testPid, Tid: tid} }

func TestTrackerInitialState(t *testing.T) {
	t.Run("unknown", func(t *testing.T) {
		b := newBackend(t, 1)
		b.wantState(StateUnknown, 0)
	})
	for _, sig := range []unix.Signal{unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU} {
		t.Run("stopped "+unix.SignalName(sig), func(t *testing.T) {
			b := newBackend(t, 1)
			b.noEvent(1, groupStop(sig))
			b.wantState(StateStopped, sig)
			b.wantEvents()
		})
	}
	t.Run("running", func(t *testing.T) {
		b := newBackend(t, 1)
		b.noEvent(1, notification)
		b.wantState(StateRunning, 0)
		b.wantEvents()
	})
	t.Run("signal first", func(t *testing.T) {
		// A signal-delivery-stop before the interrupt-stop teaches nothing;
		// the interrupt-stop after it does.
		b := newBackend(t, 1)
		b.noEvent(1, Stop{Kind: KindSignal, Signal: unix.SIGURG})
		b.wantState(StateUnknown, 0)
		b.noEvent(1, groupStop(unix.SIGTSTP))
		b.wantState(StateStopped, unix.SIGTSTP)
	})
	t.Run("stopped then continued", func(t *testing.T) {
		// Attached to a stopped process, then the user continues it.
		b := newBackend(t, 1)
		b.noEvent(1, groupStop(unix.SIGTSTP))
		b.step(1, notification)
		b.wantState(StateRunning, 0)
		b.wantEvents(ended(1))
	})
}

// The seed's single-threaded rounds: each STOP/CONT gives one Began and one
// Ended, whatever else the thread reports.
func TestTrackerSingleThreadRounds(t *testing.T) {
	const tid = testPid
	b := newBackend(t, tid)
	b.noEvent(tid, notification) // PTRACE_INTERRUPT after SEIZE
	b.wantState(StateRunning, 0)
	var want []Event
	sigs := []unix.Signal{unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU, unix.SIGSTOP}
	for _, sig := range sigs {
		b.noEvent(tid, Stop{Kind: KindSignal, Signal: unix.SIGURG})
		b.noEvent(tid, Stop{Kind: KindSignal, Signal: sig}) // re-injected
		b.wantState(StateRunning, 0)
		if e, ok := b.step(tid, groupStop(sig)); !ok || e != began(sig, tid) {
			t.Fatalf("group-stop: %v %v", e, ok)
		}
		b.wantState(StateStopped, sig)
		// PTRACE_INTERRUPT while listening: the same group-stop again.
		b.noEvent(tid, groupStop(sig))
		if e, ok := b.step(tid, notification); !ok || e != ended(tid) {
			t.Fatalf("notification: %v %v", e, ok)
		}
		b.wantState(StateRunning, 0)
		b.noEvent(tid, Stop{Kind: KindSignal, Signal: unix.SIGCONT})
		// An interrupt-stop of the running thread.
		b.noEvent(tid, notification)
		want = append(want, began(sig, tid), ended(tid))
	}
	b.wantEvents(want...)
}

// 50 threads: one Began and one Ended per round, in whatever order the 50
// threads' reports are reaped.
func TestTracker50Threads(t *testing.T) {
	const n = 50
	tids := make([]int, n)
	for i := range tids {
		tids[i] = testPid + i
	}
	orders := map[string]func(r *rand.Rand, round int) []int{
		"sorted": func(*rand.Rand, int) []int { return append([]int(nil), tids...) },
		"reversed": func(*rand.Rand, int) []int {
			o := append([]int(nil), tids...)
			for i, j := 0, len(o)-1; i < j; i, j = i+1, j-1 {
				o[i], o[j] = o[j], o[i]
			}
			return o
		},
		"shuffled": func(r *rand.Rand, _ int) []int {
			o := append([]int(nil), tids...)
			r.Shuffle(len(o), func(i, j int) { o[i], o[j] = o[j], o[i] })
			return o
		},
	}
	for name, order := range orders {
		for seed := uint64(1); seed <= 5; seed++ {
			t.Run(fmt.Sprintf("%s/%d", name, seed), func(t *testing.T) {
				r := rand.New(rand.NewPCG(seed, 50))
				b := newBackend(t, tids...)
				for _, tid := range order(r, -1) {
					b.step(tid, notification)
				}
				b.wantState(StateRunning, 0)
				var want []Event
				for round := range 4 {
					sig := []unix.Signal{unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU}[round]
					// One thread takes the signal-delivery-stop first.
					o := order(r, round)
					b.noEvent(o[n/2], Stop{Kind: KindSignal, Signal: sig})
					for _, tid := range o {
						b.step(tid, groupStop(sig))
					}
					b.wantState(StateStopped, sig)
					o2 := order(r, round)
					for _, tid := range o2 {
						b.step(tid, notification)
					}
					b.noEvent(o2[n/3], Stop{Kind: KindSignal, Signal: unix.SIGCONT})
					b.wantState(StateRunning, 0)
					want = append(want, began(sig, o[0]), ended(o2[0]))
				}
				b.wantEvents(want...)
			})
		}
	}
}

// Thread B's group-stop report of round 1 is reaped after thread A showed
// the SIGCONT that ended it: stale, it changes nothing.
func TestTrackerStaleGroupStop(t *testing.T) {
	const a, b = 1, 2
	k := newBackend(t, a, b)
	k.step(a, notification)
	k.step(b, notification)
	k.wantState(StateRunning, 0)
	// Round 1: both threads trap in group-stop; only A's report is reaped.
	k.step(a, groupStop(unix.SIGSTOP))
	k.wantEvents(began(unix.SIGSTOP, a))
	// SIGCONT: A is notified; B still sits in its old group-stop trap.
	k.step(a, notification)
	k.wantEvents(began(unix.SIGSTOP, a), ended(a))
	k.wantState(StateRunning, 0)
	// B's stale report (B not resumed since round 1's state was learned).
	k.noEvent(b, groupStop(unix.SIGSTOP))
	k.wantState(StateRunning, 0)
	// B is LISTENed; the kernel re-traps it at once with the notification.
	k.noEvent(b, notification)
	k.wantState(StateRunning, 0)
	k.wantEvents(began(unix.SIGSTOP, a), ended(a))
	// Round 2 works as usual, from either thread.
	k.step(b, groupStop(unix.SIGTSTP))
	k.step(a, groupStop(unix.SIGTSTP))
	k.wantEvents(began(unix.SIGSTOP, a), ended(a), began(unix.SIGTSTP, b))
}

// B's SIGTRAP notification of round 1 is reaped after A began round 2:
// stale, it changes nothing.
func TestTrackerStaleNotification(t *testing.T) {
	const a, b = 1, 2
	k := newBackend(t, a, b)
	k.step(a, notification)
	k.step(b, notification)
	// Round 1: both threads in group-stop, both listened.
	k.step(a, groupStop(unix.SIGSTOP))
	k.step(b, groupStop(unix.SIGSTOP))
	// SIGCONT: both notified; only A's report is reaped and A continued.
	k.step(a, notification)
	// SIGSTOP: A takes the signal and starts round 2.
	k.noEvent(a, Stop{Kind: KindSignal, Signal: unix.SIGSTOP})
	k.step(a, groupStop(unix.SIGSTOP))
	k.wantState(StateStopped, unix.SIGSTOP)
	want := []Event{began(unix.SIGSTOP, a), ended(a), began(unix.SIGSTOP, a)}
	k.wantEvents(want...)
	// B's notification of round 1, reaped only now.
	k.noEvent(b, notification)
	k.wantState(StateStopped, unix.SIGSTOP)
	// B was CONT'ed; it joins round 2's group-stop: fresh, no change.
	k.noEvent(b, groupStop(unix.SIGSTOP))
	k.wantState(StateStopped, unix.SIGSTOP)
	k.wantEvents(want...)
}

// A thread the kernel auto-attached was created at an unknown point: its
// first report never moves the state; its later ones do.
func TestTrackerSpawned(t *testing.T) {
	const a, c = 1, 3
	k := newBackend(t, a)
	k.step(a, notification)
	k.Spawned(c)
	k.noEvent(c, groupStop(unix.SIGSTOP))
	k.wantState(StateRunning, 0)
	// Once resumed, its reports count.
	k.step(c, groupStop(unix.SIGSTOP))
	k.wantEvents(began(unix.SIGSTOP, c))

	// Its first report shows the old state too: nothing.
	const d = 4
	k.Spawned(d)
	k.noEvent(d, notification)
	k.wantState(StateStopped, unix.SIGSTOP)

	// Before its state is known: the first report teaches nothing either.
	k2 := newBackend(t)
	k2.Spawned(c)
	k2.noEvent(c, groupStop(unix.SIGSTOP))
	k2.wantState(StateUnknown, 0)

	// Spawned on a thread already reported (its first EVENT_STOP came
	// before the CLONE event) keeps what the tracker knows of it.
	k3 := newBackend(t, a)
	k3.step(a, notification)
	k3.noEvent(c, notification) // unknown thread: not fresh
	k3.tr.Resumed(c)
	k3.Spawned(c)
	k3.step(c, groupStop(unix.SIGTTIN))
	k3.wantEvents(began(unix.SIGTTIN, c))
}

// Spawned is a shorthand used above.
func (b *backend) Spawned(tid int) { b.tr.Spawned(tid) }

func TestTrackerForget(t *testing.T) {
	const a, b = 1, 2
	k := newBackend(t, a, b)
	k.step(a, notification)
	k.tr.Forget(b)
	// A report of a forgotten (or reused) tid is not trusted.
	k.noEvent(b, groupStop(unix.SIGSTOP))
	k.wantState(StateRunning, 0)
	// A forgotten fresh thread: its report is not trusted either.
	k.tr.Forget(a)
	if _, ok := k.tr.Observe(a, groupStop(unix.SIGSTOP)); ok {
		t.Fatal("forgotten thread emitted an event")
	}
	k.wantState(StateRunning, 0)
	// Forget of an unknown tid is harmless.
	k.tr.Forget(99)
	k.wantEvents()
}

// Only EVENT_STOP reports are evidence: a fresh signal-delivery-stop, trap,
// ptrace event or exit never moves the state.
func TestTrackerFreshNonEvidence(t *testing.T) {
	others := []Stop{
		{Kind: KindSignal, Signal: unix.SIGSTOP},
		{Kind: KindSignal, Signal: unix.SIGTSTP},
		{Kind: KindSignal, Signal: unix.SIGCONT},
		{Kind: KindSignal, Signal: unix.SIGTRAP},
		{Kind: KindBreakpoint, Signal: unix.SIGTRAP, Code: SICodeKernel},
		{Kind: KindSingleStep, Signal: unix.SIGTRAP, Code: TrapTrace},
		{Kind: KindWatchpoint, Signal: unix.SIGTRAP, Code: TrapHwbkpt},
		{Kind: KindClone, Signal: unix.SIGTRAP},
		{Kind: KindExec, Signal: unix.SIGTRAP},
		{Kind: KindExitEvent, Signal: unix.SIGTRAP},
		{Kind: KindExited},
		{Kind: KindKilled, Signal: unix.SIGKILL},
		{Kind: KindUnknown},
	}
	for _, initial := range []Stop{notification, groupStop(unix.SIGTTOU)} {
		for _, s := range others {
			t.Run(initial.String()+"/"+s.String(), func(t *testing.T) {
				k := newBackend(t, 1)
				k.step(1, initial)
				st, sig := k.tr.State()
				k.noEvent(1, s)
				k.wantState(st, sig)
				// Fresh from the unknown state too.
				k2 := newBackend(t, 1)
				k2.noEvent(1, s)
				k2.wantState(StateUnknown, 0)
			})
		}
	}
}

// A thread counts as held after a report and after Held: its reports are
// stale until Resumed.
func TestTrackerHeld(t *testing.T) {
	k := newBackend(t, 1)
	k.step(1, notification)
	// Observed but not resumed: the next report is stale.
	k.observe(1, Stop{Kind: KindBreakpoint, Signal: unix.SIGTRAP, Code: SICodeKernel})
	k.observe(1, groupStop(unix.SIGSTOP))
	k.wantState(StateRunning, 0)
	// Resumed then Held (the backend stopped it for the user).
	k.tr.Resumed(1)
	k.tr.Held(1)
	k.observe(1, groupStop(unix.SIGSTOP))
	k.wantState(StateRunning, 0)
	k.tr.Resumed(1)
	k.step(1, groupStop(unix.SIGSTOP))
	k.wantEvents(began(unix.SIGSTOP, 1))
}

// --- randomized model ------------------------------------------------------

type simMode uint8

const (
	simRunning   simMode = iota // PTRACE_CONT'ed
	simListening                // PTRACE_LISTEN'ed
	simTrapped                  // in a ptrace-stop, report not yet reaped
	simHeld                     // reaped and held for the user (PolicyReport)
)

type simThread struct {
	tid    int
	mode   simMode
	notify bool // JOBCTL_TRAP_NOTIFY (or TRAP_STOP from INTERRUPT) pending
	report Stop
	epoch  int // kernel epoch when the report trapped
	last   Stop
}

// simKernel is a process of seized threads whose group-stop state a user
// toggles with SIGSTOP/SIGCONT, with the kernel's per-thread rules:
//   - SIGSTOP and SIGCONT set JOBCTL_TRAP_NOTIFY on every seized thread
//     (do_signal_stop, prepare_signal -> ptrace_trap_notify);
//   - a running thread traps while the group is stopped (JOBCTL_STOP_PENDING)
//     or a notify is pending; a listening thread traps on a pending notify;
//   - an EVENT_STOP trap reports the group's state at trap time
//     (do_jobctl_trap) and clears the notify;
//   - a thread reports only after being resumed, and wait(2) reaps the
//     trapped threads in any order.
type simKernel struct {
	r       *rand.Rand
	threads []*simThread
	stopped bool
	sig     unix.Signal
	epoch   int // number of transitions so far
	states  []bool
	sigs    []unix.Signal
}

func (k *simKernel) canTrap(th *simThread, noise bool) bool {
	switch th.mode {
	case simRunning:
		return th.notify || k.stopped || noise
	case simListening:
		return th.notify
	}
	return false
}

func (k *simKernel) trap(th *simThread) {
	switch {
	case th.mode == simRunning && !th.notify && !k.stopped:
		// Noise: a signal-delivery-stop of a running thread.
		sigs := []unix.Signal{unix.SIGURG, unix.SIGCHLD, unix.SIGCONT, unix.SIGSTOP}
		th.report = Stop{Kind: KindSignal, Signal: sigs[k.r.IntN(len(sigs))]}
	case k.stopped:
		th.report = groupStop(k.sig)
		th.notify = false
	default:
		th.report = notification
		th.notify = false
	}
	th.mode = simTrapped
	th.epoch = k.epoch
}

func (k *simKernel) toggle() {
	k.stopped = !k.stopped
	if k.stopped {
		stopSigs := []unix.Signal{unix.SIGSTOP, unix.SIGTSTP, unix.SIGTTIN, unix.SIGTTOU}
		k.sig = stopSigs[k.r.IntN(len(stopSigs))]
	} else {
		k.sig = 0
	}
	k.epoch++
	k.states = append(k.states, k.stopped)
	k.sigs = append(k.sigs, k.sig)
	for _, th := range k.threads {
		th.notify = true
	}
}

type simConfig struct {
	threads     int
	transitions int
	settle      bool // the user waits for quiescence between transitions
	policy      Policy
	startStop   bool
}

func runSim(t *testing.T, seed uint64, cfg simConfig) {
	r := rand.New(rand.NewPCG(seed, uint64(cfg.threads)))
	k := &simKernel{r: r, stopped: cfg.startStop}
	if k.stopped {
		k.sig = unix.SIGTSTP
	}
	k.states = []bool{k.stopped}
	k.sigs = []unix.Signal{k.sig}
	tr := NewTracker(testPid)
	for i := range cfg.threads {
		// SEIZE + INTERRUPT: each thread owes an EVENT_STOP.
		th := &simThread{tid: testPid + i, mode: simRunning, notify: true}
		k.threads = append(k.threads, th)
		tr.Seized(th.tid)
	}
	type ev struct {
		Event
		epoch int
	}
	var events []ev
	learned, learnedEpoch := StateUnknown, -1
	noise := 3 * cfg.threads
	transitions := cfg.transitions
	resume := func(th *simThread, a Action) {
		switch a.Op {
		case Listen:
			th.mode = simListening
		case Cont:
			th.mode = simRunning
		case Hold:
			th.mode = simHeld
			tr.Held(th.tid)
			return
		}
		tr.Resumed(th.tid)
	}
	for steps := 0; ; steps++ {
		if steps > 100000 {
			t.Fatalf("seed %d: no quiescence", seed)
		}
		var trappable, trapped, held []*simThread
		for _, th := range k.threads {
			if k.canTrap(th, noise > 0 && transitions > 0) {
				trappable = append(trappable, th)
			}
			switch th.mode {
			case simTrapped:
				trapped = append(trapped, th)
			case simHeld:
				held = append(held, th)
			}
		}
		quiet := len(trapped) == 0 && len(held) == 0
		for _, th := range k.threads {
			if k.canTrap(th, false) {
				quiet = false
			}
		}
		canToggle := transitions > 0 && (!cfg.settle || quiet)
		if !canToggle && len(trappable) == 0 && len(trapped) == 0 && len(held) == 0 {
			break
		}
		switch c := r.IntN(10); {
		case c == 0 && canToggle:
			k.toggle()
			transitions--
		case c < 5 && len(trappable) > 0:
			th := trappable[r.IntN(len(trappable))]
			if th.mode == simRunning && !th.notify && !k.stopped {
				noise--
			}
			k.trap(th)
		case c < 9 && len(trapped) > 0:
			th := trapped[r.IntN(len(trapped))]
			before, _ := tr.State()
			e, ok := tr.Observe(th.tid, th.report)
			after, asig := tr.State()
			if before == StateUnknown && after != StateUnknown {
				learned, learnedEpoch = after, th.epoch
				if (after == StateStopped) != k.states[th.epoch] {
					t.Fatalf("seed %d: learned %v from a report of epoch %d", seed, after, th.epoch)
				}
			}
			if ok {
				events = append(events, ev{e, th.epoch})
			} else if before != StateUnknown && before != after {
				t.Fatalf("seed %d: state moved %v -> %v with no event", seed, before, after)
			}
			if after == StateStopped && asig == 0 {
				t.Fatalf("seed %d: stopped with no signal", seed)
			}
			th.last = th.report
			resume(th, cfg.policy.React(th.report, ok && e.Kind == GroupStopBegan))
		case len(held) > 0 && (c == 9 || (len(trapped) == 0 && len(trappable) == 0)):
			// The user continues a held thread.
			th := held[r.IntN(len(held))]
			resume(th, Resume(th.last, 0))
		}
	}

	// Events alternate, each shows a real transition of a later kernel
	// epoch than the previous one, and the state ends where the kernel is.
	if learned == StateUnknown {
		t.Fatalf("seed %d: initial state never learned", seed)
	}
	prevState, prevEpoch := learned, learnedEpoch
	for i, e := range events {
		want := GroupStopBegan
		if prevState == StateStopped {
			want = GroupStopEnded
		}
		if e.Kind != want {
			t.Fatalf("seed %d: event %d is %v after state %v (events %v)", seed, i, e.Event, prevState, events)
		}
		if e.epoch <= prevEpoch {
			t.Fatalf("seed %d: event %d from epoch %d, previous from %d", seed, i, e.epoch, prevEpoch)
		}
		if k.states[e.epoch] != (want == GroupStopBegan) {
			t.Fatalf("seed %d: event %d %v from epoch %d where the kernel was stopped=%v", seed, i, e.Event, e.epoch, k.states[e.epoch])
		}
		if want == GroupStopBegan && e.Signal != k.sigs[e.epoch] {
			t.Fatalf("seed %d: event %d signal %v, kernel %v", seed, i, e.Signal, k.sigs[e.epoch])
		}
		prevEpoch = e.epoch
		prevState = StateRunning
		if want == GroupStopBegan {
			prevState = StateStopped
		}
	}
	if len(events) > cfg.transitions+1 {
		t.Fatalf("seed %d: %d events for %d transitions", seed, len(events), cfg.transitions)
	}
	wantState, wantSig := StateRunning, unix.Signal(0)
	if k.stopped {
		wantState, wantSig = StateStopped, k.sig
	}
	st, sig := tr.State()
	if st != wantState {
		t.Fatalf("seed %d: final state %v %v, kernel %v %v (events %v)", seed, st, sig, wantState, wantSig, events)
	}
	// The signal is exact when every transition was seen. When a
	// CONT/STOP pair was missed (its traps all came after the second
	// STOP), the tracker keeps the first group-stop's signal: see
	// TestTrackerStopSignalChange.
	if (cfg.settle || checkSignalAfterMissedPair) && sig != wantSig {
		t.Fatalf("seed %d: final signal %v, kernel %v (events %v)", seed, sig, wantSig, events)
	}
	if st == StateStopped && !IsStopSignal(sig) {
		t.Fatalf("seed %d: stopped by %v", seed, sig)
	}
	if cfg.settle {
		// The user waited for quiescence before each transition (the
		// first one included, so the initial state was learned before
		// it): every transition is seen, exactly once.
		if len(events) != cfg.transitions {
			t.Fatalf("seed %d: settled run: %d events for %d transitions: %v", seed, len(events), cfg.transitions, events)
		}
	}
}

func TestTrackerRandomized(t *testing.T) {
	for _, n := range []int{1, 2, 3, 8, 50} {
		for _, settle := range []bool{true, false} {
			for _, policy := range []Policy{PolicyListen, PolicyReport} {
				for _, startStop := range []bool{false, true} {
					name := fmt.Sprintf("n=%d/settle=%v/%v/stopped=%v", n, settle, policy, startStop)
					t.Run(name, func(t *testing.T) {
						for seed := uint64(1); seed <= 40; seed++ {
							runSim(t, seed, simConfig{
								threads:     n,
								transitions: 12,
								settle:      settle,
								policy:      policy,
								startStop:   startStop,
							})
						}
					})
				}
			}
		}
	}
}

// checkSignalAfterMissedPair: whether the tracker is expected to follow a
// change of the stop signal that a fresh group-stop report shows.
const checkSignalAfterMissedPair = true

// Still stopped, but by another signal: the thread was LISTENing in a
// SIGTSTP group-stop, and SIGCONT then SIGSTOP both came before it trapped
// (do_jobctl_trap reports the state at trap time), or a second stop signal
// came during the group-stop. No event can be emitted for the missed pair,
// and the state stays stopped.
func TestTrackerStopSignalChange(t *testing.T) {
	k := newBackend(t, 1)
	k.step(1, notification)
	k.step(1, groupStop(unix.SIGTSTP)) // listened
	k.noEvent(1, groupStop(unix.SIGSTOP))
	_, sig := k.tr.State()
	k.wantEvents(began(unix.SIGTSTP, 1))
	if checkSignalAfterMissedPair {
		k.wantState(StateStopped, unix.SIGSTOP)
	} else if sig != unix.SIGSTOP {
		t.Logf("known limitation: State() keeps %v after a fresh SIGSTOP group-stop report", unix.SignalName(sig))
	}
	// Either way the next SIGCONT ends it.
	k.step(1, notification)
	k.wantEvents(began(unix.SIGTSTP, 1), ended(1))
}
