package proctree

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeOS is a process table with a killer acting on it: Term ends a
// process unless it ignores the ask, Kill ends it unless it cannot be
// killed (stuck in the kernel).
type fakeOS struct {
	mu       sync.Mutex
	procs    []Info
	deaf     map[int]bool // ignore Term
	unending map[int]bool // ignore Kill too
	signals  []string
	// onSignal runs after each signal (a tree that starts a process meanwhile).
	onSignal func(f *fakeOS)
	reaped   []int
}

func (f *fakeOS) Processes() ([]Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.procs), nil
}

func (f *fakeOS) Signal(pid int, s Signal) error {
	f.mu.Lock()
	name := map[Signal]string{Term: "TERM", Kill: "KILL"}[s]
	f.signals = append(f.signals, name+" "+itoa(pid))
	if !(s == Term && f.deaf[pid]) && !f.unending[pid] {
		f.procs = slices.DeleteFunc(f.procs, func(p Info) bool { return p.PID == pid })
	}
	hook := f.onSignal
	f.onSignal = nil
	f.mu.Unlock()
	if hook != nil {
		f.mu.Lock()
		hook(f)
		f.mu.Unlock()
	}
	return nil
}

func (f *fakeOS) Reap(pid int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.reaped = append(f.reaped, pid)
	f.procs = slices.DeleteFunc(f.procs, func(p Info) bool { return p.PID == pid })
}

func (f *fakeOS) alive() []int {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []int
	for _, p := range f.procs {
		if !p.Zombie {
			out = append(out, p.PID)
		}
	}
	slices.Sort(out)
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

// fakeClock moves only when the Tracker sleeps.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time        { return c.t }
func (c *fakeClock) sleep(d time.Duration) { c.t = c.t.Add(d) }
func proc(pid, ppid, pgid int, start uint64) Info {
	return Info{Proc: Proc{PID: pid, Start: start}, PPID: ppid, PGID: pgid}
}

const self = 10 // ssotray, the child subreaper

func TestCloseAll(t *testing.T) {
	unrelated := []Info{proc(1, 0, 1, 1), proc(self, 1, self, 2), proc(50, 1, 50, 3)}
	tests := []struct {
		name string
		// before is the table when the launcher (pid 100) is added; after
		// is the table at CloseAll.
		before, after []Info
		self          int
		deaf          []int
		unending      []int
		// seen: a Scan between before and after (the Watch loop); between,
		// when set, is the table at that Scan.
		seen      bool
		between   []Info
		wantAlive []int
		wantErr   string
		maxTime   time.Duration
	}{{
		name:   "a launcher that exited leaves a child in its group",
		before: []Info{proc(100, self, 100, 10), proc(101, 100, 100, 11)},
		after:  []Info{proc(101, self, 100, 11)},
		self:   self,
	}, {
		name:   "a child in a session of its own, seen before its parent exited, re-parented to init",
		before: []Info{proc(100, self, 100, 10), proc(101, 100, 101, 11)},
		after:  []Info{proc(101, 1, 101, 11)},
		seen:   true,
	}, {
		name:   "a child in a session of its own, never seen, adopted by the subreaper",
		before: []Info{proc(100, self, 100, 10)},
		after:  []Info{proc(101, self, 101, 11), proc(102, 101, 101, 12)},
		self:   self,
	}, {
		name:      "without the subreaper, a child never seen outside the group is not guessed at",
		before:    []Info{proc(100, self, 100, 10)},
		after:     []Info{proc(101, 1, 101, 11)},
		wantAlive: []int{101},
	}, {
		name:   "without the subreaper, a group outlives its leader: the member left is still the browser's",
		before: []Info{proc(100, self, 100, 10)},
		after:  []Info{proc(101, 1, 100, 11)},
	}, {
		// The group was seen empty: its number was free, and a process that
		// took it may have left a group of its own under the same number.
		name:      "a group seen empty is not the browser's any more",
		before:    []Info{proc(100, self, 100, 10)},
		between:   []Info{},
		after:     []Info{proc(104, 1, 100, 50)},
		wantAlive: []int{104},
	}, {
		name:      "a recycled pid is another program",
		before:    []Info{proc(100, self, 100, 10), proc(101, 100, 101, 11)},
		after:     []Info{proc(101, 1, 101, 99)},
		seen:      true,
		wantAlive: []int{101},
	}, {
		name:      "a group whose leader's pid went to another program is not the browser's",
		before:    []Info{proc(100, self, 100, 10)},
		after:     []Info{proc(100, 1, 100, 80), proc(103, 100, 100, 81)},
		wantAlive: []int{100, 103},
	}, {
		name:    "a process that ignores SIGTERM gets SIGKILL after the grace",
		before:  []Info{proc(100, self, 100, 10), proc(101, 100, 100, 11)},
		after:   []Info{proc(100, self, 100, 10), proc(101, 100, 100, 11)},
		deaf:    []int{101},
		maxTime: TermGrace + 2*closePoll,
	}, {
		name:      "a process that cannot be killed: the wait is bounded",
		before:    []Info{proc(100, self, 100, 10)},
		after:     []Info{proc(100, self, 100, 10)},
		unending:  []int{100},
		wantAlive: []int{100},
		wantErr:   "browser processes 100 still run",
		maxTime:   CloseWait + closePoll,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeOS{procs: append(slices.Clone(unrelated), tt.before...), deaf: map[int]bool{}, unending: map[int]bool{}}
			for _, p := range tt.deaf {
				f.deaf[p] = true
			}
			for _, p := range tt.unending {
				f.unending[p] = true
			}
			clk := &fakeClock{t: time.Unix(0, 0)}
			tr := &Tracker{Table: f, Kill: f, Self: tt.self, Now: clk.now, Sleep: clk.sleep}
			if err := tr.Add(100); err != nil {
				t.Fatal(err)
			}
			if tt.between != nil {
				f.procs = append(slices.Clone(unrelated), tt.between...)
			}
			if tt.seen || tt.between != nil {
				if _, err := tr.Scan(); err != nil {
					t.Fatal(err)
				}
			}
			f.procs = append(slices.Clone(unrelated), tt.after...)
			err := tr.CloseAll()
			if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Errorf("CloseAll: %v, want error %q", err, tt.wantErr)
			}
			want := []int{1, self, 50}
			want = append(want, tt.wantAlive...)
			slices.Sort(want)
			if got := f.alive(); !slices.Equal(got, want) {
				t.Errorf("alive after CloseAll: %v, want %v (signals %v)", got, want, f.signals)
			}
			if tt.maxTime > 0 && clk.t.Sub(time.Unix(0, 0)) > tt.maxTime {
				t.Errorf("CloseAll took %s, want at most %s", clk.t.Sub(time.Unix(0, 0)), tt.maxTime)
			}
			for _, s := range f.signals {
				if strings.HasSuffix(s, " 50") || strings.HasSuffix(s, " 1") || strings.HasSuffix(s, " "+itoa(self)) {
					t.Errorf("signalled an unrelated process: %s", s)
				}
			}
		})
	}
}

