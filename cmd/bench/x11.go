package main

import (
	"errors"
	"fmt"
	"os/exec"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/damage"
	"github.com/jezek/xgb/xproto"
)

// frames watches the X display for the first frame a process draws.
//
// "First frame" is the first drawing into a mapped top-level window: the
// DAMAGE extension reports it when the GL buffer swap puts pixels there. A
// window being mapped is not enough, since it is still empty then. GLFW
// creates its windows without a background, so the X server itself paints
// nothing that could be mistaken for the program's frame.
type frames struct {
	conn   *xgb.Conn
	events chan xgb.Event
	pidAtm xproto.Atom
}

func openFrames() (*frames, error) {
	c, err := xgb.NewConn()
	if err != nil {
		return nil, fmt.Errorf("connecting to the X display: %w", err)
	}
	if err := damage.Init(c); err != nil {
		c.Close()
		return nil, fmt.Errorf("the X server has no DAMAGE extension: %w", err)
	}
	if _, err := damage.QueryVersion(c, 1, 1).Reply(); err != nil {
		c.Close()
		return nil, fmt.Errorf("DAMAGE version: %w", err)
	}
	root := xproto.Setup(c).DefaultScreen(c).Root
	// Creation and mapping of every top-level window are reported to us.
	if err := xproto.ChangeWindowAttributesChecked(c, root, xproto.CwEventMask, []uint32{xproto.EventMaskSubstructureNotify}).Check(); err != nil {
		c.Close()
		return nil, fmt.Errorf("watching the root window: %w", err)
	}
	f := &frames{conn: c, events: make(chan xgb.Event, 256)}
	if f.pidAtm, err = f.atom("_NET_WM_PID"); err != nil {
		c.Close()
		return nil, err
	}
	go func() {
		for {
			ev, xerr := c.WaitForEvent()
			if ev == nil && xerr == nil {
				close(f.events)
				return
			}
			// Errors are requests about windows that went away meanwhile.
			if ev != nil {
				f.events <- ev
			}
		}
	}()
	return f, nil
}

func (f *frames) Close() { f.conn.Close() }

// drain drops events of earlier runs.
func (f *frames) drain() {
	for {
		select {
		case <-f.events:
		default:
			return
		}
	}
}

// pidOf reads the _NET_WM_PID that GLFW sets on its windows; 0 if none.
func (f *frames) pidOf(w xproto.Window) int {
	r, err := xproto.GetProperty(f.conn, false, w, f.pidAtm, xproto.AtomCardinal, 0, 1).Reply()
	if err != nil || r == nil || r.Format != 32 || len(r.Value) < 4 {
		return 0
	}
	return int(xgb.Get32(r.Value))
}

// launch starts cmd and returns it with how long it took from the exec to
// its first frame. The frame may come from a process it started: ssotray's
// window belongs to its child, ssotray-window. The process is left running.
func (f *frames) launch(cmd *exec.Cmd, timeout time.Duration) (*proc, time.Duration, error) {
	var p *proc
	start := func() (<-chan struct{}, error) {
		var err error
		if p, err = startProc(cmd); err != nil {
			return nil, err
		}
		return p.done, nil
	}
	d, _, err := f.first(start, func(pid int) bool { return descends(pid, p.pid()) }, timeout)
	switch {
	case err != nil && p != nil:
		p.stop()
		return nil, 0, fmt.Errorf("%w; its output:\n%s", err, p.output())
	case err != nil:
		return nil, 0, err
	}
	return p, d, nil
}

// first runs trigger and waits for the first frame in a window of a
// process that owns accepts; it returns the time from the trigger to that
// frame, and the window. trigger returns a channel closed when waiting
// is pointless (the program it started has exited).
func (f *frames) first(trigger func() (<-chan struct{}, error), owns func(pid int) bool, timeout time.Duration) (time.Duration, xproto.Window, error) {
	f.drain()
	type win struct {
		mapped bool
		pid    int
		dmg    damage.Damage
	}
	wins := map[xproto.Window]*win{}
	defer func() {
		for _, w := range wins {
			damage.Destroy(f.conn, w.dmg)
		}
	}()
	start := time.Now()
	ended, err := trigger()
	if err != nil {
		return 0, 0, err
	}
	deadline := time.After(timeout)
	for {
		select {
		case <-deadline:
			return 0, 0, fmt.Errorf("no frame within %s", timeout)
		case <-ended:
			return 0, 0, errors.New("the program exited before it showed a window")
		case ev, ok := <-f.events:
			if !ok {
				return 0, 0, errors.New("the X connection closed")
			}
			switch e := ev.(type) {
			case xproto.CreateNotifyEvent:
				// The damage object must exist before the first swap, so it is
				// made for every new window, before we know whose it is.
				id, err := damage.NewDamageId(f.conn)
				if err != nil {
					return 0, 0, err
				}
				damage.Create(f.conn, id, xproto.Drawable(e.Window), damage.ReportLevelNonEmpty)
				wins[e.Window] = &win{dmg: id}
			case xproto.MapNotifyEvent:
				if w := wins[e.Window]; w != nil {
					w.mapped = true
					w.pid = f.pidOf(e.Window)
				}
			case damage.NotifyEvent:
				at := time.Since(start)
				w := wins[xproto.Window(e.Drawable)]
				if w != nil && w.mapped && (w.pid == 0 || owns(w.pid)) {
					return at, xproto.Window(e.Drawable), nil
				}
			}
		}
	}
}

// close asks window w to close as a window manager's close button does
// (WM_DELETE_WINDOW), which GLFW hands to the program as a close request.
func (f *frames) close(w xproto.Window) error {
	protocols, err := f.atom("WM_PROTOCOLS")
	if err != nil {
		return err
	}
	del, err := f.atom("WM_DELETE_WINDOW")
	if err != nil {
		return err
	}
	ev := xproto.ClientMessageEvent{
		Format: 32, Window: w, Type: protocols,
		Data: xproto.ClientMessageDataUnionData32New([]uint32{uint32(del), uint32(xproto.TimeCurrentTime), 0, 0, 0}),
	}
	return xproto.SendEventChecked(f.conn, false, w, xproto.EventMaskNoEvent, string(ev.Bytes())).Check()
}

func (f *frames) atom(name string) (xproto.Atom, error) {
	a, err := xproto.InternAtom(f.conn, false, uint16(len(name)), name).Reply()
	if err != nil {
		return 0, fmt.Errorf("atom %s: %w", name, err)
	}
	return a.Atom, nil
}
