package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/feepos/feepos/bench/internal/sysinfo"
	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/concert"
	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/pos/zvt"
)

// The terminal manager (internal/terminals, issue 9) against the bare
// drivers, in one process, on the same scripted terminals:
//
//   - manager: 16 terminals (by default 8 ZVT and 8 Concert, the scripted
//     terminals in child processes), each paying in a loop. The overhead
//     is timed as for the bare driver (latency.go): from the terminal's
//     write(2) of its result frame to the caller holding the result, here
//     after Manager.Charge returned. Each round runs three phases, in an
//     order that alternates from round to round: the bare drivers (Pay,
//     Confirm), the manager (Charge, Confirm) and the manager with the
//     caller recording the payment first (Charge, a SQLite transaction
//     with Tx.MarkAttemptRecorded, Confirm), as the payment workflow
//     will.
//   - manager-idle: resident memory and CPU of the process running the
//     manager with 16 idle terminals, the health polls at their default
//     interval and off, each in a fresh process, interleaved.

// stampConn is a terminal's link that notes when a read last handed the
// driver bytes: the moment the driver has the result frame's last byte,
// in this process. From there to the caller holding the result is the
// driver's own time, and through the manager the driver's and the
// manager's: the pseudo-terminal's delivery and the wake-up of the
// process, which dominate the tails on a shared VM, are left out.
type stampConn struct {
	transport.Conn
	last atomic.Int64 // mono() of the last read that returned bytes
}

func (s *stampConn) note(n int) {
	if n > 0 {
		s.last.Store(mono())
	}
}

func (s *stampConn) ReadTimeout(p []byte, timeout time.Duration) (int, error) {
	n, err := s.Conn.ReadTimeout(p, timeout)
	s.note(n)
	return n, err
}

func (s *stampConn) ReadWait(ctx context.Context, p []byte, timeout time.Duration, wake <-chan struct{}) (int, error) {
	n, err := s.Conn.ReadWait(ctx, p, timeout, wake)
	s.note(n)
	return n, err
}

func (s *stampConn) ReadByteTimeout(timeout time.Duration) (byte, error) {
	b, err := s.Conn.ReadByteTimeout(timeout)
	if err == nil {
		s.note(1)
	}
	return b, err
}

// mgrTerm is one scripted terminal of the fleet.
type mgrTerm struct {
	id    string
	proto string
	path  string
	child *ptChild
	index int // in its child
	used  int // stamps of the child already taken
	conn  atomic.Pointer[stampConn]
	wire  atomic.Int64 // mono() when the manager's wire tap last returned (the driver's trace hook)
}

// open opens t's serial line, stamped.
func (t *mgrTerm) open() (*stampConn, error) {
	cfg := transport.ZVTSerial(t.path)
	if t.proto == "concert" {
		cfg = transport.ConcertSerial(t.path)
	}
	conn, err := transport.OpenSerial(cfg)
	if err != nil {
		return nil, err
	}
	sc := &stampConn{Conn: conn}
	t.conn.Store(sc)
	return sc, nil
}

// startFleet starts the scripted terminals: nz ZVT and nc Concert, each
// protocol in a child process of its own.
func startFleet(nz, nc int, zhold, chold Hold) ([]*mgrTerm, func(), error) {
	var terms []*mgrTerm
	var children []*ptChild
	stop := func() {
		for _, c := range children {
			c.stop()
		}
	}
	for _, g := range []struct {
		proto string
		n     int
		hold  Hold
	}{{"zvt", nz, zhold}, {"concert", nc, chold}} {
		if g.n == 0 {
			continue
		}
		c, err := startPTChild(g.proto, g.n, g.hold, false)
		if err != nil {
			stop()
			return nil, nil, err
		}
		children = append(children, c)
		for i, p := range c.paths {
			prefix := "Z"
			if g.proto == "concert" {
				prefix = "C"
			}
			terms = append(terms, &mgrTerm{id: prefix + strconv.Itoa(i+1), proto: g.proto, path: p, child: c, index: i})
		}
	}
	return terms, stop, nil
}

