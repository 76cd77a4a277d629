package rpc_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"

	"github.com/go-delve/delve/service/rpc2"

	"github.com/dlv-listen/dlv-listen/internal/testprog"
	"github.com/dlv-listen/dlv-listen/service/jobapi"
)

// TestJobStateJob: JobState answers the job besides the process, with
// the field names on the wire.
func TestJobStateJob(t *testing.T) {
	job := testprog.Start(t, "counter")
	s := attach(t, job)
	var raw json.RawMessage
	if err := s.c.CallAPI("JobState", jobapi.JobStateIn{}, &raw); err != nil {
		t.Fatalf("JobState: %v", err)
	}
	var out struct {
		JobState struct {
			Pid int
			Job struct {
				Pgid      int
				State     string
				Processes []map[string]any
			}
		}
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	pgid, _ := syscall.Getpgid(job.Pid)
	j := out.JobState.Job
	if j.Pgid != pgid || j.State != "running" || len(j.Processes) != 1 {
		t.Fatalf("JobState %s: want job %d running with one process", raw, pgid)
	}
	p := j.Processes[0]
	if p["Pid"] != float64(job.Pid) || p["State"] != "running" || p["Text"] != fmt.Sprintf("process %d is running (no job-control stop)", job.Pid) {
		t.Errorf("process %v", p)
	}
	if _, ok := p["Signal"]; ok {
		t.Errorf("process %v: no Signal while running", p)
	}
}

// TestFollowExecBadRegexRPC: FollowExec with an invalid regex is one error
// naming it, and follow-exec stays off.
func TestFollowExecBadRegexRPC(t *testing.T) {
	s := attach(t, testprog.Start(t, "counter"))
	err := s.c.CallAPI("FollowExec", rpc2.FollowExecIn{Enable: true, Regex: "(x"}, &rpc2.FollowExecOut{})
	if err == nil || !strings.Contains(err.Error(), `invalid follow-exec regex "(x"`) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("FollowExec with a bad regex: %v", err)
	}
	if s.c.FollowExecEnabled() {
		t.Errorf("follow-exec on after a refused regex")
	}
}
