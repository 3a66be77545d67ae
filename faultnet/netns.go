package faultnet

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
)

// Net is n network namespaces, each with one veth whose peer end is on a
// bridge of our own, with addresses in a private /24 (10.77.X.0/24). The
// bridge holds .254 so that this process reaches every node; node i holds
// .(i+1). Cuts are iptables DROP rules inside the namespaces, so they never
// touch traffic between this process and a node (RPC keeps working).
type Net struct {
	N      int
	Subnet string // "10.77.X"
	Bridge string
	NS     []string // namespace names

	prefix  string
	lock    *os.File
	mu      sync.Mutex
	cut     map[[2]int]bool // unordered pairs (i < j) currently cut
	cleanup []func() error
}

// Requirements reports why the harness cannot run here, or "" when it can.
func Requirements() string {
	if os.Geteuid() != 0 {
		return "faultnet needs root (network namespaces, iptables, mount)"
	}
	for _, tool := range []string{"ip", "iptables", "mount", "umount"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Sprintf("faultnet needs %s on PATH (apt-get install iproute2 iptables; see .ci/faultnet-deps.sh)", tool)
		}
	}
	// Root in an unprivileged container may still lack CAP_SYS_ADMIN and
	// CAP_NET_ADMIN: try a namespace.
	probe := fmt.Sprintf("sfnprobe%d", os.Getpid())
	if err := runTool("ip", "netns", "add", probe); err != nil {
		return fmt.Sprintf("faultnet cannot create network namespaces here (needs CAP_SYS_ADMIN and CAP_NET_ADMIN): %v", err)
	}
	_ = runTool("ip", "netns", "del", probe)
	return ""
}

// lockPath serializes harness runs on one machine: two harnesses would
// compete for the CPU and make each other's timings meaningless.
const lockPath = "/run/lock/sovereign-faultnet.lock"

// NewNet creates the bridge and n namespaces. On error everything already
// made is removed. Close removes the rest.
func NewNet(n int) (_ *Net, err error) {
	if n < 1 || n > 250 {
		return nil, fmt.Errorf("faultnet: %d nodes, want 1..250", n)
	}
	nt := &Net{N: n, cut: map[[2]int]bool{}}
	defer func() {
		if err != nil {
			nt.Close()
		}
	}()
	if err := os.MkdirAll("/run/lock", 0o755); err != nil {
		return nil, err
	}
	if nt.lock, err = os.OpenFile(lockPath, os.O_CREATE|os.O_RDWR, 0o644); err != nil {
		return nil, fmt.Errorf("faultnet lock: %w", err)
	}
	if err := syscall.Flock(int(nt.lock.Fd()), syscall.LOCK_EX); err != nil {
		return nil, fmt.Errorf("faultnet lock: %w", err)
	}
	if nt.Subnet, err = freeSubnet(); err != nil {
		return nil, err
	}
	// Interface names are at most 15 bytes: "sfn" + 4 hex + suffix.
	nt.prefix = fmt.Sprintf("sfn%04x", rand.IntN(1<<16))
	nt.Bridge = nt.prefix + "br"
	if err := nt.do(func() error { return runTool("ip", "link", "del", nt.Bridge) },
		"ip", "link", "add", nt.Bridge, "type", "bridge"); err != nil {
		return nil, err
	}
	if err := runTool("ip", "addr", "add", nt.Subnet+".254/24", "dev", nt.Bridge); err != nil {
		return nil, err
	}
	if err := runTool("ip", "link", "set", nt.Bridge, "up"); err != nil {
		return nil, err
	}
	// With br_netfilter loaded, bridged frames traverse the host's FORWARD
	// chain, whose policy may be DROP (as Docker sets it): let ours pass.
	accept := []string{"FORWARD", "-i", nt.Bridge, "-o", nt.Bridge, "-j", "ACCEPT"}
	if err := nt.do(func() error { return runTool("iptables", append([]string{"-D"}, accept...)...) },
		"iptables", append([]string{"-I"}, accept...)...); err != nil {
		return nil, err
	}
	for i := 0; i < n; i++ {
		if err := nt.addNode(i); err != nil {
			return nil, err
		}
	}
	return nt, nil
}

// freeSubnet picks 10.77.X.0/24 with no route on this host yet.
func freeSubnet() (string, error) {
	out, err := exec.Command("ip", "-4", "route", "show").Output()
	if err != nil {
		return "", fmt.Errorf("ip route: %w", err)
	}
	for x := 0; x < 256; x++ {
		s := fmt.Sprintf("10.77.%d", x)
		if !strings.Contains(string(out), s+".") {
			return s, nil
		}
	}
	return "", errors.New("faultnet: no free subnet in 10.77.0.0/16")
}

