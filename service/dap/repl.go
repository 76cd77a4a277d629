package dap

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/go-delve/delve/pkg/config"
	"github.com/go-delve/delve/service/api"
	"github.com/go-delve/delve/service/rpc2"
	"github.com/google/go-dap"
)

// The "dlv <command>" prefix of the debug console: dlv's commands, plus
// dlv-listen's jobs and signal.

type replCommand struct {
	aliases []string
	help    string
	fn      func(goid, frame int, args string) (string, error)
}

var errNoCmd = errors.New("command not available")

const (
	msgHelp = `Prints the help message.

dlv help [command]

Type "help" followed by the name of a command for more information about it.`
	msgConfig = `Changes configuration parameters.

	dlv config -list

		Show all configuration parameters.

	dlv config -list <parameter>

		Show value of a configuration parameter.

	dlv config <parameter> <value>

		Changes the value of a configuration parameter.

	dlv config substitutePath <from> <to>
	dlv config substitutePath <from>
	dlv config substitutePath -clear

		Adds or removes a path substitution rule. If -clear is used all substitutePath rules are removed.

	dlv config showPprofLabels <label>
	dlv config showPprofLabels -clear <label>
	dlv config showPprofLabels -clear

		Adds or removes a label key to show in the callstack view. If -clear is used without an argument,
		all labels are removed.`
	msgSources = `Print list of source files.

	dlv sources [<regex>]

If regex is specified only the source files matching it will be returned.`
	msgTypes = `Print list of types.

	dlv types [<regex>]

If regex is specified only the types matching it will be returned.`
	msgTarget = `Manages child process debugging.

	target follow-exec [-on [regex]] [-off]

Enables or disables follow exec mode. When follow exec mode Delve will automatically attach to new child processes executed by the target process. An optional regular expression can be passed to 'target follow-exec', only child processes with a command line matching the regular expression will be followed.

	target list

List currently attached processes.

	target switch [pid]

Switches to the specified process.`
	msgExamineMemory = `Examine raw memory at the given address.

	examinemem [-fmt <format>] [-count|-len <count>] [-size <size>] <address>
	examinemem [-fmt <format>] [-count|-len <count>] [-size <size>] -x <expression>

Format is one of bin, oct, dec, hex (default) and raw. Length is the number of bytes (default 1, at most 1000).`
	msgJobs = `Shows the job-control state of the debugged process (dlv-listen).

	dlv jobs

For example "process 4242 is stopped by SIGTSTP (job control)".`
	msgSignal = `Sends a signal to the debugged process (dlv-listen).

	dlv signal <signal>

The signal is a name (SIGCONT, CONT) or a number. "dlv signal SIGCONT" lets a
process stopped by job control go on; a continue waiting for it then goes on.`
)

func (ss *session) replCommands() []replCommand {
	return []replCommand{
		{[]string{"help", "h"}, msgHelp, ss.replHelp},
		{[]string{"config"}, msgConfig, ss.replConfig},
		{[]string{"sources", "s"}, msgSources, ss.replSources},
		{[]string{"types"}, msgTypes, ss.replTypes},
		{[]string{"target"}, msgTarget, ss.replTarget},
		{[]string{"examinemem", "x"}, msgExamineMemory, ss.replExamineMemory},
		{[]string{"jobs"}, msgJobs, ss.replJobs},
		{[]string{"signal"}, msgSignal, ss.replSignal},
	}
}

func (ss *session) delveCmd(goid, frame int, line string) (string, error) {
	name, args, _ := strings.Cut(strings.TrimSpace(line), " ")
	for _, cmd := range ss.replCommands() {
		if slices.Contains(cmd.aliases, name) {
			return cmd.fn(goid, frame, strings.TrimSpace(args))
		}
	}
	return "", errNoCmd
}

func (ss *session) replHelp(_, _ int, args string) (string, error) {
	if args != "" {
		for _, cmd := range ss.replCommands() {
			if slices.Contains(cmd.aliases, args) {
				return cmd.help, nil
			}
		}
		return "", errNoCmd
	}
	var buf bytes.Buffer
	fmt.Fprintln(&buf, "The following commands are available:")
	for _, cmd := range ss.replCommands() {
		h, _, _ := strings.Cut(cmd.help, "\n")
		if len(cmd.aliases) > 1 {
			fmt.Fprintf(&buf, "    dlv %s (alias: %s) \t %s\n", cmd.aliases[0], strings.Join(cmd.aliases[1:], " | "), h)
		} else {
			fmt.Fprintf(&buf, "    dlv %s \t %s\n", cmd.aliases[0], h)
		}
	}
	fmt.Fprintln(&buf)
	fmt.Fprintln(&buf, "Type 'dlv help' followed by a command for full documentation.")
	return buf.String(), nil
}

