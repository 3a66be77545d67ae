package explorer_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/sovereign-ledger/sovereign/node/devnode"
)

// BenchmarkFirstPageLoad measures, in headless chromium, how long the
// explorer's chain page takes from the start of navigation to showing the
// heights, the key's path and the validators (the page's own performance
// mark "sov:rendered"), on a chain carrying SOV_BENCH_EXPLORER_TXS
// transfers (default 20,000, among 1,000 accounts, made by the load
// generator behind `sovereign bench`). Each iteration opens a fresh tab.
// It also reports the first sov_keyPath(64) after the load (the node then
// reads the blocks it had not yet stepped through).
func BenchmarkFirstPageLoad(b *testing.B) {
	c := devnode.Start(b, b.TempDir(), withExplorer)
	c.Load("SOV_BENCH_EXPLORER_TXS", 20_000)
	start := time.Now()
	if _, err := c.Client.KeyPath(context.Background(), 64); err != nil {
		b.Fatal(err)
	}
	afterLoad := time.Since(start)
	path := chromiumPath()
	if _, err := os.Stat(path); err != nil {
		b.Skipf("no chromium at %s", path)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.UserDataDir(b.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	browser, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(browser, chromedp.Navigate("about:blank")); err != nil {
		b.Fatal(err)
	}
	var took time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tab, closeTab := chromedp.NewContext(browser)
		if err := chromedp.Do(tab, chromedp.Navigate(c.Node.ExplorerURL())); err != nil {
			b.Fatal(err)
		}
		if err := waitJS(tab, `!!document.querySelector('#final-height') && !!document.querySelector('svg.keypath circle') && document.querySelectorAll('main table tr').length > 3`, 30*time.Second); err != nil {
			b.Fatal(err)
		}
		// The page's own mark: from the start of navigation to the first page shown.
		ms, err := chromedp.Run(tab, chromedp.Evaluate[float64](`performance.getEntriesByName('sov:rendered')[0].startTime`))
		if err != nil {
			b.Fatal(err)
		}
		took += time.Duration(ms * float64(time.Millisecond))
		closeTab()
	}
	b.ReportMetric(float64(took.Milliseconds())/float64(b.N), "ms/load")
	b.ReportMetric(float64(afterLoad.Milliseconds()), "ms-keypath-after-load")
	b.ReportMetric(float64(c.Node.Ledger().Head().Height), "blocks")
}
