// Package proctree follows the processes a kiosk's browsers start, as whole
// trees, and ends them: a browser whose launcher exits must not leave its
// windows open for the next person. A process is named by its pid and its
// start time, so a pid the system has given to another program since is
// never taken for it.
package proctree

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Proc names one process: its pid and start time (clock ticks after boot,
// /proc/PID/stat field 22), so a recycled pid is a different Proc.
type Proc struct {
	PID   int
	Start uint64
}

// Info is one row of the process table.
type Info struct {
	Proc
	PPID, PGID int
	Zombie     bool // ended, waiting to be reaped: nothing of it runs
}

// Table lists the processes of the machine.
type Table interface {
	Processes() ([]Info, error)
}

// Signal is what Killer sends.
type Signal int

const (
	Term Signal = iota // the polite ask
	Kill               // no refusal possible
)

// Killer signals processes and reaps the ended ones this process adopted.
type Killer interface {
	Signal(pid int, s Signal) error
	// Reap collects an ended child (an orphan adopted as child subreaper),
	// so it does not linger as a zombie.
	Reap(pid int)
}

// Tracker follows the trees of the processes given to Add. A process
// belongs to them when it is
//   - a root (given to Add) or a process seen in a tree before, by pid and
//     start time;
//   - in the process group of a root (roots are started as group leaders),
//     started after it; a group outlives its leader;
//   - the child of a process that belongs;
//   - with Self set (this process is the child subreaper, so orphans of the
//     trees are re-parented to it): a child of Self, other than a root,
//     started after the oldest root.
//
// Scan (often, while trees live, see Watch) remembers every process it
// finds, so a grandchild is still known after its parent exits.
type Tracker struct {
	Table Table
	Kill  Killer
	// Self is this process's pid when it is the child subreaper; 0 otherwise.
	Self int
	// Record, when set, is written with what is tracked, so that the next
	// start can end what a crash left (CloseLeftovers).
	Record *Record
	// Sleep waits between looks at the table (nil: time.Sleep); Now is the
	// clock (nil: time.Now).
	Sleep func(time.Duration)
	Now   func() time.Time

	mu    sync.Mutex
	roots []Proc
	known map[Proc]bool
	saved []Proc // what Record holds
	// emptied are roots whose process group was seen empty: its number is
	// then free for another process to lead a group of its own.
	emptied map[Proc]bool
}

// ErrGone means the process to track has ended already.
var ErrGone = errors.New("the process has ended already")

// Add tracks the tree of pid, a process just started as its group's leader.
func (t *Tracker) Add(pid int) error {
	procs, err := t.Table.Processes()
	if err != nil {
		return err
	}
	for _, p := range procs {
		if p.PID == pid {
			t.mu.Lock()
			t.roots = append(t.roots, p.Proc)
			t.mu.Unlock()
			_, err := t.Scan()
			return err
		}
	}
	return ErrGone
}

// Scan finds the live processes of the trees, remembers them, and forgets
// roots whose trees are empty.
func (t *Tracker) Scan() ([]Info, error) {
	procs, err := t.Table.Processes()
	if err != nil {
		return nil, fmt.Errorf("reading the process table: %w", err)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	members := t.membersLocked(procs)
	if t.known == nil {
		t.known = map[Proc]bool{}
	}
	clear(t.known)
	for _, m := range members {
		t.known[m.Proc] = true
	}
	t.roots = slices.DeleteFunc(t.roots, func(r Proc) bool {
		if t.known[r] {
			return false
		}
		return !slices.ContainsFunc(members, func(m Info) bool { return m.PGID == r.PID })
	})
	t.saveLocked()
	return members, nil
}

// membersLocked applies the rules of Tracker to one look at the table.
func (t *Tracker) membersLocked(procs []Info) []Info {
	byPID := make(map[int]Info, len(procs))
	for _, p := range procs {
		byPID[p.PID] = p
	}
	isRoot := map[int]bool{}
	var oldest uint64
	for i, r := range t.roots {
		isRoot[r.PID] = true
		if i == 0 || r.Start < oldest {
			oldest = r.Start
		}
	}
	for _, r := range t.roots {
		if !slices.ContainsFunc(procs, func(p Info) bool { return p.PGID == r.PID }) {
			if t.emptied == nil {
				t.emptied = map[Proc]bool{}
			}
			t.emptied[r] = true
		}
	}
	in := map[int]bool{}
	for _, p := range procs {
		switch {
		case t.known[p.Proc] || slices.Contains(t.roots, p.Proc):
			in[p.PID] = true
		case t.Self != 0 && p.PPID == t.Self && !isRoot[p.PID] && len(t.roots) > 0 && p.Start >= oldest:
			in[p.PID] = true
		default:
			for _, r := range t.roots {
				// Linux keeps a group's number from any new process while
				// the group has a member, so a group seen non-empty at every
				// look since its leader started is still the browser's, with
				// the leader gone or not; once seen empty, the number may
				// lead another program's group.
				leader, alive := byPID[r.PID]
				if p.PGID == r.PID && p.Start >= r.Start && !t.emptied[r] && (!alive || leader.Start == r.Start) {
					in[p.PID] = true
				}
			}
		}
	}
	// Children of members, to the bottom (a child starts after its parent,
	// so start order settles most in one pass; loop until nothing changes).
	for changed := true; changed; {
		changed = false
		for _, p := range procs {
			if !in[p.PID] && in[p.PPID] && p.Start >= byPID[p.PPID].Start {
				in[p.PID], changed = true, true
			}
		}
	}
	var out []Info
	for _, p := range procs {
		if in[p.PID] {
			out = append(out, p)
		}
	}
	return out
}

// saveLocked writes the roots and the known processes to Record when they
// changed.
func (t *Tracker) saveLocked() {
	if t.Record == nil {
		return
	}
	all := slices.Clone(t.roots)
	for p := range t.known {
		if !slices.Contains(all, p) {
			all = append(all, p)
		}
	}
	slices.SortFunc(all, func(a, b Proc) int { return a.PID - b.PID })
	if slices.Equal(all, t.saved) {
		return
	}
	if err := t.Record.Save(t.roots, all); err == nil {
		t.saved = all
	}
}

// Live reports whether any tracked process still runs.
func (t *Tracker) Live() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.roots) > 0 || len(t.known) > 0
}

