package dap

import (
	"fmt"
	"go/constant"
	"go/parser"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-delve/delve/pkg/proc"
	"github.com/go-delve/delve/service/api"
	"github.com/google/go-dap"
)

// Load limits: dlv's DAP defaults (conservative bulk loads; the editor
// loads more interactively by paging and reloading).
const (
	defaultMaxStringLen       = 512
	defaultMaxArrayValues     = 64
	maxSingleStringLen        = 4 << 10 // a single string shown on its own
	maxStringLenInCallRetVars = 1 << 10 // results of an injected call
	maxVarValueLen            = 1 << 8  // a compound value's one-line text
	maxMapKeyValueLen         = 64      // an inlined map key
)

func (ss *session) loadConfig() api.LoadConfig {
	cfg := api.LoadConfig{FollowPointers: true, MaxVariableRecurse: 1, MaxStringLen: defaultMaxStringLen, MaxArrayValues: defaultMaxArrayValues, MaxStructFields: -1}
	if n := ss.args.MaxStringLen; n > 0 {
		cfg.MaxStringLen = n
	}
	if n := ss.args.MaxArrayValues; n > 0 {
		cfg.MaxArrayValues = n
	}
	return cfg
}

func (ss *session) apiLoadConfig() api.LoadConfig { return ss.loadConfig() }

// eval evaluates expr in frame of the goroutine of DAP thread id thread.
func (ss *session) eval(thread int64, frame int, expr string, cfg api.LoadConfig) (*api.Variable, error) {
	k, err := ss.selectThread(int(thread))
	if err != nil {
		return nil, err
	}
	_, c := ss.debugger()
	return c.EvalVariable(api.EvalScope{GoroutineID: k.goid, Frame: frame}, expr, cfg)
}

func (ss *session) onScopes(r *dap.ScopesRequest) {
	sf, ok := ss.handles.frame(r.Arguments.FrameId)
	if !ok {
		ss.sendError(r.Request, UnableToListLocals, "Unable to list locals", fmt.Sprintf("unknown frame id %d", r.Arguments.FrameId))
		return
	}
	_, c := ss.debugger()
	goid, frame := sf.goroutineID, sf.frameIndex // goid: a DAP thread id
	k, err := ss.selectThread(goid)
	var frames []api.Stackframe
	if err == nil {
		frames, err = c.Stacktrace(k.goid, frame, 0, 0, nil)
	}
	scope := api.EvalScope{GoroutineID: k.goid, Frame: frame}
	if err != nil || len(frames) <= frame || frames[frame].Function == nil {
		details := ""
		if err != nil {
			details = err.Error()
		}
		ss.sendError(r.Request, UnableToListArgs, "Unable to find enclosing function", details)
		return
	}
	suffix := ""
	if frames[frame].Function.Optimized {
		suffix = " (warning: optimized function)"
	}
	cfg := ss.loadConfig()
	args, err := c.ListFunctionArgs(scope, cfg)
	if err != nil {
		ss.sendError(r.Request, UnableToListArgs, "Unable to list args", err.Error())
		return
	}
	locals, err := c.ListLocalVariables(scope, cfg)
	if err != nil {
		ss.sendError(r.Request, UnableToListLocals, "Unable to list locals", err.Error())
		return
	}
	locScope := &fqVar{Variable: &api.Variable{Name: "Locals" + suffix, Children: append(args, locals...)}, isScope: true, goroutineID: goid, frameIndex: frame}
	scopes := []dap.Scope{{Name: locScope.Name, VariablesReference: ss.handles.newVariable(locScope)}}

	if ss.args.ShowGlobalVariables {
		pkg := ss.currentPackage()
		globals, err := c.ListPackageVariables(fmt.Sprintf("^%s\\.", regexp.QuoteMeta(pkg)), cfg)
		if err != nil {
			ss.sendError(r.Request, UnableToListGlobals, "Unable to list globals", err.Error())
			return
		}
		for i := range globals {
			globals[i].Name = strings.TrimPrefix(globals[i].Name, pkg+".")
		}
		g := &fqVar{Variable: &api.Variable{Name: fmt.Sprintf("Globals (package %s)", pkg), Children: globals}, fqName: pkg, isScope: true, goroutineID: goid}
		scopes = append(scopes, dap.Scope{Name: g.Name, VariablesReference: ss.handles.newVariable(g)})
	}
	if ss.args.ShowRegisters {
		regs, err := c.ListScopeRegisters(scope, false)
		if err != nil {
			ss.sendError(r.Request, UnableToListRegisters, "Unable to list registers", err.Error())
			return
		}
		vars := make([]api.Variable, len(regs))
		for i, reg := range regs {
			vars[i] = api.Variable{Name: reg.Name, Value: reg.Value, Kind: reflect.String, Len: int64(len(reg.Value))}
		}
		rs := &fqVar{Variable: &api.Variable{Name: "Registers", Children: vars}, isScope: true, goroutineID: goid, frameIndex: frame}
		scopes = append(scopes, dap.Scope{Name: rs.Name, VariablesReference: ss.handles.newVariable(rs)})
	}
	ss.send(&dap.ScopesResponse{Response: *ss.newResponse(r.Request), Body: dap.ScopesResponseBody{Scopes: scopes}})
}

