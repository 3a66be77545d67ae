package sovereign

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayering keeps protocol values apart from the machinery that stores and
// executes them (docs/adr/0008-package-layout.md): only the ledger and the
// tools that re-execute link the database and the state trie.
func TestLayering(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go command not on PATH")
	}
	forbidden := []string{"github.com/syndtr/goleveldb", "github.com/ethereum/go-ethereum/trie"}
	for _, pkg := range []string{"chain", "consensus", "txpool", "p2p", "rpc", "wallet"} {
		out, err := exec.Command("go", "list", "-deps", "./"+pkg).Output()
		if err != nil {
			t.Fatalf("go list -deps ./%s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			for _, f := range forbidden {
				if strings.HasPrefix(dep, f) {
					t.Errorf("%s depends on %s", pkg, dep)
				}
			}
		}
	}
}
