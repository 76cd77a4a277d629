package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// serverFlags are dlv's flags of the headless server, with dlv's names,
// defaults and meaning.
type serverFlags struct {
	listen          string
	headless        bool
	acceptMulti     bool
	apiVersion      int
	onlySameUser    bool
	continueOnStart bool
}

func addServerFlags(pf *pflag.FlagSet, f *serverFlags) {
	pf.StringVarP(&f.listen, "listen", "l", "127.0.0.1:0", "Debugging server listen address. Prefix with 'unix:' to use a unix domain socket.")
	pf.BoolVar(&f.headless, "headless", false, "Run debug server only, in headless mode. Server will accept both JSON-RPC or DAP client connections.")
	pf.BoolVar(&f.acceptMulti, "accept-multiclient", false, "Allows a headless server to accept multiple client connections via JSON-RPC or DAP.")
	pf.IntVar(&f.apiVersion, "api-version", 2, "Selects JSON-RPC API version when headless. The only valid value is 2. Can be reset via RPCServer.SetApiVersion. See Documentation/api/json-rpc/README.md.")
	pf.BoolVar(&f.onlySameUser, "only-same-user", true, "Only connections from the same user that started this instance of dlv-listen are allowed to connect.")
}

// addContinueFlag adds --continue to a command that starts a session, as
// dlv's attach, debug, exec and test have it.
func addContinueFlag(cmd *cobra.Command, f *serverFlags) {
	cmd.Flags().BoolVar(&f.continueOnStart, "continue", false, "Continue the debugged process on start.")
}

// followFlags are the flags that follow exec'd children from the start
// (what `target follow-exec -on [regex]` does later), and attach's --job.
type followFlags struct {
	on    bool
	regex string
	job   bool
}

// addFollowExecFlags adds --follow-exec and --follow-exec-regex to a
// command that starts a session.
func addFollowExecFlags(cmd *cobra.Command, f *followFlags) {
	cmd.Flags().BoolVar(&f.on, "follow-exec", false, "Follow child processes: a child that execs a Go program becomes a new target (as 'target follow-exec -on').")
	cmd.Flags().StringVar(&f.regex, "follow-exec-regex", "", "Follow only the children whose command line matches this regular expression (implies --follow-exec).")
}