// currentPackage is the package of the current thread's function (the
// globals dlv shows).
func (ss *session) currentPackage() string {
	_, c := ss.debugger()
	st, err := c.GetState()
	if err != nil || st.CurrentThread == nil || st.CurrentThread.Function == nil {
		return "main"
	}
	return packageName(st.CurrentThread.Function.Name())
}

// packageName returns the package path of a function symbol
// ("github.com/a/b.(*T).M" -> "github.com/a/b").
func packageName(sym string) string {
	if i := strings.Index(sym, "["); i >= 0 {
		sym = sym[:i]
	}
	slash := strings.LastIndex(sym, "/")
	if dot := strings.Index(sym[slash+1:], "."); dot >= 0 {
		return sym[:slash+1+dot]
	}
	return sym
}

func (ss *session) onVariables(r *dap.VariablesRequest) {
	ref := r.Arguments.VariablesReference
	v, ok := ss.handles.variable(ref)
	if !ok {
		ss.sendError(r.Request, UnableToLookupVariable, "Unable to lookup variable", fmt.Sprintf("unknown reference %d", ref))
		return
	}
	if r.Arguments.Filter == "indexed" {
		var err error
		if v, err = ss.maybeLoadResliced(v, r.Arguments.Start, r.Arguments.Count); err != nil {
			ss.sendError(r.Request, UnableToLookupVariable, "Unable to lookup variable", err.Error())
			return
		}
	}
	children := []dap.Variable{}
	if r.Arguments.Filter == "named" || r.Arguments.Filter == "" {
		children = append(children, ss.metadataVariables(v)...)
	}
	if r.Arguments.Filter == "indexed" || r.Arguments.Filter == "" {
		children = append(children, ss.childrenVariables(v)...)
	}
	ss.send(&dap.VariablesResponse{Response: *ss.newResponse(r.Request), Body: dap.VariablesResponseBody{Variables: children}})
}

// maybeLoadResliced loads count children from start of an array, slice or
// map, by reslicing it at its address.
func (ss *session) maybeLoadResliced(v *fqVar, start, count int) (*fqVar, error) {
	if start == 0 {
		want := count
		if v.Kind == reflect.Map {
			want *= 2
		}
		if want == len(v.Children) {
			return v, nil
		}
	}
	cfg := ss.loadConfig()
	cfg.MaxArrayValues = count
	expr := fmt.Sprintf("(*(*%q)(%#x))[%d:]", v.Type, v.Addr, start)
	nv, err := ss.eval(int64(v.goroutineID), v.frameIndex, expr, cfg)
	if err != nil {
		return nil, err
	}
	return &fqVar{Variable: nv, fqName: v.fqName, startIndex: start, goroutineID: v.goroutineID, frameIndex: v.frameIndex}, nil
}

