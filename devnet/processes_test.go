package devnet

import (
	"strings"
	"testing"
)

// TestArgsHosts: without Hosts every validator is on loopback; with Hosts
// each listens (peers and RPC) at its own address and dials the others at
// theirs.
func TestArgsHosts(t *testing.T) {
	flag := func(args []string, name string) string {
		for k := 0; k+1 < len(args); k++ {
			if args[k] == name {
				return args[k+1]
			}
		}
		t.Fatalf("no %s in %v", name, args)
		return ""
	}
	for _, tc := range []struct {
		name                 string
		hosts                []string
		listen, rpc, url     string
		bootnodes, notInBoot []string
	}{
		{name: "loopback", listen: "/ip4/127.0.0.1/tcp/30301", rpc: "127.0.0.2:8546", url: "http://127.0.0.2:8546",
			bootnodes: []string{"/ip4/127.0.0.1/tcp/30300/p2p/", "/ip4/127.0.0.1/tcp/30302/p2p/"}, notInBoot: []string{"tcp/30301"}},
		{name: "own addresses", hosts: []string{"10.77.0.1", "10.77.0.2", "10.77.0.3"},
			listen: "/ip4/10.77.0.2/tcp/30301", rpc: "10.77.0.2:8546", url: "http://10.77.0.2:8546",
			bootnodes: []string{"/ip4/10.77.0.1/tcp/30300/p2p/", "/ip4/10.77.0.3/tcp/30302/p2p/"}, notInBoot: []string{"10.77.0.2", "127.0.0.1"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Processes{Layout: Layout{Dir: t.TempDir()}, N: 3, RPCHost: "127.0.0.2", RPCPort: 8545, P2PPort: 30300, LogLevel: "info", Hosts: tc.hosts}
			args, err := p.Args(1)
			if err != nil {
				t.Fatal(err)
			}
			if got := flag(args, "--p2p.listen"); got != tc.listen {
				t.Errorf("listen %s, want %s", got, tc.listen)
			}
			if got := flag(args, "--rpc.addr"); got != tc.rpc {
				t.Errorf("rpc %s, want %s", got, tc.rpc)
			}
			if got := p.RPCURL(1); got != tc.url {
				t.Errorf("RPCURL %s, want %s", got, tc.url)
			}
			boot := flag(args, "--p2p.bootnodes")
			for _, want := range tc.bootnodes {
				if !strings.Contains(boot, want) {
					t.Errorf("bootnodes %s lack %s", boot, want)
				}
			}
			for _, bad := range tc.notInBoot {
				if strings.Contains(boot, bad) {
					t.Errorf("bootnodes %s contain %s", boot, bad)
				}
			}
		})
	}
}
