package consensus

// The watch of a validator that lost its signer state (cometbft's
// double_sign_check_height). Without its safety record the machine cannot
// know which steps it signed before: signing again could sign one of them
// differently. So it follows the chain signing nothing until it has
// decided Config.DoubleSignCheckHeights consecutive heights from live
// votes, with no message signed by its own key at those heights or later
// and no sign of being behind. A validator signs at most up to the height
// after the last one decided when it lost its state; counting only heights
// decided live, after that, pushes its first new signature past them.
//
// While it watches the machine emits no Ready.Safety or Ready.Valid, so the
// node's signer state stays missing: a crash during the watch restarts it
// with SignerStateLost again instead of from a record that looks complete.

// noteOwn records a message signed with our key, which this machine did
// not sign, at height h: the validator signed there before the loss.
func (m *Machine) noteOwn(h uint64) {
	if m.watchLeft == 0 {
		return
	}
	if h > m.ownSeen {
		m.ownSeen = h
	}
}

// noteBehind records a sign that the network is ahead of this machine.
func (m *Machine) noteBehind() {
	if m.watchLeft > 0 {
		m.watchBehind = true
	}
}

// watchDecided counts height h, just decided, or starts the count again.
func (m *Machine) watchDecided(h uint64) {
	if m.watchLeft == 0 {
		return
	}
	if m.ownSeen < h && !m.watchBehind {
		m.watchLeft--
	} else {
		m.watchLeft = m.cfg.DoubleSignCheckHeights
	}
	m.watchBehind = false
}

// watchFuture looks at a message two or more heights ahead while the
// watch runs: from a validator, it shows the machine is behind, and if it
// is signed with our own key, that the validator signed there.
func (m *Machine) watchFuture(msg Message) {
	if m.watchLeft == 0 {
		return
	}
	signer, err := m.signerOf(msg, m.cfg.setAt(msg.Height()))
	if err != nil {
		return
	}
	m.noteBehind()
	if signer == m.self {
		m.noteOwn(msg.Height())
	}
}
