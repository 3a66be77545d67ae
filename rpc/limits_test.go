package rpc_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sovereign-ledger/sovereign/rpc"
)

// memory is what runtime/metrics says about the process.
type memory struct {
	heap       uint64 // bytes of live and not yet swept heap objects
	goroutines uint64
}

func readMemory() memory {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/sched/goroutines:goroutines"}}
	metrics.Read(s)
	return memory{heap: s[0].Value.Uint64(), goroutines: s[1].Value.Uint64()}
}

func (m memory) String() string {
	return fmt.Sprintf("heap %.1f MiB, %d goroutines", float64(m.heap)/(1<<20), m.goroutines)
}

// eventually polls cond for up to 10 s (a loaded machine is slow).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSubscriptionFlood: 50,000 subscriptions on one connection. The first
// MaxSubscriptions are served, every other is refused with
// too_many_subscriptions, the process's heap and goroutines stay bounded,
// the server goes on serving, and closing the connection frees them.
func TestSubscriptionFlood(t *testing.T) {
	const flood = 50_000
	e := startEdge(t, rpc.Config{RequestRate: -1}) // the rate limit would refuse the flood first
	limit := e.srv.Limits().MaxSubscriptions
	before := readMemory()

	c, _, err := e.dialWS("", "")
	if err != nil {
		t.Fatal(err)
	}
	var accepted, refused, other int
	readDone := make(chan error, 1)
	go func() {
		for range flood {
			var r response
			c.SetReadDeadline(time.Now().Add(30 * time.Second))
			if err := c.ReadJSON(&r); err != nil {
				readDone <- err
				return
			}
			switch {
			case r.Error == nil:
				accepted++
			case dataCode(r) == rpc.ErrCodeTooManySubs && r.Error.Code == rpc.CodeLimited:
				refused++
			default:
				other++
			}
		}
		readDone <- nil
	}()
	for i := range flood {
		msg := fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"sov_subscribe","params":["newFinalBlocks"]}`, i)
		if err := c.WriteMessage(1, []byte(msg)); err != nil {
			t.Fatalf("write subscription %d: %v", i, err)
		}
	}
	if err := <-readDone; err != nil {
		t.Fatalf("read responses: %v", err)
	}
	during := readMemory()
	t.Logf("before: %v; with %d subscriptions asked on one connection: %v", before, flood, during)
	if accepted != limit || refused != flood-limit || other != 0 {
		t.Fatalf("accepted %d, refused %d, other %d; want %d, %d, 0", accepted, refused, other, limit, flood-limit)
	}
	if got := e.srv.Stats().Subscriptions; got != int64(limit) {
		t.Fatalf("live subscriptions %d, want %d", got, limit)
	}
	// Each live subscription costs about three goroutines; the bound leaves
	// room for the connection's own and the test's.
	if during.goroutines > before.goroutines+uint64(4*limit)+50 {
		t.Fatalf("goroutines grew from %d to %d", before.goroutines, during.goroutines)
	}
	if during.heap > before.heap+64<<20 {
		t.Fatalf("heap grew from %v to %v", before, during)
	}
	// The server goes on: another client is served.
	if _, r := e.post("", "sov_chainInfo"); r.Error != nil {
		t.Fatalf("after the flood: %+v", r.Error)
	}
	c.Close()
	eventually(t, "subscriptions released", func() bool { return e.srv.Stats().Subscriptions == 0 })
	eventually(t, "goroutines released", func() bool { return readMemory().goroutines <= before.goroutines+20 })
}

// TestSubscriptionLimitTotal: the node-wide cap holds across connections,
// and unsubscribing frees a place.
func TestSubscriptionLimitTotal(t *testing.T) {
	e := startEdge(t, rpc.Config{MaxSubscriptions: 3, MaxSubscriptionsTotal: 5})
	a, _, err := e.dialWS("", "")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, _, err := e.dialWS("", "")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var codes []string
	var first response
	for i, c := range []*websocket.Conn{a, a, a, a, b, b, b} {
		r := wsCall(t, c, i, "sov_subscribe", "newFinalBlocks")
		if i == 0 {
			first = r
		}
		codes = append(codes, dataCode(r))
	}
	want := []string{"", "", "", rpc.ErrCodeTooManySubs, "", "", rpc.ErrCodeTooManySubs}
	if strings.Join(codes, ",") != strings.Join(want, ",") {
		t.Fatalf("codes %q, want %q", codes, want)
	}
	var id string
	if err := json.Unmarshal(first.Result, &id); err != nil {
		t.Fatal(err)
	}
	if r := wsCall(t, a, 10, "sov_unsubscribe", id); r.Error != nil {
		t.Fatalf("unsubscribe: %+v", r.Error)
	}
	eventually(t, "a place freed", func() bool { return e.srv.Stats().Subscriptions == 4 })
	if r := wsCall(t, b, 11, "sov_subscribe", "newFinalBlocks"); r.Error != nil {
		t.Fatalf("after an unsubscribe: %+v", r.Error)
	}
}
