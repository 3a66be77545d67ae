package audit

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/chainfile"
	"github.com/sovereign-ledger/sovereign/ledger"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
)

// Source yields a chain to audit: its genesis, its blocks from height 1 in
// order, and the last block's certificate.
type Source interface {
	// Name says where the chain comes from, for the report.
	Name() string
	// Genesis is the genesis document the source carries (nil: none; the
	// auditor must then be given one).
	Genesis() *chain.Genesis
	// Next returns the next block, or io.EOF after the last one.
	Next(ctx context.Context) (*chain.Block, error)
	// Final is the last block's certificate, after Next returned io.EOF.
	Final() *chain.Certificate
	// Progress is how far the source has been read, of how much (0: unknown).
	Progress() (done, total int64)
	Close() error
}

// storedSource is a source with a node's storage behind it: the audit also
// compares what the node stored with what re-execution gives.
type storedSource interface {
	DB() *ledger.DB
}

// FileSource reads a chain file.
type FileSource struct {
	path string
	f    *os.File
	size int64
	r    *chainfile.Reader
}

// OpenFile opens a chain file.
func OpenFile(path string) (*FileSource, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	r, err := chainfile.NewReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &FileSource{path: path, f: f, size: st.Size(), r: r}, nil
}

func (s *FileSource) Name() string                               { return "file " + s.path }
func (s *FileSource) Genesis() *chain.Genesis                    { return s.r.Genesis() }
func (s *FileSource) Next(context.Context) (*chain.Block, error) { return s.r.Next() }
func (s *FileSource) Final() *chain.Certificate                  { return s.r.Final() }
func (s *FileSource) Progress() (int64, int64)                   { return s.r.Offset(), s.size }
func (s *FileSource) Close() error                               { return s.f.Close() }

// DataDirSource reads a node's data directory, read-only.
type DataDirSource struct {
	dir   string
	store ledger.Store
	db    *ledger.DB
	head  uint64
	next  uint64
	final *chain.Certificate
}

// ChainData is where a node keeps its chain database inside its data dir.
func ChainData(dataDir string) string { return filepath.Join(dataDir, "chaindata") }

// OpenDataDir opens a node's chain database read-only. goleveldb locks the
// database even so: audit a copy of a running node's directory.
func OpenDataDir(dataDir string) (*DataDirSource, error) {
	store, err := ledger.OpenLevelDBReadOnly(ChainData(dataDir))
	if err != nil {
		return nil, fmt.Errorf("%w (a running node holds its database: audit a copy of its data dir)", err)
	}
	db := ledger.NewDB(store)
	head, ok, err := db.Head()
	if err != nil || !ok {
		store.Close()
		return nil, fmt.Errorf("data dir %s holds no chain (%v)", dataDir, err)
	}
	return &DataDirSource{dir: dataDir, store: store, db: db, head: head, next: 1}, nil
}

func (s *DataDirSource) Name() string            { return "data dir " + s.dir }
func (s *DataDirSource) Genesis() *chain.Genesis { return nil }
func (s *DataDirSource) DB() *ledger.DB          { return s.db }
func (s *DataDirSource) Head() uint64            { return s.head }
func (s *DataDirSource) Progress() (int64, int64) {
	return int64(s.next - 1), int64(s.head)
}
func (s *DataDirSource) Close() error { return s.store.Close() }

func (s *DataDirSource) Next(context.Context) (*chain.Block, error) {
	raw, err := s.NextRaw()
	if err != nil {
		return nil, err
	}
	return chain.DecodeBlock(raw)
}

// NextRaw is the next stored block's encoding (export copies it as is).
func (s *DataDirSource) NextRaw() ([]byte, error) {
	if s.next > s.head {
		if s.final == nil && s.head > 0 {
			c, err := s.db.Certificate(s.head)
			if err != nil {
				return nil, fmt.Errorf("%w: certificate of head %d: %v", chainfile.ErrTruncated, s.head, err)
			}
			s.final = c
		}
		return nil, io.EOF
	}
	raw, err := s.db.RawBlock(s.next)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", chainfile.ErrTruncated, err)
	}
	s.next++
	return raw, nil
}