func (nt *Net) addNode(i int) error {
	ns := fmt.Sprintf("%sn%d", nt.prefix, i)
	host, peer := fmt.Sprintf("%sv%d", nt.prefix, i), fmt.Sprintf("%sp%d", nt.prefix, i)
	if err := nt.do(func() error { return runTool("ip", "netns", "del", ns) }, "ip", "netns", "add", ns); err != nil {
		return err
	}
	nt.NS = append(nt.NS, ns)
	if err := nt.do(func() error { return runTool("ip", "link", "del", host) },
		"ip", "link", "add", host, "type", "veth", "peer", "name", peer); err != nil {
		return err
	}
	for _, args := range [][]string{
		{"ip", "link", "set", host, "master", nt.Bridge},
		{"ip", "link", "set", host, "up"},
		{"ip", "link", "set", peer, "netns", ns},
		{"ip", "-n", ns, "link", "set", peer, "name", "eth0"},
		{"ip", "-n", ns, "addr", "add", nt.IP(i) + "/24", "dev", "eth0"},
		{"ip", "-n", ns, "link", "set", "eth0", "up"},
		{"ip", "-n", ns, "link", "set", "lo", "up"},
	} {
		if err := runTool(args[0], args[1:]...); err != nil {
			return err
		}
	}
	return nil
}

// IP is node i's address.
func (nt *Net) IP(i int) string { return fmt.Sprintf("%s.%d", nt.Subnet, i+1) }

// Hosts lists every node's address.
func (nt *Net) Hosts() []string {
	out := make([]string, nt.N)
	for i := range out {
		out[i] = nt.IP(i)
	}
	return out
}

// Command runs name inside node i's namespace.
func (nt *Net) Command(i int, name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", nt.NS[i], name}, args...)...)
}

// Cut drops all traffic between nodes i and j, both ways.
func (nt *Net) Cut(i, j int) error { return nt.setCut(i, j, true) }

// Mend undoes Cut(i, j).
func (nt *Net) Mend(i, j int) error { return nt.setCut(i, j, false) }

func (nt *Net) setCut(i, j int, cut bool) error {
	if i == j {
		return nil
	}
	if i > j {
		i, j = j, i
	}
	nt.mu.Lock()
	defer nt.mu.Unlock()
	if nt.cut[[2]int{i, j}] == cut {
		return nil
	}
	op := "-A"
	if !cut {
		op = "-D"
	}
	for _, e := range [][2]int{{i, j}, {j, i}} {
		ns, other := nt.NS[e[0]], nt.IP(e[1])
		if err := runTool("ip", "netns", "exec", ns, "iptables", op, "INPUT", "-s", other, "-j", "DROP"); err != nil {
			return err
		}
		if err := runTool("ip", "netns", "exec", ns, "iptables", op, "OUTPUT", "-d", other, "-j", "DROP"); err != nil {
			return err
		}
	}
	nt.cut[[2]int{i, j}] = cut
	return nil
}

// Partition cuts every link between different groups (and mends every link
// inside a group). Nodes in no group keep their links as they are.
func (nt *Net) Partition(groups ...[]int) error {
	group := map[int]int{}
	for g, members := range groups {
		for _, m := range members {
			group[m] = g
		}
	}
	for i := 0; i < nt.N; i++ {
		for j := i + 1; j < nt.N; j++ {
			gi, iok := group[i]
			gj, jok := group[j]
			if !iok || !jok {
				continue
			}
			if err := nt.setCut(i, j, gi != gj); err != nil {
				return err
			}
		}
	}
	return nil
}

// Isolate cuts node i off from every other node.
func (nt *Net) Isolate(i int) error {
	for j := 0; j < nt.N; j++ {
		if err := nt.setCut(i, j, true); err != nil {
			return err
		}
	}
	return nil
}

// HealAll mends every cut.
func (nt *Net) HealAll() error {
	var errs []error
	for i := 0; i < nt.N; i++ {
		for j := i + 1; j < nt.N; j++ {
			errs = append(errs, nt.setCut(i, j, false))
		}
	}
	return errors.Join(errs...)
}

// Close removes every namespace, link and rule this Net made, in reverse
// order, and releases the machine-wide lock. Safe to call twice.
func (nt *Net) Close() error {
	nt.mu.Lock()
	defer nt.mu.Unlock()
	var errs []error
	for k := len(nt.cleanup) - 1; k >= 0; k-- {
		errs = append(errs, nt.cleanup[k]())
	}
	nt.cleanup = nil
	if nt.lock != nil {
		nt.lock.Close() // releases the flock
		nt.lock = nil
	}
	return errors.Join(errs...)
}

// do runs a command that creates something and, if it succeeds, registers
// undo for Close.
func (nt *Net) do(undo func() error, name string, args ...string) error {
	if err := runTool(name, args...); err != nil {
		return err
	}
	nt.cleanup = append(nt.cleanup, undo)
	return nil
}

func runTool(name string, args ...string) error {
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
