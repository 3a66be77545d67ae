package consensus

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/sovereign-ledger/sovereign/chain"
)

// byzSend is a Byzantine validator's sending, as its mode says. Colluders
// (collude) behave that way too until one of them holds the key; then their
// votes for that round are the ones collude sent.
func (s *sim) byzSend(n *simNode, msg Message) {
	if v := msg.Vote; s.sc.collude && v != nil && s.colluded[[2]uint64{v.Height, uint64(v.Round)}] {
		return
	}
	switch s.sc.byz {
	case byzStrong, byzThird:
		s.byzStrongSend(n, msg)
	case byzEquivocate:
		s.equivocate(n, msg)
	default:
		s.send(n.id, msg, s.all())
	}
}

// equivocate: some of the validator's own votes and proposals go out in two
// versions, each to part of the network; the second is invalid or nil.
func (s *sim) equivocate(n *simNode, msg Message) {
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

// collude is the split strike, the f+1 attack when f+1 collude: when a
// Byzantine validator holds the key, two blocks are proposed, one to each
// half of the honest nodes, and every Byzantine validator prevotes and
// precommits each block to its half.
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

// halves splits the nodes at random in two.
func (s *sim) halves() (a, b []int) {
	for i := range s.nodes {
		if s.rng.Intn(2) == 0 {
			a = append(a, i)
		} else {
			b = append(b, i)
		}
	}
	return a, b
}

// noteReal remembers a real block proposed at a height, and keeps a sample
// of signed messages for replays.
func (s *sim) noteWire(msg Message) {
	if p := msg.Proposal; p != nil {
		h := p.Height
		hash := p.Block.Hash()
		for _, b := range s.realBlocks[h] {
			if b == hash {
				return
			}
		}
		if len(s.realBlocks[h]) < 8 {
			s.realBlocks[h] = append(s.realBlocks[h], hash)
		}
	}
	if s.rng.Intn(8) == 0 {
		if len(s.replayPool) < 256 {
			s.replayPool = append(s.replayPool, msg)
		} else {
			s.replayPool[s.rng.Intn(len(s.replayPool))] = msg
		}
	}
}

// otherReal is a real block of height h other than not, or nil.
func (s *sim) otherReal(h uint64, not common.Hash) common.Hash {
	var c []common.Hash
	for _, b := range s.realBlocks[h] {
		if b != not {
			c = append(c, b)
		}
	}
	if len(c) == 0 {
		return common.Hash{}
	}
	return c[s.rng.Intn(len(c))]
}

// byzStrongSend: a Byzantine validator that proposes two real blocks at
// once, votes for two real blocks at once, replays old messages, and is
// silent selectively.
func (s *sim) byzStrongSend(n *simNode, msg Message) {
	self := n.signer.Address()
	if s.rng.Intn(6) == 0 && len(s.replayPool) > 0 {
		// replay an old message, its own or anyone's, from an old round or height
		s.send(n.id, s.replayPool[s.rng.Intn(len(s.replayPool))], s.all())
	}
	switch {
	case msg.Vote != nil && msg.Vote.Validator == self:
		v := msg.Vote
		switch s.rng.Intn(10) {
		case 0, 1: // silent
			return
		case 2, 3: // to some only
			a, _ := s.halves()
			s.send(n.id, msg, a)
			return
		case 4, 5, 6: // for two real blocks at once
			alt := *v
			alt.BlockHash = s.otherReal(v.Height, v.BlockHash)
			if alt.BlockHash == v.BlockHash {
				break
			}
			alt.Sig = s.sign(n, alt.SignHash(testChainID))
			a, b := s.halves()
			s.send(n.id, msg, a)
			s.send(n.id, Message{Vote: &alt}, b)
			return
		}
	case msg.Proposal != nil && s.setAt(msg.Proposal.Height).Holder(s.seedAt[msg.Proposal.Height], msg.Proposal.Round) == self && msg.Proposal.POLRound < 0:
		p := msg.Proposal
		switch s.rng.Intn(4) {
		case 0: // silent
			return
		case 1, 2: // two real blocks: the same request built twice
			req := &ProposeRequest{Height: p.Height, Round: p.Round, LastCommit: p.Block.Header.LastCommit}
			alt := &Proposal{Height: p.Height, Round: p.Round, POLRound: -1, Block: buildBlock(req, self, 1+uint64(s.rng.Intn(1000)))}
			alt.Sig = s.sign(n, alt.SignHash(testChainID))
			s.noteWire(Message{Proposal: alt})
			a, b := s.halves()
			s.send(n.id, msg, a)
			s.send(n.id, Message{Proposal: alt}, b)
			return
		}
	}
	s.send(n.id, msg, s.all())
}

// byzServe is a Byzantine sync source: asked by n for its next block, it
// serves a forged block, a forged or short certificate, or (colluding) a
// block of another fork. n must refuse all but the last; what it accepts
// the checker sees committed.
func (s *sim) byzServe(n, p *simNode) {
	if s.rng.Intn(6) != 0 || n.m == nil {
		return
	}
	h := uint64(len(n.chain)) + 1
	var lc *chain.Certificate
	if len(n.chain) > 0 {
		lc = n.chain[len(n.chain)-1].Cert
	}
	seed := n.seeds[len(n.chain)]
	forged := buildBlock(&ProposeRequest{Height: h, LastCommit: lc}, s.setAt(h).Holder(seed, 0), 100+uint64(s.rng.Intn(1000)))
	var real *Commit
	for _, o := range s.nodes {
		if !o.byz && uint64(len(o.chain)) >= h {
			real = &o.chain[h-1]
			break
		}
	}
	byzCert := func(b *chain.Block) *chain.Certificate {
		c := &chain.Certificate{Height: h, Round: 0, BlockHash: b.Hash()}
		for _, o := range s.nodes {
			if o.byz {
				v := &Vote{Type: chain.VotePrecommit, Height: h, Round: 0, BlockHash: b.Hash(), Validator: o.signer.Address()}
				c.Sigs = append(c.Sigs, chain.CommitSig{Validator: v.Validator, Sig: s.sign(o, v.SignHash(testChainID))})
			}
		}
		return c
	}
	var offer Commit
	switch k := s.rng.Intn(5); {
	case k == 0 && s.sc.collude && uint64(len(p.chain)) >= h:
		offer = p.chain[h-1] // another fork's block, with a real certificate
	case k <= 1: // forged block, signed by the Byzantine validators only (short)
		offer = Commit{Block: forged, Cert: byzCert(forged)}
	case k == 2 && real != nil: // forged block under a real certificate's signatures
		c := *real.Cert
		c.BlockHash = forged.Hash()
		offer = Commit{Block: forged, Cert: &c}
	case k == 3 && real != nil: // the real block, certificate cut below quorum
		c := *real.Cert
		c.Sigs = nil
		var power uint64
		for _, cs := range real.Cert.Sigs {
			v, _ := s.setAt(h).Get(cs.Validator)
			if s.setAt(h).HasQuorum(power + v.Power) {
				break
			}
			c.Sigs = append(c.Sigs, cs)
			power += v.Power
		}
		offer = Commit{Block: real.Block, Cert: &c}
	case k == 4 && real != nil: // the real certificate padded with a Byzantine signature twice
		c := *real.Cert
		bc := byzCert(real.Block)
		c.Sigs = append(append([]chain.CommitSig(nil), bc.Sigs...), bc.Sigs...)
		offer = Commit{Block: real.Block, Cert: &c}
	default: // a forged certificate: real validators, garbage signatures
		c := byzCert(forged)
		for _, v := range s.setAt(h).Validators {
			sig := make([]byte, 65)
			s.rng.Read(sig[:64])
			c.Sigs = append(c.Sigs, chain.CommitSig{Validator: v.Address, Sig: sig})
		}
		offer = Commit{Block: forged, Cert: c}
	}
	if err := n.m.Catchup(offer); err == nil {
		s.tracef("node %d accepted block %d %s from Byzantine sync source %d", n.id, h, offer.Block.Hash().TerminalString(), p.id)
		s.drain(n)
	}
}
