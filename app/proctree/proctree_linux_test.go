package proctree

import (
	"os"
	"slices"
	"testing"
)

func TestProcFSSeesThisProcess(t *testing.T) {
	procs, err := ProcFS{}.Processes()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(procs, func(p Info) bool { return p.PID == os.Getpid() })
	if i < 0 || procs[i].PPID != os.Getppid() || procs[i].Start == 0 {
		t.Errorf("this process in the table: %+v", procs[max(i, 0)])
	}
}
