package node

import (
	"fmt"
	"time"

	"github.com/sovereign-ledger/sovereign/ledger"
)

// checkStore runs the start-up integrity check (ledger.CheckIntegrity):
// the node refuses to start on a store with a block or certificate missing,
// and, with DeepCheck, on one whose certificates, checksums or state do not
// verify. The error names the damage and the recovery.
func checkStore(l *ledger.Ledger, cfg Config) error {
	start := time.Now()
	res, err := l.CheckIntegrity(cfg.DeepCheck)
	if err != nil {
		return fmt.Errorf("start-up check of %s: %w", cfg.storeDir(), err)
	}
	cfg.Logger.Info("store verified", "head", res.Head, "deep", res.Deep, "took", time.Since(start).Round(time.Millisecond))
	return nil
}
