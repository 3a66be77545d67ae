package wallet

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/google/uuid"
)

// Keystore errors callers tell apart.
var (
	ErrWrongPassword = errors.New("wrong password")
	ErrNoKey         = errors.New("no key for address")
	ErrKeyExists     = errors.New("key already in keystore")
)

// KeyOption tunes key encryption.
type KeyOption func(*keyOpts)

type keyOpts struct{ scryptN, scryptP int }

// LightScrypt encrypts with go-ethereum's light scrypt parameters (4 MB,
// fast): for tests and development chains only.
func LightScrypt() KeyOption {
	return func(o *keyOpts) { o.scryptN, o.scryptP = keystore.LightScryptN, keystore.LightScryptP }
}

func options(opts []KeyOption) keyOpts {
	o := keyOpts{keystore.StandardScryptN, keystore.StandardScryptP}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// NewAccount generates a key, stores it in dir as an Ethereum keystore v3
// file encrypted with password, and returns its address.
func NewAccount(dir, password string, opts ...KeyOption) (common.Address, error) {
	key, err := crypto.GenerateKey()
	if err != nil {
		return common.Address{}, fmt.Errorf("generate key: %w", err)
	}
	return ImportKey(dir, key, password, opts...)
}

// ImportKey stores an existing private key in dir, encrypted with password.
// It refuses a key whose address the keystore already holds.
func ImportKey(dir string, key *ecdsa.PrivateKey, password string, opts ...KeyOption) (common.Address, error) {
	addr := crypto.PubkeyToAddress(key.PublicKey)
	existing, err := keyFiles(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return common.Address{}, err
	}
	if len(existing[addr]) > 0 {
		return common.Address{}, fmt.Errorf("%w: %s in %s", ErrKeyExists, addr.Hex(), existing[addr][0])
	}
	id, err := uuid.NewRandom()
	if err != nil {
		return common.Address{}, fmt.Errorf("key id: %w", err)
	}
	o := options(opts)
	enc, err := keystore.EncryptKey(&keystore.Key{Id: id, Address: addr, PrivateKey: key}, password, o.scryptN, o.scryptP)
	if err != nil {
		return common.Address{}, fmt.Errorf("encrypt key: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return common.Address{}, fmt.Errorf("keystore directory: %w", err)
	}
	name := filepath.Join(dir, keyFileName(addr, time.Now()))
	if err := writeFileAtomic(name, enc); err != nil {
		return common.Address{}, fmt.Errorf("write key file: %w", err)
	}
	return addr, nil
}

// ImportHexKey imports a hex-encoded secp256k1 private key (with or without 0x).
func ImportHexKey(dir, hexKey, password string, opts ...KeyOption) (common.Address, error) {
	key, err := crypto.HexToECDSA(strings.TrimPrefix(strings.TrimSpace(hexKey), "0x"))
	if err != nil {
		return common.Address{}, fmt.Errorf("private key: %w", err)
	}
	return ImportKey(dir, key, password, opts...)
}

// List returns the addresses of the keys in dir, sorted. A missing
// directory is an error naming it; files that are not key files are skipped.
func List(dir string) ([]common.Address, error) {
	files, err := keyFiles(dir)
	if err != nil {
		return nil, err
	}
	out := make([]common.Address, 0, len(files))
	for a := range files {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Cmp(out[j]) < 0 })
	return out, nil
}

// Unlock finds the key file for addr in dir and decrypts it with password.
func Unlock(dir string, addr common.Address, password string) (*ecdsa.PrivateKey, error) {
	files, err := keyFiles(dir)
	if err != nil {
		return nil, err
	}
	paths := files[addr]
	if len(paths) == 0 {
		return nil, fmt.Errorf("%w %s in keystore %s", ErrNoKey, addr.Hex(), dir)
	}
	var errs []error
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		key, err := keystore.DecryptKey(raw, password)
		switch {
		case errors.Is(err, keystore.ErrDecrypt):
			errs = append(errs, fmt.Errorf("%w for %s (%s)", ErrWrongPassword, addr.Hex(), filepath.Base(path)))
		case err != nil:
			errs = append(errs, fmt.Errorf("key file %s: %w", path, err))
		case key.Address != addr:
			errs = append(errs, fmt.Errorf("key file %s holds %s, not %s", path, key.Address.Hex(), addr.Hex()))
		default:
			return key.PrivateKey, nil
		}
	}
	return nil, errors.Join(errs...)
}

// keyFiles maps each address to the key files in dir that claim it.
func keyFiles(dir string) (map[common.Address][]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("keystore %s: %w", dir, err)
	}
	out := make(map[common.Address][]string)
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || strings.HasPrefix(name, ".") || strings.HasSuffix(name, "~") {
			continue
		}
		path := filepath.Join(dir, name)
		raw, err := os.ReadFile(path)
		if err != nil || len(raw) > 1<<16 {
			continue
		}
		var head struct {
			Address string `json:"address"`
			Crypto  any    `json:"crypto"`
		}
		if json.Unmarshal(raw, &head) != nil || head.Crypto == nil || !common.IsHexAddress(head.Address) {
			continue
		}
		a := common.HexToAddress(head.Address)
		out[a] = append(out[a], path)
	}
	return out, nil
}

// keyFileName follows go-ethereum's naming: UTC--<time>--<address hex>.
func keyFileName(addr common.Address, t time.Time) string {
	t = t.UTC()
	ts := fmt.Sprintf("%04d-%02d-%02dT%02d-%02d-%02d.%09dZ", t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond())
	return fmt.Sprintf("UTC--%s--%x", ts, addr[:])
}

// writeFileAtomic writes a private (0600) file via a temporary file and rename.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o600)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
