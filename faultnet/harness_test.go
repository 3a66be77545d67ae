package faultnet

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sovereign-ledger/sovereign/consensus"
)

// The harness's own parameters.
const (
	nodes        = 4
	loadInterval = 100 * time.Millisecond // per sender: 4 senders, about 40 tx/s
	warmup       = 2 * time.Second
	tick         = 10 * time.Millisecond // node.Config's default tick
	// killedHolderBound is the design bound on the killed-holder gap
	// (docs/PERFORMANCE.md). This and the heal bound (three timeouts) fail
	// the test only when exceeded by more than gapSlack, so that a 2-core
	// machine shared with other work does not fail them; every measurement
	// is logged (OVER BOUND when above the design bound).
	killedHolderBound = 1500 * time.Millisecond
	gapSlack          = 1000 * time.Millisecond
	// healSlack is the slack after a heal. A cut drops packets (iptables
	// DROP), so the TCP connections across it back off their retransmission
	// timers, to several seconds after a 20 s cut; after the heal the first
	// consensus message may wait for the next retransmission. Heals measured
	// 0.4-1.8 s mostly, and 3.9-5.2 s in some runs of December 3 at load
	// 9-16 (docs/PERFORMANCE.md); the figure is logged either way.
	healSlack = 6 * time.Second
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// sovereignBinary builds cmd/sovereign once per test binary.
func sovereignBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sovereign-faultnet-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "sovereign")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/sovereign-ledger/sovereign/cmd/sovereign").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build ./cmd/sovereign: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// roundTimeout is one propose timeout at round r, as the node configures
// the consensus core (default ticks of 10 ms).
func roundTimeout(r uint32) time.Duration {
	t := uint64(consensus.DefaultProposeTicks) + uint64(consensus.DefaultTimeoutDeltaTicks)*uint64(r)
	return time.Duration(min(t, uint64(consensus.DefaultMaxTimeoutTicks))) * tick
}

// figure is one measurement of a run, logged and, with
// SOV_FAULTNET_FIGURES=FILE, appended to FILE as a JSON line.
type figure struct {
	Run    string  `json:"run"`
	What   string  `json:"what"` // "killed_holder_gap", "heal_to_final", ...
	Millis float64 `json:"ms"`
	Bound  float64 `json:"bound_ms,omitempty"`
	Round  uint32  `json:"round,omitempty"`
}

var figuresMu sync.Mutex

func recordFigure(t *testing.T, f figure) {
	t.Logf("FIGURE %s %s: %.0f ms (bound %.0f ms, round %d)", f.Run, f.What, f.Millis, f.Bound, f.Round)
	path := os.Getenv("SOV_FAULTNET_FIGURES")
	if path == "" {
		return
	}
	figuresMu.Lock()
	defer figuresMu.Unlock()
	raw, _ := json.Marshal(f)
	fh, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Errorf("figures file: %v", err)
		return
	}
	defer fh.Close()
	fh.Write(append(raw, '\n'))
}

// run is one fault run: a fresh network and cluster, the load, the fault,
// then the checker.
type run struct {
	t    *testing.T
	name string
	net  *Net
	c    *Cluster
	load *Load
}

type runSpec struct {
	name  string
	short bool             // part of the default (short) form
	extra map[int][]string // extra flags per node
	setup func(r *run)     // before the nodes start
	fault func(r *run)     // under load
}

func longForm() bool { return os.Getenv("SOV_FAULTNET_LONG") == "1" }

func repeats() int {
	if n, err := strconv.Atoi(os.Getenv("SOV_FAULTNET_REPEAT")); err == nil && n > 0 {
		return n
	}
	if longForm() {
		return 3
	}
	return 1
}

