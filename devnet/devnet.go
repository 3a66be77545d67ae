// Package devnet sets up and runs a local development consortium from the
// repository's genesis: its keys derive from the published, INSECURE
// development seed, so the chain is recreated identically anywhere.
package devnet

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Password protects the devnet's keystore files. Like every devnet key it is
// public: never use a devnet key for anything of value.
const Password = "devnet-insecure-password"

// AccountEntry is one line of DIR/accounts.json.
type AccountEntry struct {
	Address common.Address `json:"address"`
	Role    string         `json:"role"` // "bank" | "customer"
	Name    string         `json:"name,omitempty"`
	Bank    common.Address `json:"bank"` // the servicing bank (a bank services itself)
}

// Layout names the files of a devnet directory.
type Layout struct{ Dir string }

func (l Layout) Genesis() string      { return filepath.Join(l.Dir, "genesis.json") }
func (l Layout) Keystore() string     { return filepath.Join(l.Dir, "keystore") }
func (l Layout) PasswordFile() string { return filepath.Join(l.Dir, "password") }
func (l Layout) Accounts() string     { return filepath.Join(l.Dir, "accounts.json") }
func (l Layout) NodeDir(i int) string { return filepath.Join(l.Dir, fmt.Sprintf("node%d", i)) }
func (l Layout) ValidatorKey(i int) string {
	return filepath.Join(l.Dir, "validators", fmt.Sprintf("validator-%d.json", i))
}

// Genesis derives the devnet genesis with n validators from template (the
// repository's genesis.json): everything but the validator list is the
// template's; validators are the first n development validators.
func Genesis(template *chain.Genesis, n int) (*chain.Genesis, error) {
	if template.DevSeed != Seed {
		return nil, fmt.Errorf("genesis has no dev_seed %q: a devnet needs the published development keys", Seed)
	}
	if n < 1 {
		return nil, fmt.Errorf("--validators must be at least 1, got %d", n)
	}
	g := *template
	g.Validators = make([]chain.GenesisValidator, n)
	for i := range g.Validators {
		if i < len(template.Validators) {
			g.Validators[i] = template.Validators[i]
		} else {
			g.Validators[i] = Validator(i)
		}
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	return &g, nil
}

// Prepare makes dir a devnet directory, or checks the one already there:
// on a fresh dir it writes genesis, keystore, password and accounts.json;
// on an existing one it loads the genesis it holds, so a restart resumes the
// same chain.
func Prepare(dir string, template *chain.Genesis, validators int) (*chain.Genesis, error) {
	l := Layout{dir}
	if g, err := chain.LoadGenesis(l.Genesis()); err == nil {
		if len(g.Validators) != validators {
			return nil, fmt.Errorf("%s holds a devnet of %d validators, not %d: use another --dir", dir, len(g.Validators), validators)
		}
		return g, nil
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	g, err := Genesis(template, validators)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create devnet dir: %w", err)
	}
	if err := writeAccounts(l, g); err != nil {
		return nil, err
	}
	if err := writeValidatorFiles(l, validators); err != nil {
		return nil, err
	}
	raw, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, err
	}
	// genesis.json last: its presence marks a complete devnet directory.
	if err := os.WriteFile(l.Genesis(), append(raw, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("write genesis: %w", err)
	}
	return g, nil
}

// writeAccounts writes the funded demo accounts (banks and customers) as
// keystore v3 files, their password, and accounts.json.
func writeAccounts(l Layout, g *chain.Genesis) error {
	if err := os.WriteFile(l.PasswordFile(), []byte(Password+"\n"), 0o600); err != nil {
		return fmt.Errorf("write password file: %w", err)
	}
	ks := keystore.NewKeyStore(l.Keystore(), keystore.LightScryptN, keystore.LightScryptP)
	var entries []AccountEntry
	for i, b := range g.Banks {
		entries = append(entries, AccountEntry{Address: b.Address, Role: "bank", Name: b.Name, Bank: b.Address})
		if _, err := ks.ImportECDSA(Key(Seed, "bank", i), Password); err != nil && !errors.Is(err, keystore.ErrAccountAlreadyExists) {
			return fmt.Errorf("write bank key %d: %w", i, err)
		}
	}
	for i, a := range g.Accounts {
		if a.Role != "customer" {
			continue
		}
		entries = append(entries, AccountEntry{Address: a.Address, Role: "customer", Name: a.Name, Bank: a.Bank})
		key := Key(Seed, "customer", i)
		if crypto.PubkeyToAddress(key.PublicKey) != a.Address {
			return fmt.Errorf("genesis accounts[%d] is not development customer %d", i, i)
		}
		if _, err := ks.ImportECDSA(key, Password); err != nil && !errors.Is(err, keystore.ErrAccountAlreadyExists) {
			return fmt.Errorf("write customer key %d: %w", i, err)
		}
	}
	raw, err := json.MarshalIndent(entries, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(l.Accounts(), append(raw, '\n'), 0o644)
}