func indexedCount(v *api.Variable) int {
	switch v.Kind {
	case reflect.Array, reflect.Slice, reflect.Map:
		return int(v.Len)
	}
	return 0
}

func isListOfBytesOrRunes(v *api.Variable) bool {
	if len(v.Children) > 0 && (v.Kind == reflect.Array || v.Kind == reflect.Slice) {
		k := v.Children[0].Kind
		return k == reflect.Uint8 || k == reflect.Int32
	}
	return false
}

func namedCount(v *api.Variable) int {
	n := 0
	if v.Kind == reflect.Map && v.Len > 0 {
		n++
	}
	if isListOfBytesOrRunes(v) {
		n++
	}
	return n
}

// metadataVariables: len() of a map, string() of a []byte or []rune.
func (ss *session) metadataVariables(v *fqVar) []dap.Variable {
	out := []dap.Variable{}
	if v.Kind == reflect.Map && v.Len > 0 {
		out = append(out, dap.Variable{Name: "len()", Value: strconv.FormatInt(v.Len, 10), Type: "int", EvaluateName: fmt.Sprintf("len(%s)", v.fqName)})
	}
	if isListOfBytesOrRunes(v.Variable) && v.Addr != 0 && v.Flags&api.VariableFakeAddress == 0 {
		cfg := ss.loadConfig()
		cfg.MaxArrayValues = cfg.MaxStringLen
		loaded, err := ss.eval(-1, 0, fmt.Sprintf("string(*(*%q)(%#x))", v.Type, v.Addr), cfg)
		if err == nil {
			val, _ := ss.convertVariable(loaded, "", skipRef, -1, 0)
			out = append(out, dap.Variable{Name: "string()", Value: val, Type: "string"})
		}
	}
	return out
}

func (ss *session) typeOf(v *api.Variable) string {
	ss.mu.Lock()
	ok := ss.caps.supportsVariableType
	ss.mu.Unlock()
	if !ok {
		return ""
	}
	if v.Kind == reflect.Interface && len(v.Children) > 0 && v.Children[0].Kind != reflect.Invalid {
		return fmt.Sprintf("%s(%s)", v.Type, v.Children[0].Type)
	}
	return v.Type
}

func isScalarKind(k reflect.Kind) bool {
	switch k {
	case reflect.Bool, reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return true
	}
	return false
}