// TestFaults runs validators of the built binary in network namespaces and
// checks safety and liveness under each fault. The default form runs the
// short runs once; SOV_FAULTNET_LONG=1 runs all of them, each
// SOV_FAULTNET_REPEAT times (default 3).
func TestFaults(t *testing.T) {
	if testing.Short() {
		t.Skip("faultnet: real processes in network namespaces")
	}
	if why := Requirements(); why != "" {
		t.Skip(why)
	}
	bin := sovereignBinary(t)
	for _, spec := range runSpecs() {
		if !spec.short && !longForm() {
			continue
		}
		for k := 0; k < repeats(); k++ {
			name := spec.name
			if repeats() > 1 {
				name = fmt.Sprintf("%s/%d", spec.name, k)
			}
			t.Run(name, func(t *testing.T) { runOne(t, bin, spec) })
		}
	}
}

func runOne(t *testing.T, bin string, spec runSpec) {
	net, err := NewNet(nodes)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := net.Close(); err != nil {
			t.Logf("network cleanup: %v", err)
		}
	})
	dir := t.TempDir()
	c, err := NewCluster(net, bin, dir, spec.extra)
	if err != nil {
		t.Fatal(err)
	}
	r := &run{t: t, name: spec.name, net: net, c: c}
	t.Cleanup(func() {
		c.Close()
		if t.Failed() {
			for i := 0; i < nodes; i++ {
				raw, _ := os.ReadFile(c.LogPath(i))
				t.Logf("--- node %d log (tail) ---\n%s", i, tail(string(raw), 4000))
			}
		}
	})
	if spec.setup != nil {
		spec.setup(r)
	}
	for i := 0; i < nodes; i++ {
		if err := c.Start(i); err != nil {
			t.Fatal(err)
		}
	}
	started := time.Now()
	if _, err := c.WaitFinal(2, 90*time.Second, c.All()...); err != nil {
		t.Fatal(err)
	}
	t.Logf("cluster up: height 2 final everywhere %s after start", time.Since(started).Round(time.Millisecond))
	if r.load, err = StartLoad(c, loadInterval); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.load.Close)
	time.Sleep(warmup)

	spec.fault(r)

	if err := net.HealAll(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < nodes; i++ {
		switch c.State(i) {
		case Stopped:
			r.must(c.Resume(i))
		case Down:
			r.must(c.Start(i))
		}
	}
	missing := r.load.Drain(90 * time.Second)
	if err := r.load.Err(); err != nil {
		t.Error(err)
	}
	t.Logf("load: %s", r.load.Stats())
	if len(missing) > 0 {
		t.Errorf("LOST: %d acknowledged transactions not final after the drain (first %s)", len(missing), missing[0])
	}
	res, err := Check(c, r.load.Acked(), 90*time.Second)
	if err != nil {
		t.Error(err)
	}
	t.Logf("checked %d blocks, %d transactions, %d acknowledged ones final once everywhere", res.Height, res.Txs, res.Acked)
	if res.Acked == 0 && !t.Failed() {
		t.Error("no acknowledged transaction was checked: the load did not run")
	}
}