func (ss *session) replJobs(_, _ int, _ string) (string, error) {
	d, _ := ss.debugger()
	return d.JobState(), nil
}

func (ss *session) replSignal(_, _ int, args string) (string, error) {
	d, _ := ss.debugger()
	return d.Signal(args)
}

func (ss *session) replSources(_, _ int, filter string) (string, error) {
	_, c := ss.debugger()
	srcs, err := c.ListSources(filter)
	if err != nil {
		return "", err
	}
	sort.Strings(srcs)
	return strings.Join(srcs, "\n"), nil
}

func (ss *session) replTypes(_, _ int, filter string) (string, error) {
	_, c := ss.debugger()
	types, err := c.ListTypes(filter)
	if err != nil {
		return "", err
	}
	return strings.Join(types, "\n"), nil
}

// replTarget is dlv's "target" command: list, follow-exec, switch.
func (ss *session) replTarget(_, _ int, args string) (string, error) {
	d, c := ss.debugger()
	argv := config.Split2PartsBySpace(strings.TrimSpace(args))
	switch argv[0] {
	case "list":
		tgts, err := c.ListTargets()
		if err != nil {
			return "", err
		}
		cur := 0
		if st, err := c.GetStateNonBlocking(); err == nil {
			cur = st.Pid
		}
		var b strings.Builder
		for _, t := range tgts {
			sel := ""
			if t.Pid == cur {
				sel = "*"
			}
			fmt.Fprintf(&b, "%s\t%d\t%s\n", sel, t.Pid, t.CmdLine)
		}
		return b.String(), nil
	case "follow-exec":
		if len(argv) == 1 {
			if d.FollowExecEnabled() {
				return "Follow exec mode is enabled", nil
			}
			return "Follow exec mode is disabled", nil
		}
		argv = config.Split2PartsBySpace(argv[1])
		switch argv[0] {
		case "-on":
			regex := ""
			if len(argv) == 2 {
				regex = argv[1]
			}
			if err := d.FollowExec(true, regex); err != nil {
				return "", err
			}
			if regex != "" {
				return fmt.Sprintf("Follow exec mode enabled with regex %q", regex), nil
			}
			return "Follow exec mode enabled", nil
		case "-off":
			if len(argv) > 1 {
				return "", errors.New("too many arguments")
			}
			if err := d.FollowExec(false, ""); err != nil {
				return "", err
			}
			return "Follow exec mode disabled", nil
		}
		return "", fmt.Errorf("unknown argument %q to 'target follow-exec'", argv[0])
	case "switch":
		if len(argv) < 2 {
			return "", errors.New("not enough arguments for 'target switch'")
		}
		pid, err := strconv.Atoi(argv[1])
		if err != nil {
			return "", fmt.Errorf("target switch %q: not a pid", argv[1])
		}
		if err := ss.selectProcess(pid); err != nil {
			return "", fmt.Errorf("could not find target %d", pid)
		}
		// The editor's view follows: the selection marks change.
		ss.invalidated("threads")
		return "", nil
	}
	return "", fmt.Errorf("unknown target command")
}

func (ss *session) replExamineMemory(goid, frame int, argstr string) (string, error) {
	args, err := api.ParseExamineMemoryArg(argstr)
	if err != nil {
		return fmt.Errorf("bad arguments: %w", err).Error(), nil
	}
	var address uint64
	if args.IsExpr {
		v, err := ss.eval(int64(goid), frame, args.Operand, ss.loadConfig())
		if err != nil {
			return "", err
		}
		switch v.Kind {
		case reflect.Pointer:
			if len(v.Children) < 1 {
				return fmt.Errorf("bug? invalid pointer: %#v", v).Error(), nil
			}
			address = v.Children[0].Addr
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
			n, err := strconv.ParseInt(api.ExtractIntValue(v.Value), 0, 64)
			if err != nil {
				u, _ := strconv.ParseUint(api.ExtractIntValue(v.Value), 0, 64)
				n = int64(u)
			}
			address = uint64(n)
		default:
			return fmt.Errorf("unsupported expression type: %s", v.Kind).Error(), nil
		}
	} else if address, err = strconv.ParseUint(args.Operand, 0, 64); err != nil {
		return fmt.Errorf("convert address into uintptr type failed, %s", err).Error(), nil
	}
	_, c := ss.debugger()
	mem, _, err := c.ExamineMemory(address, min(int(args.Count*args.Size), rpc2.ExamineMemoryLengthLimit))
	if err != nil {
		return fmt.Errorf("examine memory error: %w", err).Error(), nil
	}
	return api.PrettyExamineMemory(uintptr(address), mem, true, args.Format, int(args.Size)), nil
}

