package ledger

import (
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/trie"
	"github.com/ethereum/go-ethereum/trie/trienode"
	"github.com/ethereum/go-ethereum/triedb/database"
)

// The state commitment is go-ethereum's Merkle-Patricia trie over
// Keccak(key) → value, stored by path like go-ethereum's path scheme: only
// the latest state's nodes are kept, overwritten in place in the same batch
// as the block (docs/adr/0002-state-commitment.md).

// trieNodes serves trie nodes from the store to go-ethereum's trie.
type trieNodes struct{ s *DB }

func (d trieNodes) NodeReader(common.Hash) (database.NodeReader, error) { return d, nil }

// Node returns the node at path if it has the expected hash. A node
// overwritten by a later block has another hash and reads as missing, which
// the trie reports as an error rather than a wrong value.
func (d trieNodes) Node(_ common.Hash, path []byte, hash common.Hash) ([]byte, error) {
	raw, err := d.s.trieNode(path)
	if err != nil {
		return nil, fmt.Errorf("read trie node %x: %w", path, err)
	}
	if len(raw) < common.HashLength || common.BytesToHash(raw[:common.HashLength]) != hash {
		return nil, nil
	}
	return raw[common.HashLength:], nil
}

// trieNode reads the stored node at path (its hash, then its blob).
func (s *DB) trieNode(path []byte) ([]byte, error) {
	load := func(path []byte) ([]byte, error) { return s.get(prefixed(kTrieNode, path)) }
	if s.nodes == nil {
		return load(path)
	}
	return s.nodes.get(path, load)
}

// trieNodeChanges are a commit's trie nodes as writes by path (without the
// store's prefix): hash ‖ blob, or nil for a deleted node.
func trieNodeChanges(nodes *trienode.NodeSet) []Change {
	if nodes == nil {
		return nil
	}
	var out []Change
	nodes.ForEachWithOrder(func(path string, n *trienode.Node) {
		c := Change{Key: []byte(path)}
		if !n.IsDeleted() {
			c.Value = append(n.Hash.Bytes(), n.Blob...)
		}
		out = append(out, c)
	})
	return out
}

// openTrie opens the state trie at root.
func (s *DB) openTrie(root common.Hash) (*trie.Trie, error) {
	t, err := trie.New(trie.TrieID(root), trieNodes{s})
	if err != nil {
		return nil, fmt.Errorf("open state trie %s: %w", root, err)
	}
	return t, nil
}

// updateTrie applies changes to a copy of base and returns the new root and
// the nodes to write; base stays usable.
func updateTrie(base *trie.Trie, changes []Change) (common.Hash, *trienode.NodeSet, error) {
	t := base.Copy()
	keys := make([][]byte, len(changes))
	vals := make([][]byte, len(changes))
	for i, c := range changes {
		keys[i] = crypto.Keccak256(c.Key)
		vals[i] = c.Value
	}
	for i := range keys {
		var err error
		if vals[i] == nil {
			err = t.Delete(keys[i])
		} else {
			err = t.Update(keys[i], vals[i])
		}
		if err != nil {
			return common.Hash{}, nil, fmt.Errorf("update state trie: %w", err)
		}
	}
	root, nodes := t.Commit(false)
	return root, nodes, nil
}

// proveKey writes the Merkle proof of Keccak(key) in t into w.
func proveKey(t *trie.Trie, key []byte, w ethdb.KeyValueWriter) error {
	return t.Prove(crypto.Keccak256(key), w)
}
