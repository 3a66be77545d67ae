package wallet

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
)

func TestKeystoreRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	a, err := NewAccount(dir, "secret", LightScrypt())
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewAccount(dir, "other", LightScrypt())
	if err != nil {
		t.Fatal(err)
	}
	// Stray files do not confuse the keystore.
	os.WriteFile(filepath.Join(dir, "README"), []byte("not a key"), 0o600)
	os.WriteFile(filepath.Join(dir, "x.json"), []byte(`{"address":"zz"}`), 0o600)

	got, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !(got[0] == a && got[1] == b || got[0] == b && got[1] == a) {
		t.Fatalf("List = %v, want %s and %s", got, a, b)
	}
	key, err := Unlock(dir, a, "secret")
	if err != nil {
		t.Fatal(err)
	}
	if crypto.PubkeyToAddress(key.PublicKey) != a {
		t.Fatal("unlocked the wrong key")
	}
	if _, err := Unlock(dir, a, "wrong"); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("wrong password: %v", err)
	}
	if _, err := Unlock(dir, crypto.PubkeyToAddress(mustKey(t).PublicKey), "secret"); !errors.Is(err, ErrNoKey) {
		t.Fatalf("unknown address: %v", err)
	}
	info, err := os.Stat(filepath.Join(dir, mustOne(t, dir)))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", info.Mode(), err)
	}
}

func TestImportKey(t *testing.T) {
	dir := t.TempDir()
	key := mustKey(t)
	addr, err := ImportKey(dir, key, "pw", LightScrypt())
	if err != nil || addr != crypto.PubkeyToAddress(key.PublicKey) {
		t.Fatalf("import: %s %v", addr, err)
	}
	if _, err := ImportKey(dir, key, "pw", LightScrypt()); !errors.Is(err, ErrKeyExists) {
		t.Fatalf("second import: %v", err)
	}
	k2 := mustKey(t)
	addr2, err := ImportHexKey(dir, "0x"+common2hex(crypto.FromECDSA(k2)), "pw", LightScrypt())
	if err != nil || addr2 != crypto.PubkeyToAddress(k2.PublicKey) {
		t.Fatalf("hex import: %v", err)
	}
	back, err := Unlock(dir, addr2, "pw")
	if err != nil || !back.Equal(k2) {
		t.Fatalf("unlock imported: %v", err)
	}
	if _, err := ImportHexKey(dir, "0x1234", "pw", LightScrypt()); err == nil {
		t.Fatal("short hex key accepted")
	}
}

func TestListMissingDir(t *testing.T) {
	if _, err := List(filepath.Join(t.TempDir(), "nope")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing dir: %v", err)
	}
}

func TestStandardScryptIsDefault(t *testing.T) {
	if o := options(nil); o.scryptN != 1<<18 {
		t.Fatalf("default scrypt N = %d", o.scryptN)
	}
}