// A tree that starts a process while it is being closed: that one is
// ended too, and a zombie adopted by the subreaper is reaped.
func TestCloseAllCatchesLateChildrenAndReapsOrphans(t *testing.T) {
	f := &fakeOS{procs: []Info{proc(self, 1, self, 2), proc(100, self, 100, 10)}}
	f.onSignal = func(f *fakeOS) {
		f.procs = append(f.procs, proc(104, 100, 104, 14))
		z := proc(105, self, 105, 15)
		z.Zombie = true
		f.procs = append(f.procs, z)
	}
	clk := &fakeClock{t: time.Unix(0, 0)}
	tr := &Tracker{Table: f, Kill: f, Self: self, Now: clk.now, Sleep: clk.sleep}
	if err := tr.Add(100); err != nil {
		t.Fatal(err)
	}
	// The launcher is still there when the child appears: TERM does not
	// end it this time (it is deaf), so its child is found as its child.
	f.deaf = map[int]bool{100: true}
	if err := tr.CloseAll(); err != nil {
		t.Fatal(err)
	}
	if got := f.alive(); !slices.Equal(got, []int{self}) {
		t.Errorf("alive: %v (signals %v)", got, f.signals)
	}
	if !slices.Equal(f.reaped, []int{105}) {
		t.Errorf("reaped %v, want the adopted zombie 105", f.reaped)
	}
	if tr.Live() {
		t.Error("the tracker still tracks something after everything ended")
	}
}

