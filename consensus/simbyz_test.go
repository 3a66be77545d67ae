package consensus

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
)

// byzSend is an equivocating validator's sending: some of its own votes and
// proposals go out in two versions, each to part of the network.
func (s *sim) byzSend(n *simNode, msg Message) {
	if s.sc.byz == byzCollude {
		// Colluders behave until one of them holds the key; then their
		// votes for that round are the ones collude sent.
		if v := msg.Vote; v != nil && s.colluded[[2]uint64{v.Height, uint64(v.Round)}] {
			return
		}
		s.send(n.id, msg, s.all())
		return
	}
	self := n.signer.Address()
	if v := msg.Vote; v != nil && v.Validator == self {
		switch s.rng.Intn(10) {
		case 0: // a correctly signed vote far in the future: alone, it must not move anyone (line 55 needs f+1)
			far := &Vote{Type: v.Type, Height: v.Height, Round: v.Round + 20 + uint32(s.rng.Intn(1000)), Validator: self}
			far.Sig = s.sign(n, far.SignHash(testChainID))
			s.send(n.id, Message{Vote: far}, s.all())
		case 1: // a forged signature
			bad := *v
			bad.Sig = append([]byte(nil), v.Sig...)
			bad.Sig[5] ^= 0xff
			s.send(n.id, Message{Vote: &bad}, s.all())
		}
	}
	var alt Message
	switch {
	case msg.Vote != nil && msg.Vote.Validator == self && s.rng.Intn(2) == 0:
		v := *msg.Vote
		if v.IsNil() {
			v.BlockHash = crypto.Keccak256Hash([]byte("byzantine"), v.Sig)
		} else {
			v.BlockHash = common.Hash{}
		}
		v.Sig = s.sign(n, v.SignHash(testChainID))
		alt = Message{Vote: &v}
	case msg.Proposal != nil && s.rng.Intn(2) == 0:
		p := *msg.Proposal
		hd := *p.Block.Header
		hd.Time += 1 + uint64(s.rng.Intn(1000))
		switch s.rng.Intn(4) {
		case 0: // invalid: no parent certificate (or one at height 1)
			if hd.LastCommit == nil {
				hd.LastCommit = &chain.Certificate{Height: 0}
			} else {
				hd.LastCommit = nil
			}
		case 1: // invalid: names another proposer
			hd.Proposer = s.nodes[(n.id+1)%s.sc.n].signer.Address()
		}
		p.Block = &chain.Block{Header: &hd, Txs: p.Block.Txs}
		p.Sig = s.sign(n, p.SignHash(testChainID))
		alt = Message{Proposal: &p}
	default:
		s.send(n.id, msg, s.all())
		return
	}
	var a, b []int
	for i := range s.nodes {
		if s.rng.Intn(2) == 0 {
			a = append(a, i)
		} else {
			b = append(b, i)
		}
	}
	s.send(n.id, msg, a)
	s.send(n.id, alt, b)
}

func (s *sim) sign(n *simNode, h common.Hash) []byte {
	sig, err := n.signer.Sign(h)
	if err != nil {
		panic(err)
	}
	return sig
}

// collude is the f+1 attack: when a colluder holds the key, two blocks are
// proposed, one to each half of the honest nodes, and every colluder
// prevotes and precommits each block to its half.
func (s *sim) collude(holder *simNode, req *ProposeRequest) {
	key := [2]uint64{req.Height, uint64(req.Round)}
	if s.colluded[key] {
		return
	}
	s.colluded[key] = true
	var honest []int
	for _, n := range s.nodes {
		if !n.byz {
			honest = append(honest, n.id)
		}
	}
	halves := [2][]int{honest[:len(honest)/2], honest[len(honest)/2:]}
	for side, to := range halves {
		b := buildBlock(req, holder.signer.Address(), uint64(side))
		p := &Proposal{Height: req.Height, Round: req.Round, POLRound: -1, Block: b}
		p.Sig = s.sign(holder, p.SignHash(testChainID))
		s.send(holder.id, Message{Proposal: p}, to)
		for _, c := range s.nodes {
			if !c.byz {
				continue
			}
			for _, t := range []chain.VoteType{chain.VotePrevote, chain.VotePrecommit} {
				v := &Vote{Type: t, Height: req.Height, Round: req.Round, BlockHash: b.Hash(), Validator: c.signer.Address()}
				v.Sig = s.sign(c, v.SignHash(testChainID))
				s.send(c.id, Message{Vote: v}, to)
			}
		}
	}
}