func (s *DataDirSource) Final() *chain.Certificate { return s.final }

// RPCSource reads final blocks from a node's JSON-RPC, a few requests in
// flight so that the node answers on all its cores (it recovers every
// sender to serve a full block).
type RPCSource struct {
	url     string
	c       *wallet.Client
	genesis *chain.Genesis
	final   uint64
	next    uint64
	cert    *chain.Certificate
	pending []chan fetched // requests in flight, in height order
	asked   uint64         // highest height requested
}

// rpcInFlight is how many blocks are requested ahead.
const rpcInFlight = 4

type fetched struct {
	rb  *rpc.Block
	err error
}

// OpenRPC reads the genesis and the final height of the node at url (opts:
// wallet.WithToken for a node with RPC access control).
func OpenRPC(ctx context.Context, url string, opts ...wallet.DialOption) (*RPCSource, error) {
	c, err := wallet.DialContext(ctx, url, opts...)
	if err != nil {
		return nil, err
	}
	g, err := c.Genesis(ctx)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("genesis from %s: %w", url, err)
	}
	info, err := c.ChainInfo(ctx)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("chain info from %s: %w", url, err)
	}
	return &RPCSource{url: url, c: c, genesis: g, final: info.FinalHeight, next: 1}, nil
}

func (s *RPCSource) Name() string              { return "node " + s.url }
func (s *RPCSource) Genesis() *chain.Genesis   { return s.genesis }
func (s *RPCSource) Final() *chain.Certificate { return s.cert }
func (s *RPCSource) Progress() (int64, int64)  { return int64(s.next - 1), int64(s.final) }
func (s *RPCSource) Close() error              { s.c.Close(); return nil }
func (s *RPCSource) Head() uint64              { return s.final }

func (s *RPCSource) Next(ctx context.Context) (*chain.Block, error) {
	if s.next > s.final {
		return nil, io.EOF
	}
	for len(s.pending) < rpcInFlight && s.asked < s.final {
		s.asked++
		ch := make(chan fetched, 1)
		go func(h uint64) {
			rb, err := s.c.BlockByNumber(ctx, rpc.Height(h), true)
			ch <- fetched{rb, err}
		}(s.asked)
		s.pending = append(s.pending, ch)
	}
	var f fetched
	select {
	case f = <-s.pending[0]:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	s.pending = s.pending[1:]
	if f.err != nil {
		return nil, fmt.Errorf("block %d from %s: %w", s.next, s.url, f.err)
	}
	b, err := blockFromRPC(f.rb)
	if err != nil {
		return nil, fmt.Errorf("%w: block %d from %s: %v", chainfile.ErrMalformed, s.next, s.url, err)
	}
	if s.next == s.final {
		if f.rb.Certificate == nil {
			return nil, errors.New("the node serves no certificate for its final head yet; try again")
		}
		s.cert = certificateFromRPC(f.rb.Certificate)
	}
	s.next++
	return b, nil
}

// blockFromRPC rebuilds a block from its canonical header and raw
// transactions; nothing in the JSON is trusted beyond those bytes.
func blockFromRPC(rb *rpc.Block) (*chain.Block, error) {
	h := new(chain.Header)
	if err := rlp.DecodeBytes(rb.RLP, h); err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	b := &chain.Block{Header: h, Txs: make([]*chain.Tx, 0, len(rb.FullTxs))}
	for i, t := range rb.FullTxs {
		tx, err := chain.DecodeTx(t.Raw)
		if err != nil {
			return nil, fmt.Errorf("tx %d: %w", i, err)
		}
		b.Txs = append(b.Txs, tx)
	}
	if len(b.Txs) != rb.TxCount {
		return nil, fmt.Errorf("%d transactions served, block has %d", len(b.Txs), rb.TxCount)
	}
	return b, nil
}

func certificateFromRPC(c *rpc.Certificate) *chain.Certificate {
	out := &chain.Certificate{Height: c.Height, Round: c.Round, BlockHash: c.BlockHash}
	for _, s := range c.Signatures {
		out.Sigs = append(out.Sigs, chain.CommitSig{Validator: s.Validator, Sig: s.Sig})
	}
	return out
}
