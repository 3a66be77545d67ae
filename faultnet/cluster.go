package faultnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/sovereign-ledger/sovereign"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/devnet"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
)

// Base ports: node i listens on base+i at its own address, as on loopback.
const (
	rpcPort = 8545
	p2pPort = 30300
)

// Cluster is n devnet validators of the sovereign binary, node i in
// namespace i of a Net. Each can be killed, paused and restarted alone.
type Cluster struct {
	Net     *Net
	Procs   *devnet.Processes // command lines and layout (devnet's)
	Genesis *chain.Genesis
	Clients []*wallet.Client

	mu    sync.Mutex
	cmds  map[int]*exec.Cmd
	done  map[int]chan struct{}
	state []NodeState
	extra map[int][]string
}

// NodeState is what the harness has done to a node.
type NodeState int

const (
	Down    NodeState = iota // not running (never started, killed or exited)
	Up                       // running
	Stopped                  // SIGSTOPped
)

// NewCluster prepares a devnet of net.N validators in dir (genesis, keys)
// whose validators run binary. extra adds flags to some nodes' command
// lines (for example the clock offset). Nothing is started yet.
func NewCluster(net *Net, binary, dir string, extra map[int][]string) (*Cluster, error) {
	template, err := chain.ParseGenesis(sovereign.DevnetGenesis)
	if err != nil {
		return nil, err
	}
	g, err := devnet.Prepare(dir, template, net.N)
	if err != nil {
		return nil, err
	}
	c := &Cluster{Net: net, Genesis: g, cmds: map[int]*exec.Cmd{}, done: map[int]chan struct{}{},
		state: make([]NodeState, net.N), extra: extra,
		Procs: &devnet.Processes{Layout: devnet.Layout{Dir: dir}, N: net.N, Binary: binary,
			RPCPort: rpcPort, P2PPort: p2pPort, LogLevel: "info", Hosts: net.Hosts()}}
	for i := 0; i < net.N; i++ {
		cl, err := wallet.Dial(c.URL(i))
		if err != nil {
			return nil, err
		}
		c.Clients = append(c.Clients, cl)
	}
	return c, nil
}

// URL is node i's RPC URL (reachable from this process over the bridge).
func (c *Cluster) URL(i int) string { return c.Procs.RPCURL(i) }

// LogPath is where node i's output goes (appended across restarts).
func (c *Cluster) LogPath(i int) string { return c.Procs.Layout.NodeDir(i) + ".log" }

// DataDir is node i's data directory.
func (c *Cluster) DataDir(i int) string { return c.Procs.Layout.NodeDir(i) }

// Start runs node i in its namespace.
func (c *Cluster) Start(i int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state[i] != Down {
		return fmt.Errorf("start node %d: already running", i)
	}
	args, err := c.Procs.Args(i)
	if err != nil {
		return err
	}
	args = append(args, c.extra[i]...)
	logf, err := os.OpenFile(c.LogPath(i), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd := c.Net.Command(i, c.Procs.Binary, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// If the harness dies (even by kill -9), its nodes die with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start node %d: %w", i, err)
	}
	done := make(chan struct{})
	c.cmds[i], c.done[i], c.state[i] = cmd, done, Up
	go func() {
		_ = cmd.Wait()
		logf.Close()
		c.mu.Lock()
		if c.cmds[i] == cmd {
			c.state[i] = Down
			delete(c.cmds, i)
		}
		c.mu.Unlock()
		close(done)
	}()
	return nil
}

// Kill sends SIGKILL to node i and waits for it to exit.
func (c *Cluster) Kill(i int) error {
	c.mu.Lock()
	cmd, done := c.cmds[i], c.done[i]
	c.mu.Unlock()
	if cmd == nil {
		return nil
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
	return nil
}

// Pause sends SIGSTOP to node i.
func (c *Cluster) Pause(i int) error { return c.signal(i, syscall.SIGSTOP, Stopped) }

// Resume sends SIGCONT to node i.
func (c *Cluster) Resume(i int) error { return c.signal(i, syscall.SIGCONT, Up) }

func (c *Cluster) signal(i int, sig syscall.Signal, to NodeState) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	cmd := c.cmds[i]
	if cmd == nil {
		return fmt.Errorf("signal node %d: not running", i)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal node %d: %w", i, err)
	}
	c.state[i] = to
	return nil
}

// State reports node i's state.
func (c *Cluster) State(i int) NodeState {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.state[i]
}

// Exited is closed when node i's current process exits (nil if none).
func (c *Cluster) Exited(i int) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.done[i]
}

// Close kills every node (resuming paused ones first) and closes clients.
func (c *Cluster) Close() {
	for i := 0; i < c.Net.N; i++ {
		if c.State(i) == Stopped {
			_ = c.Resume(i)
		}
		_ = c.Kill(i)
	}
	for _, cl := range c.Clients {
		cl.Close()
	}
}

// Info asks node i for chain info, bounded by a short timeout so that a
// paused node does not hang the caller.
func (c *Cluster) Info(i int) (*rpc.ChainInfo, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return c.Clients[i].ChainInfo(ctx)
}

// FinalHeight is node i's final height, or an error.
func (c *Cluster) FinalHeight(i int) (uint64, error) {
	ci, err := c.Info(i)
	if err != nil {
		return 0, err
	}
	return ci.FinalHeight, nil
}

// WaitFinal waits until every listed node's final height reaches h and
// returns when the last one did.
func (c *Cluster) WaitFinal(h uint64, timeout time.Duration, nodes ...int) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for _, i := range nodes {
		for {
			fh, err := c.FinalHeight(i)
			if err == nil && fh >= h {
				break
			}
			if time.Now().After(deadline) {
				return time.Time{}, fmt.Errorf("node %d did not reach final height %d within %s (at %d, %v)", i, h, timeout, fh, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return time.Now(), nil
}

// MaxFinal is the highest final height among the listed nodes that answer.
func (c *Cluster) MaxFinal(nodes ...int) (h uint64, round uint32) {
	for _, i := range nodes {
		if ci, err := c.Info(i); err == nil {
			h = max(h, ci.FinalHeight)
			round = max(round, ci.Round)
		}
	}
	return h, round
}

// Holder is the index of the current key holder as node i sees it.
func (c *Cluster) Holder(i int) (int, error) {
	ci, err := c.Info(i)
	if err != nil {
		return -1, err
	}
	for k := 0; k < c.Net.N; k++ {
		if devnet.Address(devnet.Seed, "validator", k) == ci.Holder {
			return k, nil
		}
	}
	return -1, errors.New("holder is not a devnet validator")
}

// All lists every node index.
func (c *Cluster) All() []int {
	out := make([]int, c.Net.N)
	for i := range out {
		out[i] = i
	}
	return out
}
