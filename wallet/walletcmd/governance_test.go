package walletcmd

import (
	"strconv"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/node/nodetest"
	"github.com/sovereign-ledger/sovereign/rpc"
	"github.com/sovereign-ledger/sovereign/wallet"
)

func (e *cliEnv) gov(args ...string) result {
	e.t.Helper()
	return e.run(append([]string{"governance"}, args...)...)
}

// TestGovernanceCLI: propose prints the proposal id; on the one-validator
// test chain the proposer's own approval is the whole power, so list shows
// it approved with its effective height, and validators at that height
// show the new power, while the height before still shows the old one.
func TestGovernanceCLI(t *testing.T) {
	e := newCLIEnv(t)
	if _, err := wallet.ImportKey(e.keystore, e.keys.Validator, "hunter2", wallet.LightScrypt()); err != nil {
		t.Fatal(err)
	}
	v := nodetest.Addr(e.keys.Validator).Hex()
	signer := []string{"--rpc", e.url, "--keystore", e.keystore, "--password-file", e.pwFile, "--from", v}
	if r := e.gov(append([]string{"propose", "--set-power", v + "=3", "--remove-validator", v}, signer...)...); r.runErr == nil || !strings.Contains(r.runErr.Error(), "exactly one change") {
		t.Fatalf("two changes at once: %v", r.runErr)
	}
	if r := e.gov(append([]string{"propose", "--add-validator", common.Address{5}.Hex(), "--power", "1"}, signer...)...); r.runErr == nil || !strings.Contains(r.runErr.Error(), "hash chain is required") {
		t.Fatalf("add without a hash chain: %v", r.runErr)
	}
	r := e.gov(append([]string{"propose", "--set-power", v + "=3"}, signer...)...)
	if r.runErr != nil {
		t.Fatalf("propose: %v %s", r.runErr, r.out)
	}
	id := common.HexToHash(strings.TrimSpace(r.out))
	e.chain.Seal()
	var ps []rpc.Proposal
	r = e.gov("list", "--rpc", e.url, "--json")
	decode(t, r.out, &ps)
	if len(ps) != 1 || ps[0].ID != id || ps[0].Status != "approved" || ps[0].Kind != "set_power" || ps[0].EffectiveAt == 0 {
		t.Fatalf("list: %+v", ps)
	}
	if out := e.gov("show", "--rpc", e.url, id.Hex()).out; !strings.Contains(out, "status approved") {
		t.Fatalf("show: %s", out)
	}
	for i := 0; i < 3; i++ {
		e.chain.Seal()
	}
	var before, after rpc.ValidatorSet
	decode(t, e.gov("validators", "--rpc", e.url, "--json", "--height", itoa(ps[0].EffectiveAt-1)).out, &before)
	decode(t, e.gov("validators", "--rpc", e.url, "--json", "--height", itoa(ps[0].EffectiveAt)).out, &after)
	if before.Validators[0].Power != 1 || after.Validators[0].Power != 3 || before.Hash == after.Hash {
		t.Fatalf("before %+v after %+v", before, after)
	}
	client, err := wallet.Dial(e.url)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	info, err := client.ChainInfo(t.Context())
	if err != nil || info.Validators[0].Power != 3 {
		t.Fatalf("chainInfo at the head: %+v %v", info, err)
	}
}

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }
