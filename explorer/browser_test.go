package explorer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/ethereum/go-ethereum/common"
	"github.com/sovereign-ledger/sovereign/node"
	"github.com/sovereign-ledger/sovereign/node/devnode"
	"github.com/sovereign-ledger/sovereign/wallet"
)

// chromiumPath is Debian's chromium unless SOV_CHROMIUM names another.
func chromiumPath() string {
	if p := os.Getenv("SOV_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// newBrowser starts a headless chromium with a fresh profile, or skips the
// test when chromium is not installed (CI installs it: .ci/explorer-deps.sh).
func newBrowser(t *testing.T, width, height int) context.Context {
	t.Helper()
	path := chromiumPath()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("browser test skipped: no chromium at %s (apt-get install chromium, or set SOV_CHROMIUM)", path)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("no-default-browser-check", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(width, height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// waitJS polls a JavaScript condition in the page until it holds.
func waitJS(ctx context.Context, cond string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[any](cond, chromedp.WithPollingInterval(100*time.Millisecond)))
	return err
}

func text(ctx context.Context, t *testing.T, sel string) string {
	t.Helper()
	// One evaluation, not a node lookup then a read: live updates replace
	// the page's nodes at any moment.
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector(%q)?.innerText ?? ''`, sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// screenshot writes the page to dir/name when dir is not empty.
func screenshot(ctx context.Context, t *testing.T, dir, name string) {
	t.Helper()
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func withExplorer(cfg *node.Config) { cfg.Explorer = node.ExplorerConfig{Enabled: true} }

// TestBrowserFollowsChain opens the explorer a node serves at /explorer in
// headless chromium while the chain carries traffic. With the keyboard
// ("/" then typing) it searches a transaction by hash and sees it become
// final; it opens an escrow by id and sees its timeline advance, without a
// reload, when the release becomes final.
//
// SOV_SCREENSHOT_DIR keeps every page's screenshot (CI artifacts).
func TestBrowserFollowsChain(t *testing.T) {
	c := devnode.Start(t, t.TempDir(), withExplorer)
	browser := newBrowser(t, 1280, 900)
	shots := os.Getenv("SOV_SCREENSHOT_DIR")
	trafficCtx, stopTraffic := context.WithCancel(c.Ctx)
	defer c.Traffic(trafficCtx, 30*time.Millisecond)()
	defer stopTraffic()
	c.Workload(2) // escrows, feedback, a mismatch and an exception to show

	url := c.Node.ExplorerURL()
	if err := chromedp.Do(browser, chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	if err := waitJS(browser, `!!document.querySelector('#final-height') && !!document.querySelector('svg.keypath circle')`, 20*time.Second); err != nil {
		t.Fatalf("chain page did not show heights and the key path: %v", err)
	}
	if err := waitJS(browser, `document.getElementById('live').textContent.startsWith('live · final')`, 10*time.Second); err != nil {
		t.Fatalf("no live update over the WebSocket subscription: %v", err)
	}
	screenshot(browser, t, shots, "chain.png")

	// A transfer, searched while it may still be pending: the page follows it to final.
	tx, err := c.Client.Transfer(c.Ctx, devnode.Alice, devnode.Addr(devnode.Bob), "CNY", "12.34")
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(browser, chromedp.KeyEvent("/")); err != nil {
		t.Fatal(err)
	}
	if err := waitJS(browser, `document.activeElement.id === 'q'`, 2*time.Second); err != nil {
		t.Fatal("'/' does not focus the search box")
	}
	if err := chromedp.Do(browser, chromedp.KeyEvent(tx.Hash().Hex()+"\r")); err != nil {
		t.Fatal(err)
	}
	if err := waitJS(browser, fmt.Sprintf(`location.hash === '#/tx/%s' && (document.querySelector('#tx-status')?.textContent || '').includes('final')`, tx.Hash().Hex()), 20*time.Second); err != nil {
		t.Fatalf("transaction page never showed final: %v (hash %s, page %q)", err, location(browser), text(browser, t, "main"))
	}
	if got := text(browser, t, "main"); !strings.Contains(got, "12.34 CNY") || !strings.Contains(got, "transfer") {
		t.Fatalf("transaction page lacks amount or type: %q", got)
	}
	screenshot(browser, t, shots, "tx.png")

	// An escrow: open on the page, then released by a transaction the page did not make.
	hold, err := c.Client.Hold(c.Ctx, devnode.Alice, devnode.Addr(devnode.Bob), "CNY", "5.00", time.Hour, common.Address{})
	c.Final(hold, err)
	if err := chromedp.Do(browser, chromedp.SetValue("#q", hold.Hash().Hex()), chromedp.Click("#search button")); err != nil {
		t.Fatal(err)
	}
	if err := waitJS(browser, `(document.querySelector('#escrow-status')?.textContent || '') === 'open'`, 20*time.Second); err != nil {
		t.Fatalf("escrow page did not show an open escrow: %v (%q)", err, location(browser))
	}
	if err := waitJS(browser, `!document.querySelector('#escrow-ended')`, time.Second); err != nil {
		t.Fatal("an open escrow's timeline shows an end")
	}
	c.Final(c.Client.Release(c.Ctx, devnode.Alice, hold.Hash(), ""))
	if err := waitJS(browser, `(document.querySelector('#escrow-status')?.textContent || '') === 'released' && !!document.querySelector('#escrow-ended')`, 20*time.Second); err != nil {
		t.Fatalf("the timeline did not advance to released: %v (%q)", err, text(browser, t, "#timeline"))
	}
	if tl := text(browser, t, "#timeline"); !strings.Contains(tl, "Protection period") || !strings.Contains(tl, "locked until") {
		t.Fatalf("released escrow's timeline lacks the protection period: %q", tl)
	}
	screenshot(browser, t, shots, "escrow.png")

	// A payment request: open on its page, then paid into escrow by an
	// accept the page did not make, found by search and on the payer's page.
	req, err := c.Client.Request(c.Ctx, devnode.Carol, devnode.Addr(devnode.Alice).Hex(), "CNY", "3.21",
		wallet.RequestOptions{Expires: time.Hour, Ref: "ORDER-77", Escrow: true})
	c.Final(req, err)
	if err := chromedp.Do(browser, chromedp.SetValue("#q", req.Hash().Hex()), chromedp.Click("#search button")); err != nil {
		t.Fatal(err)
	}
	if err := waitJS(browser, `(document.querySelector('#request-status')?.textContent || '') === 'open' && !document.querySelector('#request-ended')`, 20*time.Second); err != nil {
		t.Fatalf("request page did not show an open request: %v (%q)", err, location(browser))
	}
	c.Final(c.Client.Accept(c.Ctx, devnode.Alice, req.Hash()))
	if err := waitJS(browser, `(document.querySelector('#request-status')?.textContent || '') === 'paid' && (document.querySelector('#request-ended')?.textContent || '').includes('escrow')`, 20*time.Second); err != nil {
		t.Fatalf("the request did not turn paid into escrow: %v (%q)", err, text(browser, t, "#request-timeline"))
	}
	if got := text(browser, t, "main"); !strings.Contains(got, "ORDER-77") || !strings.Contains(got, "3.21 CNY") {
		t.Fatalf("request page lacks its order or amount: %q", got)
	}
	screenshot(browser, t, shots, "request.png")

	// The other pages render without an error.
	bankA := devnode.Addr(devnode.BankA).Hex()
	for _, page := range []struct{ hash, want string }{
		{"#/account/" + devnode.Addr(devnode.Alice).Hex(), "Balances"},
		{"#/bank/" + bankA, "Mismatched"},
		{"#/block/2", "Commit certificate"},
		{"#/requests", "account pages"},
		{"#/account/" + devnode.Addr(devnode.Alice).Hex(), "ORDER-77"},
	} {
		if err := chromedp.Do(browser, chromedp.Navigate(url+page.hash)); err != nil {
			t.Fatal(err)
		}
		if err := waitJS(browser, fmt.Sprintf(`document.querySelector('main').textContent.includes(%q)`, page.want), 30*time.Second); err != nil { // chromium on a loaded 2-core machine
			t.Fatalf("%s: no %q: %q", page.hash, page.want, text(browser, t, "main"))
		}
		screenshot(browser, t, shots, strings.ReplaceAll(strings.Split(page.hash, "/")[1], "#", "")+".png")
	}

	// A block page that loads while final blocks arrive is shown: a live
	// update of a page that does not change once counted as a render, made
	// the navigation's render stale, and left the previous page up (seen
	// in CI on a loaded machine). The block's fetch is slowed here so that
	// blocks certainly arrive while it loads.
	if _, err := chromedp.Run(browser, chromedp.Evaluate[bool](`(() => {
		const f = window.fetch;
		window.fetch = async (u, o) => {
			if (o && o.body && o.body.includes('"sov_getBlockByNumber"')) await new Promise((r) => setTimeout(r, 2500));
			return f(u, o);
		};
		location.hash = '#/bank/`+bankA+`';
		return true;
	})()`)); err != nil {
		t.Fatal(err)
	}
	if err := waitJS(browser, `document.querySelector('main').textContent.includes('Mismatched')`, 30*time.Second); err != nil {
		t.Fatalf("bank page: %v", err)
	}
	if _, err := chromedp.Run(browser, chromedp.Evaluate[string](`location.hash = '#/block/3'`)); err != nil {
		t.Fatal(err)
	}
	if err := waitJS(browser, `document.querySelector('main').textContent.includes('Commit certificate')`, 30*time.Second); err != nil {
		t.Fatalf("a block page loading while blocks arrive was never shown: %q", text(browser, t, "main"))
	}
}

func location(ctx context.Context) string {
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.hash`))
	return s
}

// TestBrowserPhone loads the chain and escrow pages at a phone's width and
// checks that nothing is wider than the screen.
func TestBrowserPhone(t *testing.T) {
	c := devnode.Start(t, t.TempDir(), withExplorer)
	ids := c.Workload(1)
	browser := newBrowser(t, 390, 844)
	if err := chromedp.Do(browser, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)); err != nil {
		t.Fatal(err)
	}
	for i, page := range []string{"", "#/escrow/" + ids[0].Hex(), "#/account/" + devnode.Addr(devnode.Alice).Hex()} {
		if err := chromedp.Do(browser, chromedp.Navigate(c.Node.ExplorerURL()+page)); err != nil {
			t.Fatal(err)
		}
		if err := waitJS(browser, `!!document.querySelector('main h1') && document.querySelector('main h1').textContent !== 'Error'`, 20*time.Second); err != nil {
			t.Fatalf("%s did not render: %v", page, err)
		}
		over, err := chromedp.Run(browser, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
		if err != nil {
			t.Fatal(err)
		}
		if over {
			t.Errorf("page %q is wider than a 390 px screen", page)
		}
		screenshot(browser, t, os.Getenv("SOV_SCREENSHOT_DIR"), fmt.Sprintf("phone-%d.png", i))
	}
}
