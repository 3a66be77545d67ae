package p2p

import (
	"bufio"
	"bytes"
	"testing"

	"github.com/ethereum/go-ethereum/rlp"
	"github.com/sovereign-ledger/sovereign/chain"
)

// FuzzSyncResponse feeds arbitrary bytes to the sync response decoder the
// way FetchBlocks reads a peer's stream: it must fail cleanly, never panic.
func FuzzSyncResponse(f *testing.F) {
	var buf bytes.Buffer
	_ = rlp.Encode(&buf, &SyncedBlock{
		Block: &chain.Block{Header: &chain.Header{ChainID: "c", Height: 1}},
		Cert:  &chain.Certificate{Height: 1, Sigs: []chain.CommitSig{{Sig: make([]byte, 65)}}},
	})
	f.Add(buf.Bytes())
	f.Add([]byte{0xc0})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := rlp.NewStream(bufio.NewReader(bytes.NewReader(data)), maxSyncBytes)
		for i := 0; i < MaxSyncBlocks; i++ {
			var sb SyncedBlock
			if err := s.Decode(&sb); err != nil {
				return
			}
		}
	})
}

// FuzzSyncRequest: the request decoder a server runs on a peer's bytes.
func FuzzSyncRequest(f *testing.F) {
	raw, _ := rlp.EncodeToBytes(&syncRequest{From: 5, Count: 64})
	f.Add(raw)
	f.Fuzz(func(t *testing.T, data []byte) {
		var req syncRequest
		_ = rlp.NewStream(bytes.NewReader(data), maxRequestSize).Decode(&req)
	})
}
