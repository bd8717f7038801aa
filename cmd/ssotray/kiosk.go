package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"runtime"

	"github.com/ssotray/ssotray/app/launch"
	"github.com/ssotray/ssotray/app/proctree"
	"github.com/ssotray/ssotray/app/rundir"
)

// kioskBrowser is the browser of a kiosk: every process it starts is
// followed as a tree (with ssotray as the child subreaper, so orphans stay
// its descendants) and recorded in the user's runtime directory; what a
// crashed kiosk left running is closed first.
//
// Elsewhere than Linux (no /proc) the browser's own process group is ended,
// as before.
func kioskBrowser(command []string, getenv func(string) string, logger *slog.Logger) *launch.Browser {
	if runtime.GOOS != "linux" {
		return launch.NewBrowser(command)
	}
	t := &proctree.Tracker{Table: proctree.ProcFS{}, Kill: proctree.OS{}}
	if err := proctree.BecomeSubreaper(); err != nil {
		logger.Warn("kiosk: browsers are followed by process group and parent only", "err", err)
	} else {
		t.Self = os.Getpid()
	}
	if dir, err := rundir.Default(getenv).Find(); err != nil {
		logger.Warn("kiosk: started browsers are not recorded", "err", err)
	} else {
		t.Record = &proctree.Record{Path: filepath.Join(dir, proctree.RecordFile), Boot: proctree.BootID()}
	}
	if err := t.CloseLeftovers(); err != nil {
		logger.Error("kiosk: closing the browsers an earlier run left", "err", err)
	}
	b := launch.NewBrowser(command)
	b.Tracker = t
	return b
}
