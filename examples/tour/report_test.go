package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/netlab-go/netlab/internal/testenv"
)

func TestWriteReportHasASectionPerStep(t *testing.T) {
	out := t.TempDir()
	results := fakeResults(t, out)
	path, err := writeReport(out, results, time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	page, err := os.ReadFile(path)
	require.NoError(t, err)
	html := string(page)
	for _, r := range results {
		assert.Contains(t, html, `<section id="`+r.step.name+`">`)
		assert.Contains(t, html, "https://pkg.go.dev/"+modulePath+"/", "godoc link")
	}
	assert.Contains(t, html, `<img src="reno-cwnd.png"`)
	assert.Contains(t, html, "FAILED: boom")
	assert.Contains(t, html, "skipped: no broker")
	assert.Contains(t, html, "<li>goodput 1.0 Mb/s</li>")
	assert.NotContains(t, html, "<img src=\"missing.png\"", "a picture that was not written is not shown")
}

// fakeResults has one result per registered step: the first draws a
// picture, one fails, one is skipped.
func fakeResults(t *testing.T, out string) []result {
	t.Helper()
	var results []result
	for i, s := range selectSteps("") {
		e := &env{out: out}
		var err error
		switch i {
		case 0:
			writePNG(t, e.Path("reno-cwnd.png"))
			_ = e.Path("missing.png")
			e.Report("goodput 1.0 Mb/s")
		case 1:
			err = errors.New("boom")
		case 2:
			err = fmt.Errorf("%w: no broker", errSkipped)
		}
		results = append(results, result{step: s, env: e, err: err, taken: time.Second})
	}
	return results
}

func writePNG(t *testing.T, path string) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 20))
	for x := 0; x < 40; x++ {
		img.Set(x, x/2, color.RGBA{0, 114, 178, 255})
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
}

// TestReportOpensInChromium runs real tour steps, writes the report and
// opens it in headless Chromium: every image must load, nothing may be
// logged as an error, and every step must have its section. The screenshot
// goes to the test's artifact directory (go test -artifacts).
func TestReportOpensInChromium(t *testing.T) {
	browser := findChromium(t)
	out := t.TempDir()
	// Real steps that need nothing but loopback and finish in seconds;
	// the others appear as not run, so every concept still has a section.
	run := map[string]bool{"reno": true, "matrix": true, "share": true}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var results []result
	for _, s := range selectSteps("") {
		e := &env{out: out, w: &bytes.Buffer{}}
		err := fmt.Errorf("%w: not run by this test", errSkipped)
		start := time.Now()
		if run[s.name] {
			err = s.run(ctx, e)
			require.NoError(t, err, s.name)
		}
		results = append(results, result{step: s, env: e, err: err, taken: time.Since(start)})
	}
	path, err := writeReport(out, results, time.Now())
	require.NoError(t, err)

	page := inspect(t, browser, path)

	var want []string
	for _, s := range selectSteps("") {
		want = append(want, s.name)
	}
	assert.Equal(t, want, page.sections, "one section per concept, in tour order")
	figures := 0
	for _, r := range results {
		for _, f := range r.env.files {
			if ext := filepath.Ext(f); ext == ".png" || ext == ".svg" {
				figures++
			}
		}
	}
	require.NotZero(t, figures, "the steps run here draw pictures")
	require.Len(t, page.widths, figures, "every picture the steps wrote is on the page")
	for i, w := range page.widths {
		assert.Positive(t, w, "image %d did not load", i)
	}
	assert.Empty(t, page.problems, "the browser reported errors")
	require.NotEmpty(t, page.shot)
	shotPath := filepath.Join(t.ArtifactDir(), "tour-report.png")
	require.NoError(t, os.WriteFile(shotPath, page.shot, 0o644))
	t.Logf("screenshot: %s (%d bytes)", shotPath, len(page.shot))
}

// TestChromiumCheckSeesABrokenPage keeps the check above honest: a missing
// picture and a script error must show up.
func TestChromiumCheckSeesABrokenPage(t *testing.T) {
	browser := findChromium(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "broken.html")
	require.NoError(t, os.WriteFile(path, []byte(`<!DOCTYPE html><html><body>
<section id="a"><img src="missing.png"></section><script>console.error("boom")</script></body></html>`), 0o644))
	page := inspect(t, browser, path)
	assert.Equal(t, []string{"a"}, page.sections)
	assert.Equal(t, []int{0}, page.widths, "a missing image has no width")
	assert.NotEmpty(t, page.problems, "console.error and the failed load are reported")
}

type inspected struct {
	widths   []int
	sections []string
	problems []string
	shot     []byte
}

// inspect opens path in headless Chromium and reads what a person would
// see: the images' natural widths, the sections, the console's errors and
// a screenshot.
func inspect(t *testing.T, browser, path string) inspected {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1200, 900),
	)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	var mu sync.Mutex
	var problems []string
	messages := chromedp.Console(bctx) // subscribes now, before the page loads
	done := make(chan struct{})
	go func() {
		defer close(done)
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				mu.Lock()
				problems = append(problems, m.String()+" "+m.URL)
				mu.Unlock()
			}
		}
	}()
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate("file://"+path), chromedp.WaitReady("body")), "opening the report in %s", browser)
	_, err := chromedp.Run(bctx, chromedp.Poll[bool](`Array.from(document.images).every(i => i.complete)`))
	require.NoError(t, err)
	widths, err := chromedp.Run(bctx, chromedp.Evaluate[[]int](`Array.from(document.images).map(i => i.naturalWidth)`))
	require.NoError(t, err)
	sections, err := chromedp.Run(bctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("section")).map(s => s.id)`))
	require.NoError(t, err)
	shot, err := chromedp.Run(bctx, chromedp.FullScreenshot(100)) // quality 100 gives a PNG
	require.NoError(t, err)

	bcancel() // ends the console subscription
	<-done
	mu.Lock()
	defer mu.Unlock()
	return inspected{widths: widths, sections: sections, problems: problems, shot: shot}
}

func findChromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	testenv.Missing(t, "a Chromium browser", "apt-get install chromium (Debian's package), or set "+testenv.RequireEnv+"=1 in CI after installing it")
	return ""
}
