package wallet

import (
	"crypto/ecdsa"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
)

func mustKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func common2hex(b []byte) string { return hex.EncodeToString(b) }

// mustOne returns the name of one key file in dir.
func mustOne(t *testing.T, dir string) string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if strings.HasPrefix(e.Name(), "UTC--") {
			return e.Name()
		}
	}
	t.Fatal("no key file")
	return ""
}