func (ss *session) replConfig(_, _ int, expr string) (string, error) {
	argv := config.Split2PartsBySpace(expr)
	name := argv[0]
	if name == "-list" {
		if len(argv) > 1 {
			return config.ConfigureListByName(&ss.args, argv[1], "cfgName"), nil
		}
		var buf bytes.Buffer
		config.ConfigureList(&buf, &ss.args, "cfgName")
		return buf.String(), nil
	}
	rest := ""
	if len(argv) == 2 {
		rest = argv[1]
	}
	field := config.ConfigureFindFieldByName(&ss.args, name, "cfgName")
	if !field.CanAddr() {
		return "", fmt.Errorf("%q is not a configuration parameter", name)
	}
	var err error
	switch name {
	case "substitutePath":
		err = ss.configSubstitutePath(rest)
	case "showPprofLabels":
		err = ss.configPprofLabels(rest)
	default:
		err = config.ConfigureSetSimple(rest, name, field)
	}
	if err != nil {
		return "", err
	}
	switch name {
	case "showGlobalVariables", "showRegisters":
		ss.send(&dap.InvalidatedEvent{Event: *ss.newEvent("invalidated"), Body: dap.InvalidatedEventBody{Areas: []dap.InvalidatedAreas{"variables"}}})
	case "goroutineFilters", "hideSystemGoroutines", "showPprofLabels":
		ss.send(&dap.InvalidatedEvent{Event: *ss.newEvent("invalidated"), Body: dap.InvalidatedEventBody{Areas: []dap.InvalidatedAreas{"threads"}}})
	}
	return config.ConfigureListByName(&ss.args, name, "cfgName") + "\nUpdated", nil
}

func (ss *session) configSubstitutePath(rest string) error {
	a := &ss.args
	if strings.TrimSpace(rest) == "-clear" {
		a.clientToServer, a.serverToClient = a.clientToServer[:0], a.serverToClient[:0]
		return nil
	}
	argv := config.SplitQuotedFields(rest, '"')
	if len(argv) == 2 && argv[0] == "-clear" {
		argv = argv[1:]
	}
	switch len(argv) {
	case 0:
		return nil
	case 1:
		for i := range a.clientToServer {
			if a.clientToServer[i][0] == argv[0] {
				a.clientToServer = slices.Delete(a.clientToServer, i, i+1)
				a.serverToClient = slices.Delete(a.serverToClient, i, i+1)
				return nil
			}
		}
		return fmt.Errorf("could not find rule for %q", argv[0])
	case 2:
		for i := range a.clientToServer {
			if a.clientToServer[i][0] == argv[0] {
				a.clientToServer[i][1] = argv[1]
				a.serverToClient[i][0] = argv[1]
				return nil
			}
		}
		a.clientToServer = append(a.clientToServer, [2]string{argv[0], argv[1]})
		a.serverToClient = append(a.serverToClient, [2]string{argv[1], argv[0]})
		return nil
	}
	return errors.New("too many arguments to \"config substitutePath\"")
}

func (ss *session) configPprofLabels(rest string) error {
	a := &ss.args
	if strings.TrimSpace(rest) == "-clear" {
		a.ShowPprofLabels = a.ShowPprofLabels[:0]
		return nil
	}
	argv := config.SplitQuotedFields(rest, '"')
	del := false
	if len(argv) == 2 && argv[0] == "-clear" {
		argv, del = argv[1:], true
	}
	switch len(argv) {
	case 0:
		return nil
	case 1:
		if !del {
			a.ShowPprofLabels = append(a.ShowPprofLabels, argv[0])
			return nil
		}
		if i := slices.Index(a.ShowPprofLabels, argv[0]); i >= 0 {
			a.ShowPprofLabels = slices.Delete(a.ShowPprofLabels, i, i+1)
			return nil
		}
		return fmt.Errorf("could not find label %q", argv[0])
	}
	return errors.New("too many arguments to \"config showPprofLabels\"")
}
