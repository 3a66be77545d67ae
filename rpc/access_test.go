package rpc_test

import (
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/golang-jwt/jwt/v5"
	"github.com/sovereign-ledger/sovereign/chain"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// The callers of the role table: who, with which token.
const (
	asPublic = iota
	asAlice
	asBob
	asBank
	asOtherBank
	asAdmin
	callers
)

var callerNames = [callers]string{"public", "account alice", "account bob", "bank of alice", "other bank", "admin"}

func callerTokens(t *testing.T, fx fixture) [callers]string {
	return [callers]string{
		"", token(t, rpc.RoleAccount, fx.Alice), token(t, rpc.RoleAccount, fx.Bob),
		token(t, rpc.RoleBank, fx.Bank), token(t, rpc.RoleBank, fx.OtherBank), token(t, rpc.RoleAdmin, common.Address{}),
	}
}

// Who may make each call. Every classified method has at least one row
// (TestRoleTableCoversEveryMethod); subscriptions are "sov_subscribe:NAME".
var (
	everyone  = [callers]bool{true, true, true, true, true, true}
	signers   = [callers]bool{false, true, true, true, true, true}
	alicesOwn = [callers]bool{false, true, false, true, false, true} // alice, her bank, admin
	bankOwn   = [callers]bool{false, false, false, true, false, true}
	adminOnly = [callers]bool{false, false, false, false, false, true}
	// alice's payment waiting for bob, her supervisor: both, their bank, admin
	partiesOfApproval = [callers]bool{false, true, true, true, false, true}
	publicRecord      = everyone
)

type roleRow struct {
	method  string
	params  func(fixture) []any
	allowed [callers]bool
}

var roleRows = []roleRow{
	{"sov_chainInfo", nil, everyone},
	{"sov_genesis", nil, everyone},
	{"sov_getBlockByNumber", func(fixture) []any { return []any{"latest", true} }, everyone},
	{"sov_getTransaction", func(fixture) []any { return []any{common.Hash{1}} }, everyone},
	{"sov_waitTransaction", func(fixture) []any { return []any{common.Hash{1}, 1} }, everyone},
	{"sov_getBank", func(f fixture) []any { return []any{f.Bank} }, everyone},
	{"sov_sendRawTransaction", func(fixture) []any { return []any{"0xc0"} }, signers},
	{"sov_sendRawTransactions", func(fixture) []any { return []any{[]string{"0xc0"}} }, signers},
	{"sov_getAccount", func(f fixture) []any { return []any{f.Alice} }, alicesOwn},
	{"sov_getProof", func(f fixture) []any { return []any{map[string]any{"account": f.Alice}} }, alicesOwn},
	{"sov_getProof", func(f fixture) []any { return []any{map[string]any{"key": hexutil.Bytes(chain.AccountKey(f.Alice))}} }, alicesOwn},
	{"sov_getProof", func(f fixture) []any { return []any{map[string]any{"escrow": f.Escrow}} }, alicesOwn},
	{"sov_getProof", func(f fixture) []any { return []any{map[string]any{"payout": f.Payout}} }, alicesOwn},
	{"sov_getProof", func(f fixture) []any { return []any{map[string]any{"key": hexutil.Bytes(chain.BankKey(f.Bank))}} }, publicRecord},
	{"sov_getEscrow", func(f fixture) []any { return []any{f.Escrow} }, alicesOwn},
	{"sov_listEscrows", func(f fixture) []any { return []any{map[string]any{"account": f.Alice}} }, alicesOwn},
	{"sov_listEscrows", func(f fixture) []any { return []any{map[string]any{}} }, adminOnly},
	{"sov_getPayout", func(f fixture) []any { return []any{f.Payout} }, alicesOwn},
	{"sov_listPayouts", func(f fixture) []any { return []any{map[string]any{"bank": f.Bank}} }, bankOwn},
	{"sov_reconciliation", func(f fixture) []any { return []any{map[string]any{"bank": f.Bank}} }, bankOwn},
	{"sov_getRequest", func(fixture) []any { return []any{common.Hash{1}} }, signers}, // unknown: not found, which reveals nothing
	{"sov_listRequests", func(f fixture) []any { return []any{map[string]any{"payer": f.Alice}} }, alicesOwn},
	{"sov_listRequests", func(f fixture) []any { return []any{map[string]any{"merchant": f.Alice}} }, alicesOwn},
	{"sov_listRequests", func(f fixture) []any { return []any{map[string]any{}} }, adminOnly},
	{"sov_resolveAlias", func(fixture) []any { return []any{"+8613800138000"} }, signers},
	{"sov_findBankRecords", func(f fixture) []any { return []any{map[string]any{"bank": f.Bank, "refs": []string{"SE00"}}} }, bankOwn},
	{"sov_keyPath", func(fixture) []any { return []any{4} }, everyone},
	{"sov_listEvidence", func(fixture) []any { return []any{map[string]any{}} }, everyone},
	{"sov_getValidators", func(fixture) []any { return []any{nil} }, everyone},
	{"sov_listProposals", func(fixture) []any { return []any{map[string]any{}} }, everyone},
	{"sov_getProposal", func(fixture) []any { return []any{common.Hash{9}} }, everyone},
	{"sov_getSetChanges", func(fixture) []any { return []any{} }, everyone},
	{"sov_accountHistory", func(f fixture) []any { return []any{map[string]any{"account": f.Alice}} }, alicesOwn},
	{"sov_getPolicy", func(f fixture) []any { return []any{f.Alice} }, alicesOwn},
	{"sov_pendingApprovals", func(f fixture) []any { return []any{map[string]any{"payer": f.Alice}} }, alicesOwn},
	{"sov_pendingApprovals", func(f fixture) []any { return []any{map[string]any{"supervisor": f.Alice}} }, alicesOwn},
	{"sov_pendingApprovals", func(f fixture) []any { return []any{map[string]any{}} }, adminOnly},
	{"sov_getApproval", func(fixture) []any { return []any{common.Hash{1}} }, signers}, // unknown: not found, which reveals nothing
	{"sov_getSubAccount", func(f fixture) []any { return []any{f.Alice} }, alicesOwn},  // no sub-account: judged as the account itself
	{"sov_getSubAccount", func(f fixture) []any { return []any{f.Card} }, alicesOwn},   // alice's: hers as its main account, her bank's
	{"sov_getApproval", func(f fixture) []any { return []any{f.Approval} }, partiesOfApproval},
	{"sov_subscribe:newFinalBlocks", nil, everyone},
	{"sov_subscribe:accountEvents", func(f fixture) []any { return []any{f.Alice} }, alicesOwn},
}

// TestRoleTable makes every call as every caller, over HTTP (subscriptions
// over WebSocket), and checks it is refused with "forbidden" exactly when
// the row says so.
func TestRoleTable(t *testing.T) {
	e := startEdge(t, rpc.Config{AuthSecret: testSecret})
	toks := callerTokens(t, e.fx)
	for _, row := range roleRows {
		var params []any
		if row.params != nil {
			params = row.params(e.fx)
		}
		for who, tok := range toks {
			var r response
			if name, ok := strings.CutPrefix(row.method, "sov_subscribe:"); ok {
				c, _, err := e.dialWS(tok, "")
				if err != nil {
					t.Fatal(err)
				}
				r = wsCall(t, c, 1, "sov_subscribe", append([]any{name}, params...)...)
				c.Close()
			} else {
				_, r = e.post(tok, row.method, params...)
			}
			refused := dataCode(r) == rpc.ErrCodeForbidden
			if refused == row.allowed[who] {
				t.Errorf("%s %v as %s: refused=%v, want allowed=%v (%+v)", row.method, params, callerNames[who], refused, row.allowed[who], r.Error)
			}
			if refused && r.Error.Code != rpc.CodeForbidden {
				t.Errorf("%s as %s: code %d, want %d", row.method, callerNames[who], r.Error.Code, rpc.CodeForbidden)
			}
		}
	}
}

// TestRoleTableCoversEveryMethod fails when the server classifies a method
// that TestRoleTable does not call, or the other way round.
func TestRoleTableCoversEveryMethod(t *testing.T) {
	tested := map[string]bool{}
	for _, row := range roleRows {
		tested[row.method] = true
	}
	var classified []string
	for m := range rpc.AccessTable() {
		classified = append(classified, m)
		if !tested[m] {
			t.Errorf("%s is classified but has no row in roleRows", m)
		}
		delete(tested, m)
	}
	for m := range tested {
		t.Errorf("roleRows tests %s, which the server does not classify", m)
	}
	sort.Strings(classified)
	t.Logf("classified: %v", classified)
}

// TestAliceNotBob: an account token for alice reads alice's account and
// subscribes to her events, and is refused bob's.
func TestAliceNotBob(t *testing.T) {
	e := startEdge(t, rpc.Config{AuthSecret: testSecret})
	alice := token(t, rpc.RoleAccount, e.fx.Alice)

	status, r := e.post(alice, "sov_getAccount", e.fx.Alice)
	if status != http.StatusOK || r.Error != nil || !strings.Contains(string(r.Result), `"CNY"`) {
		t.Fatalf("alice reading alice: HTTP %d %+v %s", status, r.Error, r.Result)
	}
	_, r = e.post(alice, "sov_getAccount", e.fx.Bob)
	if dataCode(r) != rpc.ErrCodeForbidden || len(r.Result) > 0 {
		t.Fatalf("alice reading bob: %+v %s", r.Error, r.Result)
	}

	c, _, err := e.dialWS(alice, "")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if r := wsCall(t, c, 1, "sov_subscribe", "accountEvents", e.fx.Alice); r.Error != nil || len(r.Result) == 0 {
		t.Fatalf("alice subscribing to alice: %+v", r.Error)
	}
	if r := wsCall(t, c, 2, "sov_subscribe", "accountEvents", e.fx.Bob); dataCode(r) != rpc.ErrCodeForbidden {
		t.Fatalf("alice subscribing to bob: %+v %s", r.Error, r.Result)
	}
	// The connection goes on after a refusal.
	if r := wsCall(t, c, 3, "sov_getAccount", e.fx.Alice); r.Error != nil {
		t.Fatalf("alice after a refusal: %+v", r.Error)
	}
	if got := e.srv.Stats().AccessRefused; got != 2 {
		t.Fatalf("access refusals counted: %d, want 2", got)
	}
}

// TestBadTokensRefused: an expired token, one signed with another secret,
// one signed with "none", a garbled one and a malformed header are each
// answered 401 with code "unauthorized", over HTTP and at the WebSocket
// handshake; no token at all is the public role.
func TestBadTokensRefused(t *testing.T) {
	e := startEdge(t, rpc.Config{AuthSecret: testSecret})
	expired, err := rpc.MintToken(testSecret, rpc.Claims{Role: rpc.RoleAdmin, Expires: time.Now().Add(-time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := rpc.MintToken([]byte(strings.Repeat("k", 32)), rpc.Claims{Role: rpc.RoleAdmin, Expires: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	unsigned, err := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims{"role": "admin", "exp": time.Now().Add(time.Hour).Unix()}).
		SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	good := token(t, rpc.RoleAdmin, common.Address{})
	tampered := good[:len(good)-2] + flip(good[len(good)-2:])
	for name, tok := range map[string]string{"expired": expired, "other secret": otherKey, "alg none": unsigned, "tampered": tampered, "garbage": "abc.def.ghi"} {
		status, r := e.post(tok, "sov_chainInfo")
		if status != http.StatusUnauthorized || dataCode(r) != rpc.ErrCodeUnauthorized || r.Error.Code != rpc.CodeUnauthorized {
			t.Errorf("%s token over HTTP: HTTP %d %+v", name, status, r.Error)
		}
		if _, resp, err := e.dialWS(tok, ""); err == nil || resp == nil || resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s token at WebSocket handshake: %v %v", name, err, resp)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, e.url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"sov_chainInfo","params":[]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Basic YWxpY2U6c2VjcmV0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("Basic auth header: HTTP %d, want 401", resp.StatusCode)
	}
	if status, r := e.post("", "sov_chainInfo"); status != http.StatusOK || r.Error != nil {
		t.Errorf("no token, public method: HTTP %d %+v", status, r.Error)
	}
	if status, r := e.post(good, "sov_listEscrows", map[string]any{}); status != http.StatusOK || r.Error != nil {
		t.Errorf("admin token: HTTP %d %+v", status, r.Error)
	}
}

// flip changes the last characters of a token's signature.
func flip(s string) string {
	if s == "AA" {
		return "BB"
	}
	return "AA"
}

// TestAccessOffIsAdmin: without a secret (the devnet) every caller sees
// everything and tokens are ignored.
func TestAccessOffIsAdmin(t *testing.T) {
	e := startEdge(t, rpc.Config{})
	if _, r := e.post("", "sov_listEscrows", map[string]any{}); r.Error != nil {
		t.Fatalf("access off, no token: %+v", r.Error)
	}
	if _, r := e.post("not-a-token", "sov_getAccount", e.fx.Bob); r.Error != nil {
		t.Fatalf("access off, any header: %+v", r.Error)
	}
}

func TestTokenRoundTrip(t *testing.T) {
	alice := common.HexToAddress("0x00000000000000000000000000000000000a11ce")
	exp := time.Now().Add(720 * time.Hour).Truncate(time.Second)
	for _, c := range []rpc.Claims{
		{Role: rpc.RoleAccount, Subject: alice, Expires: exp},
		{Role: rpc.RoleBank, Subject: alice, Expires: exp},
		{Role: rpc.RoleAdmin, Expires: exp},
		{Role: rpc.RolePublic, Expires: exp},
	} {
		tok, err := rpc.MintToken(testSecret, c)
		if err != nil {
			t.Fatal(err)
		}
		got, err := rpc.ParseToken(testSecret, tok, time.Now())
		if err != nil || got.Role != c.Role || got.Subject != c.Subject || !got.Expires.Equal(c.Expires) {
			t.Fatalf("%+v -> %+v (%v)", c, got, err)
		}
	}
	for _, bad := range []rpc.Claims{
		{Role: rpc.RoleAccount, Expires: exp},               // no subject
		{Role: rpc.RoleAdmin, Subject: alice, Expires: exp}, // subject on admin
		{Role: "root", Expires: exp},                        // unknown role
		{Role: rpc.RoleAccount, Subject: alice},             // no expiry
	} {
		if _, err := rpc.MintToken(testSecret, bad); err == nil {
			t.Errorf("minted %+v", bad)
		}
	}
	if _, err := rpc.MintToken(testSecret[:16], rpc.Claims{Role: rpc.RoleAdmin, Expires: exp}); err == nil {
		t.Error("minted with a 16-byte secret")
	}
}
