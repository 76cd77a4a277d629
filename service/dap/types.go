package dap

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Error ids of error responses: the values Delve's DAP server uses
// (service/dap/error_ids.go), which editors may look at.
const (
	UnsupportedCommand int = 9999
	InternalError      int = 8888
	NotYetImplemented  int = 7777

	FailedToLaunch                = 3000
	FailedToAttach                = 3001
	FailedToInitialize            = 3002
	UnableToSetBreakpoints        = 2002
	UnableToDisplayThreads        = 2003
	UnableToProduceStackTrace     = 2004
	UnableToListLocals            = 2005
	UnableToListArgs              = 2006
	UnableToListGlobals           = 2007
	UnableToLookupVariable        = 2008
	UnableToEvaluateExpression    = 2009
	UnableToHalt                  = 2010
	UnableToGetExceptionInfo      = 2011
	UnableToSetVariable           = 2012
	UnableToDisassemble           = 2013
	UnableToListRegisters         = 2014
	UnableToRunDlvCommand         = 2015
	UnableToReadMemory            = 2016
	UnableToGetDataBreakpointInfo = 2017
	UnableToWriteMemory           = 2018
	// UnableToSignal is dlv-listen's: the dlvListenSignal request failed.
	UnableToSignal = 2100

	NoDebugIsRunning  = 3000
	DebuggeeIsRunning = 4000
	DisconnectError   = 5000
)

// Job-control policies (launch/attach attribute jobControl).
const (
	// jobListen: a group-stop is reported (output event) and the program
	// stays stopped while the debugger keeps listening.
	jobListen = "listen"
	// jobReport: a group-stop also stops the debug session (a "stopped"
	// event), as Ctrl-Z does in the terminal.
	jobReport = "report"
)

// commonConfig holds the attributes shared by launch and attach; the names
// and defaults are dlv's (LaunchAttachCommonConfig), plus dlv-listen's
// jobControl and jobControlEvents.
type commonConfig struct {
	FollowExec           bool             `json:"followExec,omitempty"`
	FollowExecRegex      string           `json:"followExecRegex,omitempty"`
	StopOnEntry          bool             `json:"stopOnEntry,omitempty"`
	Backend              string           `json:"backend,omitempty"`
	StackTraceDepth      int              `json:"stackTraceDepth,omitempty"`
	MaxStringLen         int              `json:"maxStringLen,omitempty"`
	MaxArrayValues       int              `json:"maxArrayValues,omitempty"`
	ShowGlobalVariables  bool             `json:"showGlobalVariables,omitempty"`
	ShowRegisters        bool             `json:"showRegisters,omitempty"`
	HideSystemGoroutines bool             `json:"hideSystemGoroutines,omitempty"`
	GoroutineFilters     string           `json:"goroutineFilters,omitempty"`
	ShowPprofLabels      []string         `json:"showPprofLabels,omitempty"`
	SubstitutePath       []substitutePath `json:"substitutePath,omitempty"`
	ShowRawStrings       bool             `json:"showRawStrings,omitempty"`

	// JobControl is "listen" (default) or "report".
	JobControl string `json:"jobControl,omitempty"`
	// JobControlEvents asks for the custom dlvListenJobControl event.
	JobControlEvents bool `json:"jobControlEvents,omitempty"`
}

// launchConfig is the launch request's arguments.
type launchConfig struct {
	Mode         string             `json:"mode,omitempty"`
	Program      string             `json:"program,omitempty"`
	Args         []string           `json:"args,omitempty"`
	Cwd          string             `json:"cwd,omitempty"`
	BuildFlags   buildFlags         `json:"buildFlags"`
	Output       string             `json:"output,omitempty"`
	NoDebug      bool               `json:"noDebug,omitempty"`
	TraceDirPath string             `json:"traceDirPath,omitempty"`
	CoreFilePath string             `json:"coreFilePath,omitempty"`
	DlvCwd       string             `json:"dlvCwd,omitempty"`
	Env          map[string]*string `json:"env,omitempty"`
	OutputMode   string             `json:"outputMode,omitempty"`
	StdinFrom    string             `json:"stdinFrom,omitempty"`
	StdoutTo     string             `json:"stdoutTo,omitempty"`
	StderrTo     string             `json:"stderrTo,omitempty"`
	commonConfig
}

// attachConfig is the attach request's arguments.
type attachConfig struct {
	Mode                string          `json:"mode"`
	ProcessID           int             `json:"processId,omitempty"`
	AttachWaitFor       string          `json:"waitFor,omitempty"`
	GuessSubstitutePath json.RawMessage `json:"guessSubstitutePath,omitempty"`
	// Job (dlv-listen) attaches to every process of processId's process
	// group, a whole shell job, and follows the children they start.
	Job bool `json:"job,omitempty"`
	commonConfig
}

func defaultCommon() commonConfig {
	return commonConfig{Backend: "default", StackTraceDepth: 50}
}

type substitutePath struct {
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// UnmarshalJSON requires both from and to, as dlv does.
func (m *substitutePath) UnmarshalJSON(data []byte) error {
	var tmp struct {
		From *string
		To   *string
	}
	if err := json.Unmarshal(data, &tmp); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return fmt.Errorf(`cannot use %s as 'substitutePath' of type {"from":string, "to":string}`, data)
		}
		return err
	}
	if tmp.From == nil || tmp.To == nil {
		return errors.New("'substitutePath' requires both 'from' and 'to' entries")
	}
	*m = substitutePath{*tmp.From, *tmp.To}
	return nil
}

// buildFlags is a string (dlv's --build-flags) or a list of arguments.
type buildFlags struct {
	list  []string
	str   string
	isSet bool
}

func (b *buildFlags) UnmarshalJSON(data []byte) error {
	*b = buildFlags{}
	if v := string(data); v == "" || v == "null" {
		return nil
	}
	if err := json.Unmarshal(data, &b.list); err == nil {
		b.isSet = true
		return nil
	}
	b.list = nil
	if err := json.Unmarshal(data, &b.str); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return fmt.Errorf(`cannot unmarshal %v into "buildFlags" of type []string or string`, typeErr.Value)
		}
		return err
	}
	b.isSet = true
	return nil
}

// String returns the flags in dlv's --build-flags syntax: list items are
// single-quoted when they hold spaces or quotes.
func (b buildFlags) String() string {
	if b.list == nil {
		return b.str
	}
	parts := make([]string, len(b.list))
	for i, f := range b.list {
		if strings.ContainsAny(f, " \t'\"") {
			f = "'" + strings.ReplaceAll(f, "'", `'"'"'`) + "'"
		}
		parts[i] = f
	}
	return strings.Join(parts, " ")
}

// unmarshalArgs decodes launch/attach arguments with dlv's wording for type
// errors ("cannot unmarshal number into \"program\" of type string").
func unmarshalArgs(input json.RawMessage, cfg any) error {
	if len(input) == 0 {
		return nil
	}
	if err := json.Unmarshal(input, cfg); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			typ := typeErr.Type.String()
			if typeErr.Field == "substitutePath" {
				typ = `{"from":string, "to":string}`
			}
			return fmt.Errorf("cannot unmarshal %v into %q of type %v", typeErr.Value, typeErr.Field, typ)
		}
		return err
	}
	return nil
}

// launchArgs are the settings of the session that later requests use; a
// "dlv config" command can change those with a cfgName.
type launchArgs struct {
	stopOnEntry          bool
	StackTraceDepth      int         `cfgName:"stackTraceDepth"`
	MaxStringLen         int         `cfgName:"maxStringLen"`
	MaxArrayValues       int         `cfgName:"maxArrayValues"`
	ShowGlobalVariables  bool        `cfgName:"showGlobalVariables"`
	ShowRegisters        bool        `cfgName:"showRegisters"`
	GoroutineFilters     string      `cfgName:"goroutineFilters"`
	ShowPprofLabels      []string    `cfgName:"showPprofLabels"`
	HideSystemGoroutines bool        `cfgName:"hideSystemGoroutines"`
	clientToServer       [][2]string `cfgName:"substitutePath"`
	serverToClient       [][2]string
	ShowRawStrings       bool `cfgName:"showRawStrings"`
	jobControl           string
	jobControlEvents     bool
}

func defaultLaunchArgs() launchArgs {
	return launchArgs{StackTraceDepth: 50, ShowPprofLabels: []string{}, jobControl: jobListen}
}

// apply takes the attributes of a launch/attach request.
func (a *launchArgs) apply(c commonConfig) error {
	switch c.Backend {
	case "", "default", "native":
	default:
		return fmt.Errorf("unsupported 'backend' attribute %q: dlv-listen has one backend (PTRACE_SEIZE with listen mode)", c.Backend)
	}
	switch c.JobControl {
	case "", jobListen:
		a.jobControl = jobListen
	case jobReport:
		a.jobControl = jobReport
	default:
		return fmt.Errorf("unsupported 'jobControl' attribute %q: use \"listen\" or \"report\"", c.JobControl)
	}
	a.jobControlEvents = c.JobControlEvents
	if c.FollowExecRegex != "" {
		// Refused before anything is built, launched or attached.
		if _, err := regexp.Compile(c.FollowExecRegex); err != nil {
			return fmt.Errorf("invalid 'followExecRegex' %q: %v", c.FollowExecRegex, err)
		}
	}
	a.stopOnEntry = c.StopOnEntry
	if c.StackTraceDepth > 0 {
		a.StackTraceDepth = c.StackTraceDepth
	}
	if c.MaxStringLen > 0 {
		a.MaxStringLen = c.MaxStringLen
	}
	if c.MaxArrayValues > 0 {
		a.MaxArrayValues = c.MaxArrayValues
	}
	a.ShowGlobalVariables = c.ShowGlobalVariables
	a.ShowRegisters = c.ShowRegisters
	a.ShowPprofLabels = c.ShowPprofLabels
	a.HideSystemGoroutines = c.HideSystemGoroutines
	a.GoroutineFilters = c.GoroutineFilters
	a.ShowRawStrings = c.ShowRawStrings
	if len(c.SubstitutePath) == 0 {
		return nil
	}
	a.clientToServer = make([][2]string, 0, len(c.SubstitutePath))
	a.serverToClient = make([][2]string, 0, len(c.SubstitutePath))
	for _, p := range c.SubstitutePath {
		a.clientToServer = append(a.clientToServer, [2]string{p.From, p.To})
		a.serverToClient = append(a.serverToClient, [2]string{p.To, p.From})
	}
	return nil
}

// clientCaps are the client capabilities from initialize that change our
// answers.
type clientCaps struct {
	supportsVariableType         bool
	supportsVariablePaging       bool
	supportsRunInTerminalRequest bool
	supportsMemoryReferences     bool
	supportsInvalidatedEvent     bool
}
