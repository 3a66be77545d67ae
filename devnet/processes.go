package devnet

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Processes runs the devnet's validators as separate `sovereign node`
// processes of the same binary on loopback.
type Processes struct {
	Layout    Layout
	N         int
	Binary    string // the sovereign binary (os.Executable())
	RPCHost   string
	RPCPort   int // validator i serves RPC on RPCPort+i
	P2PPort   int // validator i listens on P2PPort+i
	LogLevel  string
	Observers []string  // peer ids the validators admit besides each other
	Out       io.Writer // where process events are reported
	Logs      io.Writer // where the nodes' logs go (nil: DIR/nodeI.log)
	// Hosts, when set, gives validator i its own address (as in a network
	// namespace of its own): it listens there for peers and RPC, and the
	// others dial it there. Unset: RPC on RPCHost, peers on 127.0.0.1.
	Hosts []string

	mu    sync.Mutex
	procs []*proc
}

type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
}

// RPCURL is validator i's RPC URL.
func (p *Processes) RPCURL(i int) string { return "http://" + p.rpcAddr(i) }

func (p *Processes) rpcAddr(i int) string {
	host := p.RPCHost
	if p.Hosts != nil {
		host = p.Hosts[i]
	}
	return net.JoinHostPort(host, strconv.Itoa(p.RPCPort+i))
}

// p2pHost is where validator i listens for peers.
func (p *Processes) p2pHost(i int) string {
	if p.Hosts != nil {
		return p.Hosts[i]
	}
	return "127.0.0.1"
}

// Args is the command line of validator i.
func (p *Processes) Args(i int) ([]string, error) {
	var boot []string
	for j := 0; j < p.N; j++ {
		if j == i {
			continue
		}
		a, err := ValidatorPeerAddrAt(j, p.p2pHost(j), p.P2PPort+j)
		if err != nil {
			return nil, err
		}
		boot = append(boot, a)
	}
	l := p.Layout
	return []string{
		"--log.level", p.LogLevel,
		"node",
		"--datadir", l.NodeDir(i),
		"--genesis", l.Genesis(),
		"--key", l.ValidatorKey(i),
		"--password-file", l.PasswordFile(),
		"--hashchain.secret-file", l.HashChainFile(i),
		"--p2p.listen", fmt.Sprintf("/ip4/%s/tcp/%d", p.p2pHost(i), p.P2PPort+i),
		"--p2p.bootnodes", strings.Join(boot, ","),
		"--rpc.addr", p.rpcAddr(i),
		"--rpc.auth", "off", // the devnet has no access control, whatever address it binds,
		"--rpc.rate", "-1", // nor a rate limit: load tests and `sovereign bench` run against it
		"--p2p.observers", strings.Join(p.Observers, ","),
	}, nil
}

// Run starts every validator and waits until ctx ends; then it stops them
// all (SIGINT, then SIGKILL after a grace period). A validator that dies is
// reported and the others keep running.
func (p *Processes) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for i := 0; i < p.N; i++ {
		args, err := p.Args(i)
		if err != nil {
			return err
		}
		cmd := exec.Command(p.Binary, args...)
		logs := p.Logs
		if logs == nil {
			f, err := os.OpenFile(p.Layout.NodeDir(i)+".log", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
			if err != nil {
				return err
			}
			defer f.Close()
			logs = f
		}
		cmd.Stdout, cmd.Stderr = logs, logs
		// If the devnet itself dies (even by kill -9), its validators die
		// with it rather than linger holding ports and data dirs.
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			p.stopAll()
			return fmt.Errorf("start validator %d: %w", i, err)
		}
		pr := &proc{cmd: cmd, done: make(chan struct{})}
		p.mu.Lock()
		p.procs = append(p.procs, pr)
		p.mu.Unlock()
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			err := cmd.Wait()
			close(pr.done)
			if ctx.Err() == nil {
				fmt.Fprintf(p.Out, "validator %d (pid %d) exited: %v; the other validators keep running\n", i, cmd.Process.Pid, err)
			}
		}(i)
	}
	<-ctx.Done()
	p.stopAll()
	wg.Wait()
	return nil
}

func (p *Processes) stopAll() {
	p.mu.Lock()
	procs := append([]*proc(nil), p.procs...)
	p.mu.Unlock()
	for _, pr := range procs {
		_ = pr.cmd.Process.Signal(syscall.SIGINT)
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, pr := range procs {
		select {
		case <-pr.done:
		case <-time.After(time.Until(deadline)):
			_ = pr.cmd.Process.Kill()
		}
	}
}