// How CloseAll ends the trees: a polite ask, then no choice; looking at the
// table this often meanwhile.
const (
	TermGrace = time.Second
	CloseWait = 2500 * time.Millisecond
	closePoll = 50 * time.Millisecond
)

// CloseAll ends every process of the trees: SIGTERM, then SIGKILL for what
// is left after TermGrace, and again for any process a tree starts
// meanwhile, until none runs or CloseWait has passed. It returns an error
// naming what still runs then.
func (t *Tracker) CloseAll() error {
	now, sleep := t.Now, t.Sleep
	if now == nil {
		now = time.Now
	}
	if sleep == nil {
		sleep = time.Sleep
	}
	start := now()
	termed := map[Proc]bool{}
	for {
		members, err := t.Scan()
		if err != nil {
			return err
		}
		hard := now().Sub(start) >= TermGrace
		var running []Info
		for _, m := range members {
			if m.Zombie {
				if t.Self != 0 && m.PPID == t.Self && !t.isRoot(m.Proc) {
					t.Kill.Reap(m.PID) // an adopted orphan; roots are reaped by their starter
				}
				continue
			}
			running = append(running, m)
			switch {
			case hard:
				_ = t.Kill.Signal(m.PID, Kill)
			case !termed[m.Proc]:
				termed[m.Proc] = true
				_ = t.Kill.Signal(m.PID, Term)
			}
		}
		if len(running) == 0 {
			t.mu.Lock()
			t.roots, t.known = nil, map[Proc]bool{}
			t.saveLocked()
			t.mu.Unlock()
			return nil
		}
		if now().Sub(start) >= CloseWait {
			pids := make([]string, len(running))
			for i, m := range running {
				pids[i] = strconv.Itoa(m.PID)
			}
			return fmt.Errorf("browser processes %s still run %s after they were told to end", strings.Join(pids, ", "), CloseWait)
		}
		sleep(closePoll)
	}
}

func (t *Tracker) isRoot(p Proc) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Contains(t.roots, p)
}

// CloseLeftovers ends what the Record names from an earlier run that did
// not close its browsers (a crash, a power cut of the session): the
// recorded processes still alive with the same start time, and their
// groups and children. Call it before tracking anything.
func (t *Tracker) CloseLeftovers() error {
	if t.Record == nil {
		return nil
	}
	roots, all, err := t.Record.Load()
	if err != nil {
		return err
	}
	t.mu.Lock()
	t.roots = roots
	t.known = map[Proc]bool{}
	for _, p := range all {
		t.known[p] = true
	}
	t.saved = nil
	self := t.Self
	t.Self = 0 // the old run's orphans are not children of this one
	t.mu.Unlock()
	defer func() { t.mu.Lock(); t.Self = self; t.mu.Unlock() }()
	return t.CloseAll()
}

// Record is the file that names the tracked processes: the boot it was
// written in ("boot ID"), then one line per process, "PID START", roots
// marked with a leading "root ". It lives in the user's private directory
// (app/rundir), never a shared one: what it names gets killed.
type Record struct {
	Path string
	// Boot names this boot (BootID); a record of another boot names
	// nothing, as pids and start times start again at every boot.
	Boot string
}

// RecordFile is the record's name in the private directory.
const RecordFile = "ssotray-kiosk-browsers"

// BootID names the running boot (Linux: /proc/sys/kernel/random/boot_id).
func BootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// Save replaces the record with roots and all (which includes the roots).
func (r *Record) Save(roots, all []Proc) error {
	dir := filepath.Dir(r.Path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create %s to record the kiosk's browsers: %w", dir, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "boot %s\n", r.Boot)
	for _, p := range all {
		if slices.Contains(roots, p) {
			b.WriteString("root ")
		}
		fmt.Fprintf(&b, "%d %d\n", p.PID, p.Start)
	}
	tmp, err := os.CreateTemp(dir, "."+RecordFile+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), r.Path) // CreateTemp made it 0600
}

// Load reads the record; a missing one, one of another boot, and one that
// is not this user's own regular 0600 file (a link, another's file) name
// nothing.
func (r *Record) Load() (roots, all []Proc, err error) {
	data, err := readOwn(r.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	lines := strings.Split(string(data), "\n")
	if r.Boot == "" || lines[0] != "boot "+r.Boot {
		return nil, nil, nil
	}
	for _, line := range lines[1:] {
		f := strings.Fields(line)
		root := len(f) == 3 && f[0] == "root"
		if root {
			f = f[1:]
		}
		if len(f) != 2 {
			continue
		}
		pid, err1 := strconv.Atoi(f[0])
		start, err2 := strconv.ParseUint(f[1], 10, 64)
		if err1 != nil || err2 != nil || pid <= 1 {
			continue
		}
		p := Proc{PID: pid, Start: start}
		all = append(all, p)
		if root {
			roots = append(roots, p)
		}
	}
	return roots, all, nil
}
