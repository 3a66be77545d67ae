// Package consortium creates a new consortium's genesis with fresh keys:
// one encrypted key file per validator and member bank, and each
// validator's hash-chain secret, whose tip goes into genesis.
package consortium

import (
	"crypto/ecdsa"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/google/uuid"
	"github.com/sovereign-ledger/sovereign/chain"
)

// Config describes the consortium to create.
type Config struct {
	ChainID         string
	Validators      int
	Banks           []string // member bank names
	Assets          []string // "SYMBOL:DECIMALS"; every bank issues every asset
	Out             string   // output directory; must not exist yet
	Password        string   // encrypts every key file
	HashChainLength uint64
	Now             time.Time
	ScryptN         int // keystore KDF cost; default keystore.StandardScryptN
	ScryptP         int
}

// Result names what was written.
type Result struct {
	Genesis     *chain.Genesis
	GenesisPath string
	Files       []string
}

// New creates the consortium: keys, hash chains, genesis.json.
func New(cfg Config) (*Result, error) {
	if cfg.Validators < 1 {
		return nil, fmt.Errorf("--validators must be at least 1")
	}
	if len(cfg.Banks) == 0 {
		return nil, fmt.Errorf("--bank: at least one member bank is required")
	}
	if cfg.Password == "" {
		return nil, fmt.Errorf("a password is required to encrypt the key files")
	}
	if cfg.HashChainLength == 0 {
		cfg.HashChainLength = chain.DefaultHashChainLength
	}
	if cfg.ScryptN == 0 {
		cfg.ScryptN, cfg.ScryptP = keystore.StandardScryptN, keystore.StandardScryptP
	}
	if _, err := os.Stat(cfg.Out); err == nil {
		return nil, fmt.Errorf("%s exists: refusing to overwrite a consortium's keys", cfg.Out)
	}
	if err := os.MkdirAll(filepath.Join(cfg.Out, "validators"), 0o700); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(cfg.Out, "banks"), 0o700); err != nil {
		return nil, err
	}
	g := &chain.Genesis{ChainID: cfg.ChainID, Time: cfg.Now.UTC().Truncate(time.Second), Params: chain.DefaultParams}
	res := &Result{Genesis: g}
	var banks []common.Address
	for i, name := range cfg.Banks {
		path := filepath.Join(cfg.Out, "banks", fmt.Sprintf("bank-%d.json", i))
		addr, err := newKeyFile(path, cfg)
		if err != nil {
			return nil, err
		}
		banks = append(banks, addr)
		g.Banks = append(g.Banks, chain.GenesisBank{Address: addr, Name: name})
		res.Files = append(res.Files, path)
	}
	for _, spec := range cfg.Assets {
		sym, decStr, ok := strings.Cut(spec, ":")
		dec, err := strconv.ParseUint(decStr, 10, 8)
		if !ok || err != nil {
			return nil, fmt.Errorf("--asset %q: want SYMBOL:DECIMALS, e.g. CNY:2", spec)
		}
		g.Assets = append(g.Assets, chain.GenesisAsset{Symbol: sym, Decimals: uint8(dec), Issuers: banks})
	}
	for i := 0; i < cfg.Validators; i++ {
		keyPath := filepath.Join(cfg.Out, "validators", fmt.Sprintf("validator-%d.json", i))
		addr, err := newKeyFile(keyPath, cfg)
		if err != nil {
			return nil, err
		}
		var secret common.Hash
		if _, err := rand.Read(secret[:]); err != nil {
			return nil, err
		}
		secretPath := filepath.Join(cfg.Out, "validators", fmt.Sprintf("hashchain-%d", i))
		if err := os.WriteFile(secretPath, []byte(secret.Hex()+"\n"), 0o600); err != nil {
			return nil, err
		}
		tip := chain.NewHashChain(secret, cfg.HashChainLength).Tip()
		g.Validators = append(g.Validators, chain.GenesisValidator{Address: addr, Name: fmt.Sprintf("validator-%d", i), Power: 1, RevealTip: tip, RevealLength: cfg.HashChainLength})
		res.Files = append(res.Files, keyPath, secretPath)
	}
	if err := g.Validate(); err != nil {
		return nil, err
	}
	raw, err := json.MarshalIndent(g, "", "  ")
	if err != nil {
		return nil, err
	}
	res.GenesisPath = filepath.Join(cfg.Out, "genesis.json")
	if err := os.WriteFile(res.GenesisPath, append(raw, '\n'), 0o644); err != nil {
		return nil, err
	}
	return res, nil
}

// newKeyFile generates a key and writes it as a keystore v3 file.
func newKeyFile(path string, cfg Config) (common.Address, error) {
	key, err := crypto.GenerateKey()
	if err != nil {
		return common.Address{}, err
	}
	return writeKey(path, key, cfg)
}

func writeKey(path string, key *ecdsa.PrivateKey, cfg Config) (common.Address, error) {
	id, err := uuid.NewRandom()
	if err != nil {
		return common.Address{}, err
	}
	k := &keystore.Key{Id: id, Address: crypto.PubkeyToAddress(key.PublicKey), PrivateKey: key}
	raw, err := keystore.EncryptKey(k, cfg.Password, cfg.ScryptN, cfg.ScryptP)
	if err != nil {
		return common.Address{}, fmt.Errorf("encrypt %s: %w", path, err)
	}
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		return common.Address{}, err
	}
	return k.Address, nil
}