func TestRecordAndLeftovers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	rec := &Record{Path: filepath.Join(dir, "ssotray", RecordFile), Boot: "boot-1"}
	// The run that crashes: a launcher and an orphan of another session.
	f := &fakeOS{procs: []Info{proc(self, 1, self, 2), proc(100, self, 100, 10), proc(101, 100, 101, 11)}}
	tr := &Tracker{Table: f, Kill: f, Self: self, Record: rec}
	if err := tr.Add(100); err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]os.FileMode{rec.Path: 0o600, filepath.Dir(rec.Path): 0o700} {
		if info, err := os.Stat(path); err != nil || info.Mode().Perm() != want {
			t.Errorf("%s: %v, mode %v, want %v", path, err, info.Mode().Perm(), want)
		}
	}
	if data, _ := os.ReadFile(rec.Path); string(data) != "boot boot-1\nroot 100 10\n101 11\n" {
		t.Errorf("record holds %q", data)
	}

	// After the crash: the launcher's pid went to another program, the
	// orphan lives on under init, a new group member appeared unseen.
	f2 := &fakeOS{procs: []Info{proc(20, 1, 20, 2), proc(100, 1, 100, 70), proc(101, 1, 101, 11), proc(102, 1, 100, 71)}}
	clk := &fakeClock{t: time.Unix(0, 0)}
	// A record of another boot names nothing: pids start again at a boot.
	other := &Tracker{Table: f2, Kill: f2, Self: 20, Record: &Record{Path: rec.Path, Boot: "boot-2"}, Now: clk.now, Sleep: clk.sleep}
	if err := other.CloseLeftovers(); err != nil || !slices.Equal(f2.alive(), []int{20, 100, 101, 102}) {
		t.Errorf("a record of another boot: %v, alive %v", err, f2.alive())
	}
	next := &Tracker{Table: f2, Kill: f2, Self: 20, Record: &Record{Path: rec.Path, Boot: "boot-1"}, Now: clk.now, Sleep: clk.sleep}
	if err := next.CloseLeftovers(); err != nil {
		t.Fatal(err)
	}
	if got := f2.alive(); !slices.Equal(got, []int{20, 100, 102}) {
		t.Errorf("alive after CloseLeftovers: %v, want the new start and the recycled pid's group (signals %v)", got, f2.signals)
	}
	if data, _ := os.ReadFile(rec.Path); string(data) != "boot boot-1\n" {
		t.Errorf("the record still names %q", data)
	}
	// A record that is not this user's own 0600 file names nothing: what
	// it names would be killed.
	if err := os.Chmod(rec.Path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := (&Record{Path: rec.Path, Boot: "boot-1"}).Load(); err == nil {
		t.Error("a record others can read (or that another wrote) was taken")
	}
	link := filepath.Join(dir, "link")
	if err := os.Symlink(rec.Path, link); err != nil {
		t.Fatal(err)
	}
	if _, _, err := (&Record{Path: link, Boot: "boot-1"}).Load(); err == nil {
		t.Error("a record reached through a link was taken")
	}
	// No record at all is nothing to do.
	if err := (&Tracker{Table: f2, Kill: f2, Record: &Record{Path: filepath.Join(dir, "none")}}).CloseLeftovers(); err != nil {
		t.Error(err)
	}
}

func TestParseStat(t *testing.T) {
	tests := []struct {
		stat string
		want Info
		ok   bool
	}{
		{"4242 (sleep) S 4000 4001 4001 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 987654 8000000 200", Info{Proc: Proc{4242, 987654}, PPID: 4000, PGID: 4001}, true},
		{"7 (a) b (c)) Z 1 7 7 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 55 0 0", Info{Proc: Proc{7, 55}, PPID: 1, PGID: 7, Zombie: true}, true},
		{"8 (short) S 1 2", Info{}, false},
		{"9 no name", Info{}, false},
	}
	for _, tt := range tests {
		pid := tt.want.PID
		if !tt.ok {
			pid = 8
		}
		got, err := ParseStat(pid, tt.stat)
		if (err == nil) != tt.ok || (tt.ok && got != tt.want) {
			t.Errorf("ParseStat(%q) = %+v, %v; want %+v", tt.stat, got, err, tt.want)
		}
	}
}