// newStamps returns the result stamps terminal t wrote since the last call.
func (t *mgrTerm) newStamps() ([]Stamp, error) {
	all, err := t.child.dump(t.index)
	if err != nil {
		return nil, err
	}
	if len(all) < t.used {
		return nil, fmt.Errorf("terminal %s: %d stamps, %d taken before", t.id, len(all), t.used)
	}
	out := all[t.used:]
	t.used = len(all)
	return out, nil
}

func (t *mgrTerm) config() config.Terminal {
	return config.Terminal{ID: t.id, Protocol: t.proto, Port: t.path}
}

// MgrPhase is one phase of one round.
type MgrPhase struct {
	Round      int                `json:"round"`
	Phase      string             `json:"phase"` // bare, manager, manager+record
	LoadBefore string             `json:"load_before"`
	LoadAfter  string             `json:"load_after"`
	Elapsed    string             `json:"elapsed"`
	Overhead   map[string]Summary `json:"overhead_us"`    // by protocol: caller has the result − write(2) returned
	FromBefore map[string]Summary `json:"from_before_us"` // − write(2) called
	// Own: caller has the result − the driver's read that handed it the
	// frame's last byte (in this process).
	Own map[string]Summary `json:"own_us"`
	// Through the manager: the driver's read → the wire tap's last unit
	// (the driver's trace hook: for ZVT the line ACK it writes) and from
	// there → the caller.
	ToTap    map[string]Summary `json:"read_to_tap_us,omitempty"`
	AfterTap map[string]Summary `json:"tap_to_caller_us,omitempty"`
	samples  map[string][5][]float64
}

// MgrResult is the manager latency run.
type MgrResult struct {
	Machine Machine `json:"machine"`
	ZVT     int     `json:"zvt"`
	Concert int     `json:"concert"`
	N       int     `json:"n"`
	Warmup  int     `json:"warmup"`
	// The scripted terminals' pause before their result (the driver is
	// blocked in its read meanwhile, as while a customer pays).
	ZVTHold     string             `json:"zvt_hold"`
	ConcertHold string             `json:"concert_hold"`
	Phases      []MgrPhase         `json:"phases"`
	Total       map[string]Summary `json:"total_overhead_us"` // phase/protocol over every round
	TotalFrom   map[string]Summary `json:"total_from_before_us"`
	TotalOwn    map[string]Summary `json:"total_own_us"` // from the driver's read of the last byte
	TotalToTap  map[string]Summary `json:"total_read_to_tap_us"`
	TotalAfter  map[string]Summary `json:"total_tap_to_caller_us"`
	Database    string             `json:"database"`
}

const (
	phaseBare   = "bare"
	phaseMgr    = "manager"
	phaseRecord = "manager+record"
)