func (r *run) must(err error) {
	r.t.Helper()
	if err != nil {
		r.t.Fatal(err)
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// others lists every node but those given.
func (r *run) others(except ...int) []int {
	var out []int
next:
	for i := 0; i < nodes; i++ {
		for _, e := range except {
			if i == e {
				continue next
			}
		}
		out = append(out, i)
	}
	return out
}

// height is the highest final height among nodes, and the highest round.
func (r *run) height(nodes ...int) (uint64, uint32) { return r.c.MaxFinal(nodes...) }

// strikeHolder applies act to the key holder of a fresh height before it
// proposes and measures the gap: the time from act until a live node has
// that height final. With the load paused, a height whose pool is empty
// waits the empty-block interval (1 s) before its holder proposes; the
// harness waits for such a height to begin, strikes its holder, and
// resumes the load at once, so that the block is due while its holder is
// gone. The block must then carry round ≥ 1, proof that the holder's turn
// was lost; a round-0 block means the holder had proposed first, and no
// gap is recorded for it.
func (r *run) strikeHolder(what string, act func(holder int)) (holder int, h0 uint64) {
	r.t.Helper()
	ask := r.live()[0]
	r.load.Pause()
	time.Sleep(700 * time.Millisecond) // what was submitted goes into a block
	before, err := r.c.FinalHeight(ask)
	r.must(err)
	deadline := time.Now().Add(10 * time.Second)
	for {
		ci, err := r.c.Info(ask)
		if err == nil && ci.FinalHeight > before {
			h0 = ci.FinalHeight
			holder, err = r.c.Holder(ask)
			r.must(err)
			break
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("node %d finalized nothing in 10 s", ask)
		}
		time.Sleep(5 * time.Millisecond)
	}
	at := time.Now()
	act(holder)
	r.load.Resume()
	live := r.others(holder)
	for {
		if i, ok := r.finalPast(h0, live); ok {
			d := time.Since(at)
			b, err := r.c.block(i, h0+1)
			r.must(err)
			if b.Round == 0 {
				r.t.Logf("%s: holder %d had proposed height %d before the fault; no gap to measure", what, holder, h0+1)
				return holder, h0
			}
			recordFigure(r.t, figure{Run: r.name, What: what, Millis: ms(d), Bound: ms(killedHolderBound), Round: b.Round})
			switch {
			case d > killedHolderBound+gapSlack:
				r.t.Errorf("%s: %s, bound %s", what, d.Round(time.Millisecond), killedHolderBound)
			case d > killedHolderBound:
				r.t.Logf("OVER BOUND %s: %s, bound %s, within the slack for a loaded machine", what, d.Round(time.Millisecond), killedHolderBound)
			}
			return holder, h0
		}
		if time.Since(at) > 30*time.Second {
			r.t.Fatalf("%s: nodes %v did not finalize past %d within 30 s", what, live, h0)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// finalPast returns a node of nodes whose final height is above h.
func (r *run) finalPast(h uint64, nodes []int) (int, bool) {
	for _, i := range nodes {
		if fh, err := r.c.FinalHeight(i); err == nil && fh > h {
			return i, true
		}
	}
	return 0, false
}

// live lists the running nodes.
func (r *run) live() []int {
	var out []int
	for i := 0; i < nodes; i++ {
		if r.c.State(i) == Up {
			out = append(out, i)
		}
	}
	return out
}

// healed measures the time from a heal (at `at`, when the highest final
// height was h0 and the highest round `round`) until every listed node
// has a block above h0 final, and checks it is within bound, or when bound
// is 0 within three timeouts of that round.
func (r *run) healed(what string, at time.Time, h0 uint64, round uint32, nodes []int, bound time.Duration) {
	r.t.Helper()
	if bound == 0 {
		bound = 3 * roundTimeout(round)
	}
	done, err := r.c.WaitFinal(h0+1, 60*time.Second, nodes...)
	if err != nil {
		r.t.Fatalf("%s: the chain did not finalize again after the heal: %v", what, err)
	}
	d := done.Sub(at)
	recordFigure(r.t, figure{Run: r.name, What: what, Millis: ms(d), Bound: ms(bound), Round: round})
	switch {
	case d > bound+healSlack:
		r.t.Errorf("%s: finalized again %s after the heal, bound %s (round %d)", what, d.Round(time.Millisecond), bound, round)
	case d > bound:
		r.t.Logf("OVER BOUND %s: %s after the heal, bound %s (round %d), within the slack for a loaded machine", what, d.Round(time.Millisecond), bound, round)
	}
}

// heal mends every cut and measures the time to final.
func (r *run) heal(what string) {
	r.t.Helper()
	h0, round := r.height(r.c.All()...)
	at := time.Now()
	r.must(r.net.HealAll())
	r.healed(what, at, h0, round, r.c.All(), 0)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// hasLine reports whether node i's log holds s.
func (r *run) hasLine(i int, s string) bool {
	raw, _ := os.ReadFile(r.c.LogPath(i))
	return strings.Contains(string(raw), s)
}
