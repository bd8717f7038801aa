package oidctest

import (
	"fmt"
	"testing"
)

type recordT struct{ skipped, failed string }

func (r *recordT) Helper()           {}
func (r *recordT) Skip(args ...any)  { r.skipped = fmt.Sprint(args...) }
func (r *recordT) Fatal(args ...any) { r.failed = fmt.Sprint(args...) }

func TestNeedMachine(t *testing.T) {
	for _, tt := range []struct {
		ok, strict      bool
		skipped, failed bool
	}{
		{ok: true},
		{ok: true, strict: true},
		{skipped: true},
		{strict: true, failed: true},
	} {
		if tt.strict {
			t.Setenv(StrictEnv, "1")
		} else {
			t.Setenv(StrictEnv, "")
		}
		var r recordT
		NeedMachine(&r, tt.ok, "root")
		if (r.skipped != "") != tt.skipped || (r.failed != "") != tt.failed {
			t.Errorf("ok %v strict %v: skipped %q failed %q", tt.ok, tt.strict, r.skipped, r.failed)
		}
	}
}