func managerMain(args []string) error {
	fs := flag.NewFlagSet("manager", flag.ExitOnError)
	nz := fs.Int("zvt", 8, "ZVT terminals")
	nc := fs.Int("concert", 8, "Concert terminals")
	n := fs.Int("n", 100, "measured payments per terminal and phase")
	warmup := fs.Int("warmup", 20, "payments per terminal and phase run first and not counted")
	rounds := fs.Int("rounds", 3, "rounds; each runs every phase, in an order alternating from round to round")
	phases := fs.String("phases", phaseBare+","+phaseMgr+","+phaseRecord, "phases, comma separated")
	zhMin := fs.Duration("zvt-hold-min", time.Millisecond, "a ZVT terminal's shortest pause before its result")
	zhMax := fs.Duration("zvt-hold-max", 25*time.Millisecond, "a ZVT terminal's longest pause before its result (latency's default)")
	chMin := fs.Duration("concert-hold-min", time.Millisecond, "a Concert terminal's shortest pause before its result")
	chMax := fs.Duration("concert-hold-max", 105*time.Millisecond, "a Concert terminal's longest pause before its result (latency's -hold-max for Concert)")
	dir := fs.String("dir", "", "folder of the manager's database (default: a new temporary folder; say where, it is timed with the disk under it)")
	jsonPath := fs.String("json", "", "write the result as JSON to this file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	_ = fs.Parse(args)
	if err := noArgs(fs); err != nil {
		return err
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if *nz < 0 || *nc < 0 || *nz+*nc == 0 || *n < 1 || *warmup < 0 || *rounds < 1 {
		return usagef("need terminals, -n ≥ 1, -warmup ≥ 0 and -rounds ≥ 1")
	}
	var list []string
	for _, p := range strings.Split(*phases, ",") {
		switch p = strings.TrimSpace(p); p {
		case phaseBare, phaseMgr, phaseRecord:
			list = append(list, p)
		default:
			return usagef("-phases: %q is none of %s, %s, %s", p, phaseBare, phaseMgr, phaseRecord)
		}
	}
	printMachine()
	r, err := runManagerLatency(*nz, *nc, *n, *warmup, *rounds, list, *dir, Hold{Min: *zhMin, Max: *zhMax}, Hold{Min: *chMin, Max: *chMax})
	if err != nil {
		return err
	}
	printManager(r)
	return writeJSON(*jsonPath, r)
}

func runManagerLatency(nz, nc, n, warmup, rounds int, phases []string, dir string, zhold, chold Hold) (MgrResult, error) {
	res := MgrResult{Machine: machineInfo(), ZVT: nz, Concert: nc, N: n, Warmup: warmup,
		ZVTHold: zhold.Min.String() + ".." + zhold.Max.String(), ConcertHold: chold.Min.String() + ".." + chold.Max.String()}
	terms, stop, err := startFleet(nz, nc, zhold, chold)
	if err != nil {
		return res, err
	}
	defer stop()
	if dir == "" {
		if dir, err = os.MkdirTemp("", "posbench-manager-"); err != nil {
			return res, err
		}
		defer os.RemoveAll(dir)
	}
	res.Database = filepath.Join(dir, "feepos.db")
	ctx := context.Background()
	db, err := sqlite.Open(ctx, res.Database)
	if err != nil {
		return res, err
	}
	defer db.Close()
	all := map[string][5][]float64{}
	for round := 1; round <= rounds; round++ {
		order := append([]string(nil), phases...)
		if round%2 == 0 {
			for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
				order[i], order[j] = order[j], order[i]
			}
		}
		for _, ph := range order {
			p, err := runPhase(ctx, db, terms, ph, round, n, warmup)
			if err != nil {
				return res, fmt.Errorf("round %d, %s: %w", round, ph, err)
			}
			fmt.Printf("round %d %-15s %s  load %s → %s\n", round, ph, p.Elapsed, p.LoadBefore, p.LoadAfter)
			for proto, s := range p.samples {
				k := ph + "/" + proto
				a := all[k]
				for i := range a {
					a[i] = append(a[i], s[i]...)
				}
				all[k] = a
			}
			res.Phases = append(res.Phases, p)
		}
	}
	res.Total, res.TotalFrom, res.TotalOwn = map[string]Summary{}, map[string]Summary{}, map[string]Summary{}
	for k, a := range all {
		res.Total[k], res.TotalFrom[k], res.TotalOwn[k] = summarize(a[0]), summarize(a[1]), summarize(a[2])
		if len(a[3]) > 0 {
			if res.TotalToTap == nil {
				res.TotalToTap, res.TotalAfter = map[string]Summary{}, map[string]Summary{}
			}
			res.TotalToTap[k], res.TotalAfter[k] = summarize(a[3]), summarize(a[4])
		}
	}
	return res, nil
}

// payer is one terminal's payment, however it is made; it returns the
// monotonic time at which the caller held the approved result, and that
// of the driver's last read before (taken at once: Confirm reads on).
type payer func(ctx context.Context, k int) (paid, error)

// paid is one payment's times: the caller held the result; the driver's
// last read before it.
type paid struct{ caller, read, wire int64 }

func runPhase(ctx context.Context, db *sqlite.DB, terms []*mgrTerm, phase string, round, n, warmup int) (MgrPhase, error) {
	p := MgrPhase{Round: round, Phase: phase, LoadBefore: sysinfo.LoadAvg(), samples: map[string][5][]float64{}}
	payers := make([]payer, len(terms))
	var closers []func() error
	defer func() {
		for _, c := range closers {
			_ = c()
		}
	}()
	switch phase {
	case phaseBare:
		for i, t := range terms {
			pay, closeFn, err := barePayer(ctx, t)
			if err != nil {
				return p, err
			}
			payers[i] = pay
			closers = append(closers, closeFn)
		}
	default:
		var cfgs []config.Terminal
		for _, t := range terms {
			cfgs = append(cfgs, t.config())
		}
		byID := map[string]*mgrTerm{}
		for _, t := range terms {
			byID[t.id] = t
		}
		m, err := terminals.New(cfgs, terminals.Options{Store: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Open:   func(_ context.Context, c config.Terminal) (transport.Conn, error) { return byID[c.ID].open() },
			OnWire: func(id string, _ terminals.TapEntry) { byID[id].wire.Store(mono()) }})
		if err != nil {
			return p, err
		}
		if err := m.Start(ctx); err != nil {
			return p, err
		}
		closers = append(closers, m.Close)
		if err := waitIdle(m, time.Minute); err != nil {
			return p, err
		}
		for i, t := range terms {
			payers[i] = managerPayer(m, db, t, phase == phaseRecord)
		}
	}
	start := time.Now()
	returned := make([][]paid, len(terms))
	errs := make([]error, len(terms))
	var wg sync.WaitGroup
	for i := range terms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; k < warmup+n; k++ {
				t, err := payers[i](ctx, k)
				if err != nil {
					errs[i] = fmt.Errorf("terminal %s, payment %d: %w", terms[i].id, k, err)
					return
				}
				returned[i] = append(returned[i], t)
			}
		}()
	}
	wg.Wait()
	p.Elapsed = time.Since(start).Round(time.Millisecond).String()
	if err := errors.Join(errs...); err != nil {
		return p, err
	}
	for _, c := range closers {
		if err := c(); err != nil {
			return p, err
		}
	}
	closers = nil
	p.LoadAfter = sysinfo.LoadAvg()
	for i, t := range terms {
		stamps, err := t.newStamps()
		if err != nil {
			return p, err
		}
		if len(stamps) != warmup+n {
			return p, fmt.Errorf("terminal %s: %d result stamps for %d payments", t.id, len(stamps), warmup+n)
		}
		s := p.samples[t.proto]
		for k := warmup; k < warmup+n; k++ {
			s[0] = append(s[0], us(returned[i][k].caller-stamps[k].After))
			s[1] = append(s[1], us(returned[i][k].caller-stamps[k].Before))
			pd := returned[i][k]
			s[2] = append(s[2], us(pd.caller-pd.read))
			if pd.wire >= pd.read && pd.wire <= pd.caller {
				s[3] = append(s[3], us(pd.wire-pd.read))
				s[4] = append(s[4], us(pd.caller-pd.wire))
			}
		}
		p.samples[t.proto] = s
	}
	p.Overhead, p.FromBefore, p.Own = map[string]Summary{}, map[string]Summary{}, map[string]Summary{}
	for proto, s := range p.samples {
		p.Overhead[proto], p.FromBefore[proto], p.Own[proto] = summarize(s[0]), summarize(s[1]), summarize(s[2])
		if len(s[3]) > 0 {
			if p.ToTap == nil {
				p.ToTap, p.AfterTap = map[string]Summary{}, map[string]Summary{}
			}
			p.ToTap[proto], p.AfterTap[proto] = summarize(s[3]), summarize(s[4])
		}
	}
	return p, nil
}

