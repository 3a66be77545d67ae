package audit

import (
	"context"
	"fmt"
	"io"

	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/chainfile"
	"github.com/sovereign-ledger/sovereign/ledger"
)

// rawSource is a source that can hand over blocks in their stored
// encoding, so export copies them without decoding.
type rawSource interface {
	NextRaw() ([]byte, error)
}

// Export writes src as a chain file: the genesis (g, or the source's), every
// block, the last block's certificate. It checks nothing beyond the framing:
// verifying is the auditor's job, and import's.
func Export(ctx context.Context, src Source, g *chain.Genesis, w io.Writer, progress func(Progress)) (uint64, error) {
	if g == nil {
		g = src.Genesis()
	}
	if g == nil {
		return 0, fmt.Errorf("%s carries no genesis document: give one (--genesis)", src.Name())
	}
	fw, err := chainfile.NewWriter(w, g)
	if err != nil {
		return 0, err
	}
	next := func() ([]byte, error) {
		b, err := src.Next(ctx)
		if err != nil {
			return nil, err
		}
		return b.Bytes(), nil
	}
	if raw, ok := src.(rawSource); ok {
		next = raw.NextRaw
	}
	for {
		if err := ctx.Err(); err != nil {
			return fw.Blocks(), err
		}
		b, err := next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fw.Blocks(), err
		}
		if err := fw.WriteRawBlock(b); err != nil {
			return fw.Blocks(), err
		}
		if progress != nil && fw.Blocks()%64 == 0 {
			done, total := src.Progress()
			progress(Progress{Height: fw.Blocks(), Done: done, Total: total})
		}
	}
	if fw.Blocks() > 0 && src.Final() == nil {
		return fw.Blocks(), fmt.Errorf("%s has no certificate for its last block %d", src.Name(), fw.Blocks())
	}
	return fw.Blocks(), fw.Finish(src.Final())
}

// Import verifies src as an audit does and commits every verified block,
// with its certificate, into store (which must be empty): a new observer
// starts from the result. It stops at the first failing block; the store
// then holds the chain up to the block before it.
func Import(ctx context.Context, src Source, store ledger.Store, cfg Config) (*Report, error) {
	cfg.Store = store
	return Run(ctx, src, cfg)
}