// childrenVariables returns the DAP form of a variable's children, each
// with the expression that reaches it.
func (ss *session) childrenVariables(v *fqVar) []dap.Variable {
	out := []dap.Variable{}
	switch v.Kind {
	case reflect.Map:
		for i := 0; i+1 < len(v.Children); i += 2 {
			kv := i / 2
			key, val := &v.Children[i], &v.Children[i+1]
			keyExpr := fmt.Sprintf("(*(*%q)(%#x))", key.Type, key.Addr)
			valExpr := fmt.Sprintf("%s[%s]", v.fqName, keyExpr)
			switch {
			case isScalarKind(key.Kind):
				valExpr = fmt.Sprintf("%s[%s]", v.fqName, key.Value)
			case key.Kind == reflect.String && key.Unreadable == "" && key.Len == int64(len(key.Value)):
				valExpr = fmt.Sprintf("%s[%q]", v.fqName, key.Value)
			}
			keyStr, keyRef := ss.convertVariable(key, keyExpr, 0, v.goroutineID, v.frameIndex)
			valStr, valRef := ss.convertVariable(val, valExpr, 0, v.goroutineID, v.frameIndex)
			keyType, valType := ss.typeOf(key), ss.typeOf(val)
			if keyRef > 0 && valRef > 0 {
				out = append(out,
					dap.Variable{Name: fmt.Sprintf("[key %d]", v.startIndex+kv), EvaluateName: keyExpr, Type: keyType, Value: keyStr, VariablesReference: keyRef, IndexedVariables: indexedCount(key), NamedVariables: namedCount(key)},
					dap.Variable{Name: fmt.Sprintf("[val %d]", v.startIndex+kv), EvaluateName: valExpr, Type: valType, Value: valStr, VariablesReference: valRef, IndexedVariables: indexedCount(val), NamedVariables: namedCount(val)})
				continue
			}
			typ := valType
			if keyType != "" && valType != "" {
				typ = keyType + ": " + valType
			}
			kvv := dap.Variable{Name: keyStr, EvaluateName: valExpr, Type: typ, Value: valStr}
			switch {
			case keyRef != 0:
				if len(keyStr) > maxMapKeyValueLen {
					kvv.Name = fmt.Sprintf("%s... @ %#x", keyStr[:maxMapKeyValueLen], key.Addr)
				}
				kvv.VariablesReference, kvv.IndexedVariables, kvv.NamedVariables = keyRef, indexedCount(key), namedCount(key)
			case valRef != 0:
				kvv.VariablesReference, kvv.IndexedVariables, kvv.NamedVariables = valRef, indexedCount(val), namedCount(val)
			}
			out = append(out, kvv)
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Children {
			c := &v.Children[i]
			idx := v.startIndex + i
			name := fmt.Sprintf("%s[%d]", v.fqName, idx)
			val, ref := ss.convertVariable(c, name, 0, v.goroutineID, v.frameIndex)
			out = append(out, dap.Variable{Name: fmt.Sprintf("[%d]", idx), EvaluateName: name, Type: ss.typeOf(c), Value: val, VariablesReference: ref, IndexedVariables: indexedCount(c), NamedVariables: namedCount(c)})
		}
	default:
		for i := range v.Children {
			c := &v.Children[i]
			name := fmt.Sprintf("%s.%s", v.fqName, c.Name)
			switch {
			case strings.HasPrefix(c.Name, "~") || strings.HasPrefix(c.Name, "."):
				name = ""
			case v.isScope && v.fqName == "":
				name = c.Name
			case v.fqName == "":
				name = ""
			case v.Kind == reflect.Interface:
				name = fmt.Sprintf("%s.(%s)", v.fqName, c.Name)
			case v.Kind == reflect.Pointer:
				name = fmt.Sprintf("(*%v)", v.fqName)
			case v.Kind == reflect.Complex64 || v.Kind == reflect.Complex128:
				name = ""
			}
			val, ref := ss.convertVariable(c, name, 0, v.goroutineID, v.frameIndex)
			shown := c.Name
			if c.Flags&api.VariableShadowed != 0 {
				shown = "(" + shown + ")"
			}
			if v.isScope && v.Name == "Registers" {
				shown = fmt.Sprintf("%6s", strings.ToLower(c.Name))
				name = "_" + strings.ToUpper(c.Name)
				if u, err := strconv.Unquote(val); err == nil {
					val = u
				}
			}
			out = append(out, dap.Variable{Name: shown, EvaluateName: name, Type: ss.typeOf(c), Value: val, VariablesReference: ref,
				IndexedVariables: indexedCount(c), NamedVariables: namedCount(c), MemoryReference: ss.handles.memoryReference(c)})
		}
	}
	return out
}

type convertFlags uint8

const (
	skipRef convertFlags = 1 << iota
	showFullValue
)

func (ss *session) formatVar(v *api.Variable) string {
	flags := api.PrettyShortenType
	if ss.args.ShowRawStrings {
		flags |= api.PrettyRawString
	}
	return v.StringWithOptions("", "", flags)
}

// convertVariable returns a variable's one-line value and, for compound
// values, a reference to its children (0 for scalars). Values not loaded
// by the bulk load (too deep) are loaded again at their address.
func (ss *session) convertVariable(v *api.Variable, fqName string, opts convertFlags, goid, frame int) (string, int) {
	canHaveRef := false
	ref := 0
	makeRef := func() {
		canHaveRef = true
		if opts&skipRef == 0 {
			ref = ss.handles.newVariable(&fqVar{Variable: v, fqName: fqName, goroutineID: goid, frameIndex: frame})
		}
	}
	value := ss.formatVar(v)
	if v.Unreadable != "" {
		return value, 0
	}
	reload := func() {
		cfg := ss.loadConfig()
		cfg.FollowPointers = true
		loaded, err := ss.eval(-1, 0, fmt.Sprintf("*(*%q)(%#x)", v.Type, v.Addr), cfg)
		if err != nil {
			value += fmt.Sprintf(" - FAILED TO LOAD: %s", err)
			return
		}
		v.Children, v.Value = loaded.Children, loaded.Value
		value = ss.formatVar(v)
	}
	paging := func() bool {
		ss.mu.Lock()
		defer ss.mu.Unlock()
		return ss.caps.supportsVariablePaging
	}
	switch v.Kind {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n, _ := strconv.ParseUint(api.ExtractIntValue(v.Value), 10, 64)
		value = fmt.Sprintf("%s = %#x", value, n)
	case reflect.UnsafePointer:
	case reflect.Pointer:
		if v.Type != "" && len(v.Children) > 0 && v.Children[0].Addr != 0 && v.Children[0].Kind != reflect.Invalid {
			if v.Children[0].OnlyAddr {
				if v.Addr == 0 {
					child := &v.Children[0]
					loaded, err := ss.eval(-1, 0, fmt.Sprintf("*(*%q)(%#x)", child.Type, child.Addr), ss.loadConfig())
					if err != nil {
						value += fmt.Sprintf(" - FAILED TO LOAD: %s", err)
					} else {
						loaded.Name = child.Name
						v.Children = []api.Variable{*loaded}
						value = ss.formatVar(v)
					}
				} else {
					reload()
				}
			}
			if !v.Children[0].OnlyAddr {
				makeRef()
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Len > int64(len(v.Children)) {
			if v.Base != 0 && len(v.Children) == 0 {
				reload()
			} else if !paging() {
				value = fmt.Sprintf("(loaded %d/%d) ", len(v.Children), v.Len) + value
			}
		}
		if v.Base != 0 && len(v.Children) > 0 {
			makeRef()
		}
	case reflect.Map:
		if v.Len > int64(len(v.Children)/2) {
			if len(v.Children) == 0 {
				reload()
			} else if !paging() {
				value = fmt.Sprintf("(loaded %d/%d) ", len(v.Children)/2, v.Len) + value
			}
		}
		if v.Base != 0 && len(v.Children) > 0 {
			makeRef()
		}
	case reflect.String:
	case reflect.Interface:
		if v.Addr != 0 && len(v.Children) > 0 && v.Children[0].Kind != reflect.Invalid && v.Children[0].Addr != 0 {
			if v.Children[0].OnlyAddr {
				reload()
			}
			if !v.Children[0].OnlyAddr {
				makeRef()
			}
		}
	case reflect.Struct, reflect.Func:
		if v.Len > int64(len(v.Children)) {
			if len(v.Children) == 0 {
				reload()
			} else {
				value = fmt.Sprintf("(loaded %d/%d) ", len(v.Children), v.Len) + value
			}
		}
		if len(v.Children) > 0 {
			makeRef()
		}
	case reflect.Complex64, reflect.Complex128:
		v.Children = complexParts(v)
		if len(v.Children) > 0 {
			makeRef()
		}
	default:
		if len(v.Children) > 0 {
			makeRef()
		}
	}
	if len(value) > maxVarValueLen && opts&showFullValue == 0 && canHaveRef {
		value = value[:maxVarValueLen] + "..."
	}
	return value, ref
}

// complexParts splits a complex value into its real and imaginary parts.
func complexParts(v *api.Variable) []api.Variable {
	bits, kind := 64, reflect.Float64
	if v.Kind == reflect.Complex64 {
		bits, kind = 32, reflect.Float32
	}
	c, err := strconv.ParseComplex(strings.ReplaceAll(v.Value, " ", ""), 2*bits)
	if err != nil {
		return nil
	}
	return []api.Variable{
		{Name: "real", Kind: kind, Value: strconv.FormatFloat(real(c), 'g', -1, bits)},
		{Name: "imaginary", Kind: kind, Value: strconv.FormatFloat(imag(c), 'g', -1, bits)},
	}
}

// constValueString renders a value as dlv's DAP server does for panic and
// throw reasons (go/constant's String: strings quoted, long ones cut).
func constValueString(v *api.Variable) string {
	if v.Kind == reflect.String {
		return constant.MakeString(v.Value).String()
	}
	return v.Value
}

var (
	dlvCmdRe  = regexp.MustCompile(`^\s*dlv\s+\S+`)
	callCmdRe = regexp.MustCompile(`^\s*call\s+\S+`)
)

func (ss *session) onEvaluate(r *dap.EvaluateRequest) {
	ctx := r.Arguments.Context
	showUser := ctx != "watch" && ctx != "repl" && ctx != "hover"
	goid, frame := -1, 0
	if sf, ok := ss.handles.frame(r.Arguments.FrameId); ok {
		goid, frame = sf.goroutineID, sf.frameIndex
	}
	resp := &dap.EvaluateResponse{Response: *ss.newResponse(r.Request)}
	expr := r.Arguments.Expression
	switch {
	case dlvCmdRe.MatchString(expr):
		result, err := ss.delveCmd(goid, frame, strings.Replace(expr, "dlv ", "", 1))
		if err != nil {
			ss.sendErrorWithOpts(r.Request, UnableToRunDlvCommand, "Unable to run dlv command", err.Error(), showUser)
			return
		}
		resp.Body = dap.EvaluateResponseBody{Result: result}
	case callCmdRe.MatchString(expr):
		_, retVars, err := ss.doCall(goid, frame, strings.Replace(expr, "call ", "", 1))
		if err != nil {
			ss.sendErrorWithOpts(r.Request, UnableToEvaluateExpression, "Unable to evaluate expression", err.Error(), showUser)
			return
		}
		if len(retVars) > 0 {
			var strs []string
			for i := range retVars {
				s, _ := ss.convertVariable(&retVars[i], "", skipRef, -1, 0)
				strs = append(strs, s)
			}
			holder := &fqVar{Variable: &api.Variable{Children: retVars}, goroutineID: goid, frameIndex: frame}
			resp.Body = dap.EvaluateResponseBody{Result: strings.Join(strs, ", "), VariablesReference: ss.handles.newVariable(holder)}
		}
	default:
		v, err := ss.eval(int64(goid), frame, expr, ss.loadConfig())
		if err != nil {
			ss.sendErrorWithOpts(r.Request, UnableToEvaluateExpression, "Unable to evaluate expression", err.Error(), showUser)
			return
		}
		switch ctx {
		case "repl", "variables", "hover", "clipboard":
			if v.Kind == reflect.String && v.Unreadable == "" && v.Len > int64(len(v.Value)) {
				cfg := ss.loadConfig()
				cfg.MaxStringLen = maxSingleStringLen
				if more, err := ss.eval(int64(goid), frame, expr, cfg); err == nil {
					v = more
				}
			}
		}
		var opts convertFlags
		if ctx == "clipboard" || ctx == "variables" {
			opts |= showFullValue
		}
		val, ref := ss.convertVariable(v, fmt.Sprintf("(%s)", expr), opts, goid, frame)
		resp.Body = dap.EvaluateResponseBody{Result: val, Type: ss.typeOf(v), VariablesReference: ref, IndexedVariables: indexedCount(v), NamedVariables: namedCount(v)}
	}
	ss.send(resp)
}

// doCall injects a function call on the topmost frame and returns its
// return values.
func (ss *session) doCall(goid, frame int, expr string) (*api.DebuggerState, []api.Variable, error) {
	if frame > 0 {
		return nil, nil, fmt.Errorf("call is only supported with topmost stack frame")
	}
	_, c := ss.debugger()
	k, err := ss.selectThread(goid)
	if err != nil {
		return nil, nil, err
	}
	before, err := c.GetState()
	if err != nil {
		return nil, nil, err
	}
	cfg := ss.loadConfig()
	cfg.MaxStringLen = maxStringLenInCallRetVars
	c.SetReturnValuesLoadConfig(&cfg)
	st, err := c.Call(k.goid, expr, false)
	c.SetReturnValuesLoadConfig(nil)
	if processExited(st, err) {
		ss.outputWG.Wait()
		ss.send(&dap.ExitedEvent{Event: *ss.newEvent("exited"), Body: dap.ExitedEventBody{ExitCode: exitCode(st, err)}})
		ss.send(&dap.TerminatedEvent{Event: *ss.newEvent("terminated")})
		return nil, nil, fmt.Errorf("terminated")
	}
	if err != nil {
		return nil, nil, err
	}
	var retVars []api.Variable
	found := false
	for _, th := range st.Threads {
		if before.SelectedGoroutine != nil && th.GoroutineID == before.SelectedGoroutine.ID &&
			th.Line == before.SelectedGoroutine.CurrentLoc.Line && th.CallReturn {
			found = true
			retVars = th.ReturnValues
			break
		}
	}
	_, perr := parser.ParseExpr(expr)
	isAssignment := perr != nil
	if !found || !isAssignment && retVars == nil {
		// The call stopped elsewhere (a breakpoint in the called function,
		// another goroutine): show that stop.
		ss.handles.reset()
		stopped := &dap.StoppedEvent{Event: *ss.newEvent("stopped")}
		stopped.Body.AllThreadsStopped = true
		stopped.Body.ThreadId = ss.stoppedThread(st)
		stopped.Body.Reason = st.StopReason
		if stopped.Body.Reason == "" {
			stopped.Body.Reason = proc.StopUnknown.String()
		}
		ss.markStopped(false)
		ss.send(stopped)
		return nil, nil, fmt.Errorf("call stopped")
	}
	return st, retVars, nil
}

// evaluateName finds the named child of v and returns the expression that
// reaches it.
func (ss *session) evaluateName(v *fqVar, name string) (string, error) {
	for _, c := range ss.childrenVariables(v) {
		if c.Name == name {
			if c.EvaluateName != "" {
				return c.EvaluateName, nil
			}
			return "", fmt.Errorf("cannot set the variable without evaluate name")
		}
	}
	return "", fmt.Errorf("failed to find the named variable")
}

func (ss *session) onSetVariable(r *dap.SetVariableRequest) {
	a := r.Arguments
	v, ok := ss.handles.variable(a.VariablesReference)
	if !ok {
		ss.sendError(r.Request, UnableToSetVariable, "Unable to lookup variable", fmt.Sprintf("unknown reference %d", a.VariablesReference))
		return
	}
	name, err := ss.evaluateName(v, a.Name)
	if err != nil {
		ss.sendError(r.Request, UnableToSetVariable, "Unable to set variable", err.Error())
		return
	}
	typ, err := ss.assign(r.Request, v.goroutineID, v.frameIndex, name, a.Value)
	if err != nil {
		return
	}
	resp := &dap.SetVariableResponse{Response: *ss.newResponse(r.Request)}
	resp.Body.Value = a.Value
	resp.Body.Type = typ
	ss.send(resp)
	ss.invalidated("all")
}

// onSetExpression assigns to an expression (a watch), as setVariable
// assigns to a variable.
func (ss *session) onSetExpression(r *dap.SetExpressionRequest) {
	goid, frame := -1, 0
	if sf, ok := ss.handles.frame(r.Arguments.FrameId); ok {
		goid, frame = sf.goroutineID, sf.frameIndex
	}
	if _, err := ss.assign(r.Request, goid, frame, r.Arguments.Expression, r.Arguments.Value); err != nil {
		return
	}
	v, err := ss.eval(int64(goid), frame, r.Arguments.Expression, ss.loadConfig())
	if err != nil {
		ss.sendError(r.Request, UnableToSetVariable, "Unable to set expression", err.Error())
		return
	}
	val, ref := ss.convertVariable(v, fmt.Sprintf("(%s)", r.Arguments.Expression), 0, goid, frame)
	ss.send(&dap.SetExpressionResponse{Response: *ss.newResponse(r.Request), Body: dap.SetExpressionResponseBody{
		Value: val, Type: ss.typeOf(v), VariablesReference: ref, IndexedVariables: indexedCount(v), NamedVariables: namedCount(v)}})
	ss.invalidated("all")
}

// assign sets expr to value in a scope; strings are assigned with an
// injected call, as in dlv. On error the error response is sent.
func (ss *session) assign(req dap.Request, goid, frame int, expr, value string) (string, error) {
	target, err := ss.eval(int64(goid), frame, expr, ss.loadConfig())
	if err != nil {
		ss.sendError(req, UnableToSetVariable, "Unable to lookup variable", err.Error())
		return "", err
	}
	if target.Kind == reflect.String {
		st, retVals, err := ss.doCall(goid, frame, fmt.Sprintf("%v=%v", expr, value))
		if err != nil {
			ss.sendError(req, UnableToSetVariable, "Unable to set variable", err.Error())
			return "", err
		}
		if retVals != nil {
			ss.handles.reset()
			stopped := &dap.StoppedEvent{Event: *ss.newEvent("stopped")}
			stopped.Body.AllThreadsStopped = true
			stopped.Body.ThreadId = ss.stoppedThread(st)
			stopped.Body.Reason = st.StopReason
			ss.send(stopped)
			var strs []string
			for i := range retVals {
				s, _ := ss.convertVariable(&retVals[i], "", skipRef, -1, 0)
				strs = append(strs, s)
			}
			msg := "interrupted"
			if len(strs) > 0 {
				msg = "interrupted:" + strings.Join(strs, ", ")
			}
			ss.sendError(req, UnableToSetVariable, "Unable to set variable", msg)
			return "", fmt.Errorf("%s", msg)
		}
	} else if err := ss.setVariable(goid, frame, expr, value); err != nil {
		ss.sendError(req, UnableToSetVariable, "Unable to set variable", err.Error())
		return "", err
	}
	return ss.typeOf(target), nil
}

// setVariable assigns value to expr in frame of the goroutine of DAP
// thread id thread.
func (ss *session) setVariable(thread, frame int, expr, value string) error {
	k, err := ss.selectThread(thread)
	if err != nil {
		return err
	}
	_, c := ss.debugger()
	return c.SetVariable(api.EvalScope{GoroutineID: k.goid, Frame: frame}, expr, value)
}

func (ss *session) invalidated(area dap.InvalidatedAreas) {
	ss.mu.Lock()
	ok := ss.caps.supportsInvalidatedEvent
	ss.mu.Unlock()
	if ok {
		ss.send(&dap.InvalidatedEvent{Event: *ss.newEvent("invalidated"), Body: dap.InvalidatedEventBody{Areas: []dap.InvalidatedAreas{area}}})
	}
}