// stamped is the caller's moment now, with the driver's last read
// before it on conn.
func stamped(conn *stampConn) paid {
	p := paid{caller: mono()}
	if conn != nil {
		p.read = conn.last.Load()
	}
	if p.read > p.caller || p.read == 0 {
		p.read = p.caller // a read in between: not counted
	}
	return p
}

// barePayer opens terminal t with its bare driver (ZVT registered).
func barePayer(ctx context.Context, t *mgrTerm) (payer, func() error, error) {
	conn, err := t.open()
	if err != nil {
		return nil, nil, err
	}
	if t.proto == "zvt" {
		term := zvt.New(conn, zvt.Config{ID: t.id})
		if err := term.Register(ctx); err != nil {
			_ = term.Close()
			return nil, nil, fmt.Errorf("register %s: %w", t.id, err)
		}
		return func(ctx context.Context, k int) (paid, error) {
			p, err := term.Pay(ctx, pos.Request{Amount: 150_000 + int64(k), Reference: "HS-1"}, nil)
			r := p.Result()
			at := stamped(conn)
			if err != nil || r.Outcome != pos.Approved {
				return at, fmt.Errorf("%s %v", r.Outcome, err)
			}
			return at, p.Confirm(ctx)
		}, term.Close, nil
	}
	term := concert.New(conn, concert.Config{ID: t.id})
	return func(ctx context.Context, k int) (paid, error) {
		p, err := term.Pay(ctx, pos.Request{Amount: 150_000 + int64(k), Reference: "B" + strconv.Itoa(k)}, nil)
		r := p.Result()
		at := stamped(conn)
		if err != nil || r.Outcome != pos.Approved {
			return at, fmt.Errorf("%s %v (%s)", r.Outcome, err, r.Text)
		}
		return at, p.Confirm(ctx)
	}, term.Close, nil
}

// managerPayer charges on terminal t through the manager; with record,
// the caller records the payment (the attempt's "recorded" in its own
// transaction) before it confirms.
func managerPayer(m *terminals.Manager, db *sqlite.DB, t *mgrTerm, record bool) payer {
	return func(ctx context.Context, k int) (paid, error) {
		c, err := m.Charge(ctx, terminals.ChargeRequest{Terminal: t.id, Amount: 150_000 + int64(k)})
		if c == nil {
			return paid{}, err
		}
		r := c.Result()
		at := stamped(t.conn.Load())
		at.wire = t.wire.Load()
		if err != nil || r.Outcome != pos.Approved {
			return at, fmt.Errorf("%s %v (%s)", r.Outcome, err, r.Text)
		}
		if record {
			if err := db.WithTx(ctx, func(tx *sqlite.Tx) error {
				return tx.MarkAttemptRecorded(ctx, c.AttemptID(), "posbench")
			}); err != nil {
				_ = c.Reject(ctx)
				return at, err
			}
		}
		if err := c.Confirm(ctx); err != nil {
			return at, err
		}
		return at, nil
	}
}

// waitIdle waits until every terminal of m is idle (opened, registered).
func waitIdle(m *terminals.Manager, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		idle := true
		var not []string
		for _, s := range m.Status() {
			if s.Status != terminals.StatusIdle {
				idle = false
				not = append(not, s.ID+" "+string(s.Status)+" "+s.LastError)
			}
		}
		if idle {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("terminals not idle after %s: %s", limit, strings.Join(not, "; "))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func printManager(r MgrResult) {
	fmt.Printf("\nmanager vs bare driver: %d ZVT + %d Concert terminals, %d payments each per phase (+%d warm-up), %d phases; pause before the result ZVT %s, Concert %s; database %s\n",
		r.ZVT, r.Concert, r.N, r.Warmup, len(r.Phases), r.ZVTHold, r.ConcertHold, r.Database)
	fmt.Printf("  %-32s %s\n", "µs, result write(2) returned →", summaryHeader())
	for _, proto := range []string{"zvt", "concert"} {
		for _, ph := range []string{phaseBare, phaseMgr, phaseRecord} {
			s, ok := r.Total[ph+"/"+proto]
			if !ok {
				continue
			}
			fmt.Printf("  %-32s %s  n=%d\n", proto+" "+ph, row(s), s.N)
		}
	}
	fmt.Printf("  %-32s %s\n", "µs, result write(2) called →", summaryHeader())
	for _, proto := range []string{"zvt", "concert"} {
		for _, ph := range []string{phaseBare, phaseMgr, phaseRecord} {
			s, ok := r.TotalFrom[ph+"/"+proto]
			if !ok {
				continue
			}
			fmt.Printf("  %-32s %s\n", proto+" "+ph, row(s))
		}
	}
	fmt.Printf("  %-32s %s\n", "µs, driver's read of the last byte →", summaryHeader())
	for _, proto := range []string{"zvt", "concert"} {
		for _, ph := range []string{phaseBare, phaseMgr, phaseRecord} {
			s, ok := r.TotalOwn[ph+"/"+proto]
			if !ok {
				continue
			}
			fmt.Printf("  %-32s %s\n", proto+" "+ph, row(s))
		}
	}
	if len(r.TotalToTap) > 0 {
		fmt.Printf("  %-32s %s\n", "µs, manager: read → tap's last unit", summaryHeader())
		for _, k := range sortedMapKeys(r.TotalToTap) {
			fmt.Printf("  %-32s %s\n", k, row(r.TotalToTap[k]))
		}
		fmt.Printf("  %-32s %s\n", "µs, manager: tap's last → caller", summaryHeader())
		for _, k := range sortedMapKeys(r.TotalAfter) {
			fmt.Printf("  %-32s %s\n", k, row(r.TotalAfter[k]))
		}
	}
	fmt.Println("  p99 per round (µs, from write(2) returned):")
	for _, p := range r.Phases {
		var parts []string
		for _, proto := range []string{"zvt", "concert"} {
			if s, ok := p.Overhead[proto]; ok {
				parts = append(parts, fmt.Sprintf("%s p50 %.0f p99 %.0f", proto, s.P50, s.P99))
			}
		}
		fmt.Printf("    round %d %-15s %s   (load %s → %s)\n", p.Round, p.Phase, strings.Join(parts, ", "), p.LoadBefore, p.LoadAfter)
	}
}

// ------------------------------------------------------------- idle ---

// IdleResult is one process running the manager with idle terminals.
type IdleResult struct {
	ZVT        int            `json:"zvt"`
	Concert    int            `json:"concert"`
	Poll       string         `json:"poll"` // the health poll interval ("off": 1 h, none in the window)
	Wait       string         `json:"wait"`
	Base       Snapshot       `json:"base"`  // before the manager (the scripted terminals run in child processes)
	Idle       Snapshot       `json:"idle"`  // the manager started, every terminal charged 5 times, idle
	After      Snapshot       `json:"after"` // after the idle window
	RSSRollup  int64          `json:"rss_smaps_rollup"`
	PssRollup  int64          `json:"pss_smaps_rollup"`
	HWM        int64          `json:"vm_hwm"`
	CPU        CPU            `json:"cpu"`
	Wire       map[string]int `json:"wire_from_ecr"` // what the manager sent during the window, by message kind
	LoadBefore string         `json:"load_before"`
	LoadAfter  string         `json:"load_after"`
}

func managerIdleMain(args []string) error {
	fs := flag.NewFlagSet("manager-idle", flag.ExitOnError)
	nz := fs.Int("zvt", 8, "ZVT terminals")
	nc := fs.Int("concert", 8, "Concert terminals")
	wait := fs.Duration("wait", time.Minute, "the idle window measured")
	rounds := fs.Int("rounds", 2, "rounds of (polls at the default interval, polls off), each in a fresh process")
	jsonPath := fs.String("json", "", "write the results as JSON to this file")
	_ = fs.Parse(args)
	if err := noArgs(fs); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	printMachine()
	var out []IdleResult
	for round := 1; round <= *rounds; round++ {
		polls := []string{"default", "off"}
		if round%2 == 0 {
			polls = []string{"off", "default"}
		}
		for _, poll := range polls {
			cmd := exec.Command(exe, "manager-idle-one", "-zvt", strconv.Itoa(*nz), "-concert", strconv.Itoa(*nc), "-wait", wait.String(), "-poll", poll)
			cmd.Stderr = os.Stderr
			b, err := cmd.Output()
			if err != nil {
				return fmt.Errorf("manager-idle-one -poll %s: %w", poll, err)
			}
			var r IdleResult
			if err := json.Unmarshal(b, &r); err != nil {
				return fmt.Errorf("manager-idle-one -poll %s: %w", poll, err)
			}
			fmt.Printf("round %d ", round)
			printIdle(r)
			out = append(out, r)
		}
	}
	return writeJSON(*jsonPath, map[string]any{"machine": machineInfo(), "idle": out})
}

func managerIdleOneMain(args []string) error {
	fs := flag.NewFlagSet("manager-idle-one", flag.ExitOnError)
	nz := fs.Int("zvt", 8, "ZVT terminals")
	nc := fs.Int("concert", 8, "Concert terminals")
	wait := fs.Duration("wait", time.Minute, "the idle window measured")
	poll := fs.String("poll", "default", "health poll interval: default (the configuration's default) or off (1 h, the longest allowed: none in the window)")
	_ = fs.Parse(args)
	if err := noArgs(fs); err != nil {
		return err
	}
	r := IdleResult{ZVT: *nz, Concert: *nc, Wait: wait.String(), Wire: map[string]int{}}
	terms, stop, err := startFleet(*nz, *nc, Hold{Min: time.Millisecond, Max: 5 * time.Millisecond}, Hold{Min: time.Millisecond, Max: 5 * time.Millisecond})
	if err != nil {
		return err
	}
	defer stop()
	dir, err := os.MkdirTemp("", "posbench-idle-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	r.Base = snapshot()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "feepos.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	var cfgs []config.Terminal
	for _, t := range terms {
		c := t.config()
		if *poll == "off" {
			c.PollInterval = config.Duration{Duration: time.Hour} // the longest the configuration takes
		}
		cfgs = append(cfgs, c)
	}
	_, _, interval := cfgs[0].Queue()
	r.Poll = interval.String()
	if *poll == "off" {
		r.Poll = "off (" + interval.String() + ")"
	}
	var mu sync.Mutex
	counting := false
	m, err := terminals.New(cfgs, terminals.Options{Store: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		OnWire: func(_ string, e terminals.TapEntry) {
			mu.Lock()
			defer mu.Unlock()
			if counting && e.Direction == "ecr_to_pt" {
				k := e.Message.Kind
				if k == "" {
					k = e.Hex
				}
				r.Wire[string(e.Protocol)+" "+k]++
			}
		}})
	if err != nil {
		return err
	}
	if err := m.Start(ctx); err != nil {
		return err
	}
	defer m.Close()
	if err := waitIdle(m, time.Minute); err != nil {
		return err
	}
	for i, t := range terms {
		pay := managerPayer(m, db, t, true)
		for k := range 5 {
			if _, err := pay(ctx, i*10+k); err != nil {
				return fmt.Errorf("warm-up payment on %s: %w", t.id, err)
			}
		}
	}
	time.Sleep(time.Second)
	r.Idle = snapshot()
	time.Sleep(500 * time.Millisecond)
	r.LoadBefore = sysinfo.LoadAvg()
	mu.Lock()
	counting = true
	mu.Unlock()
	r.CPU = measureCPU(*wait)
	mu.Lock()
	counting = false
	mu.Unlock()
	r.LoadAfter = sysinfo.LoadAvg()
	r.After = snapshot()
	r.RSSRollup = smapsRollup("Rss")
	r.PssRollup = smapsRollup("Pss")
	r.HWM = procKB("VmHWM")
	return json.NewEncoder(os.Stdout).Encode(r)
}

// smapsRollup reads a "Key: N kB" line of /proc/self/smaps_rollup in bytes.
func smapsRollup(key string) int64 {
	v := sysinfo.ProcField("/proc/self/smaps_rollup", key)
	n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
	return n << 10
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func printIdle(r IdleResult) {
	fmt.Printf("manager idle: %d ZVT + %d Concert terminals, health poll %s, window %s (load %s → %s)\n",
		r.ZVT, r.Concert, r.Poll, r.Wait, r.LoadBefore, r.LoadAfter)
	fmt.Printf("  CPU: user %.1f ms + sys %.1f ms = %.4f%% of a core, %.1f wake-ups/s\n", r.CPU.UserMS, r.CPU.SysMS, r.CPU.PctCore, r.CPU.WakeupsPS)
	fmt.Printf("  sent by the manager in the window: %s\n", mapText(r.Wire))
	fmt.Printf("  VmRSS: %.1f MiB before the manager, %.1f MiB idle, %.1f MiB after the window (smaps_rollup Rss %.1f MiB, Pss %.1f MiB; VmHWM %.1f MiB)\n",
		mib(r.Base.RSS), mib(r.Idle.RSS), mib(r.After.RSS), mib(r.RSSRollup), mib(r.PssRollup), mib(r.HWM))
	fmt.Printf("  heap %.1f MiB live, %.1f MiB in use; stacks %.1f MiB; goroutines %d; threads %d\n",
		mib(r.After.HeapAlloc), mib(r.After.HeapInuse), mib(r.After.StackInuse), r.After.Goroutines, r.After.Threads)
}

func mapText(m map[string]int) string {
	if len(m) == 0 {
		return "nothing"
	}
	var parts []string
	for k, v := range m {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, v))
	}
	return strings.Join(parts, ", ")
}

func sortedMapKeys(m map[string]Summary) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
