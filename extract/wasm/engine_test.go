package wasm_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/korean"
	"golang.org/x/text/encoding/unicode"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/extract/wasm"
	"github.com/riptide-go/riptide/extract/wasm/internal/wasmbin"
	"github.com/riptide-go/riptide/internal/store"
	"github.com/riptide-go/riptide/wasmcache"
)

const article = `<!doctype html><html lang="en"><head><title>A page</title>
<meta name="description" content="About things."><meta property="og:title" content="OG title">
<link rel="canonical" href="/a"></head><body><nav><a href="/">Home</a></nav>
<article><h1>Heading</h1><p>First paragraph with <a href="https://example.org/x">a link</a>.</p>
<p>Second paragraph, a little longer than the first one.</p>
<table><tr><th>k</th><th>v</th></tr><tr><td>a</td><td>1</td></tr></table>
<img src="/i.png" alt="pic"></article><footer>Footer</footer></body></html>`

// comparable returns doc as JSON without the fields that legitimately
// differ between engines (timing).
func comparable(t *testing.T, doc *extract.Document) string {
	t.Helper()
	d := *doc
	d.Meta.Duration = 0
	b, err := json.Marshal(d)
	require.NoError(t, err)
	return string(b)
}

// TestExtractMatchesNative: the default module returns the same Document
// as the native engine, in every mode.
func TestExtractMatchesNative(t *testing.T) {
	e := defaultEngine(t)
	ctx := context.Background()
	cases := []struct {
		name string
		opts extract.Options
	}{
		{"default mode", extract.Options{}},
		{"article", extract.Options{Mode: extract.ModeArticle}},
		{"full page", extract.Options{Mode: extract.ModeFullPage}},
		{"metadata", extract.Options{Mode: extract.ModeMetadata}},
		{"selectors", extract.Options{Mode: extract.ModeSelectors, Selectors: []string{"article p", "h1"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := extract.Input{URL: "https://example.com/page", ContentType: "text/html; charset=utf-8", HTML: []byte(article), Options: tc.opts}
			want, werr := (&extract.Native{}).Extract(ctx, in)
			got, gerr := e.Extract(ctx, in)
			if werr != nil {
				require.Error(t, gerr)
				assert.Equal(t, werr.Error(), errors.Unwrap(gerr).Error())
				return
			}
			require.NoError(t, gerr)
			assert.Equal(t, "wasm:riptide-native", got.Meta.Engine)
			want.Meta.Engine = got.Meta.Engine
			assert.Equal(t, comparable(t, want), comparable(t, got))
		})
	}
}

// TestNonUTF8Pages: pages in other encodings reach the guest as UTF-8
// (the default guest carries no charset tables) and give the native
// engine's Document.
func TestNonUTF8Pages(t *testing.T) {
	e := defaultEngine(t)
	ctx := context.Background()
	encode := func(enc encoding.Encoding, s string) []byte {
		b, err := enc.NewEncoder().Bytes([]byte(s))
		require.NoError(t, err)
		return b
	}
	const body = `<article><h1>%s</h1><p>%s, a paragraph long enough to be the content of the page.</p></article>`
	for _, tc := range []struct {
		name, contentType string
		html              []byte
		want              string
	}{
		{"windows-1252 by header", "text/html; charset=windows-1252",
			encode(charmap.Windows1252, fmt.Sprintf(body, "Café", "Crème brûlée")), "Crème brûlée"},
		{"shift_jis by meta", "text/html",
			encode(japanese.ShiftJIS, `<meta charset="shift_jis">`+fmt.Sprintf(body, "日本語", "日本語のページです")), "日本語のページです"},
		{"euc-kr by meta", "",
			encode(korean.EUCKR, `<meta http-equiv="Content-Type" content="text/html; charset=euc-kr">`+fmt.Sprintf(body, "한국어", "한국어 페이지입니다")), "한국어 페이지입니다"},
		{"utf-16le with BOM", "",
			encode(unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), fmt.Sprintf(body, "Ünïcode", "Grüße aus Köln")), "Grüße aus Köln"},
		{"broken utf-8", "text/html; charset=utf-8",
			[]byte(fmt.Sprintf(body, "Bad \xff bytes", "Valid text around \xc3\x28 bad bytes")), "Valid text around"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := extract.Input{URL: "https://example.com/page", ContentType: tc.contentType, HTML: tc.html}
			want, err := (&extract.Native{}).Extract(ctx, in)
			require.NoError(t, err)
			got, err := e.Extract(ctx, in)
			require.NoError(t, err)
			assert.Contains(t, got.Text, tc.want)
			want.Meta.Engine = got.Meta.Engine
			assert.Equal(t, comparable(t, want), comparable(t, got))
		})
	}
}

// TestOversizedPage: a page over the extractors' limit, or too big for
// the guest's memory, is refused before it is decoded or copied, and the
// engine goes on working.
func TestOversizedPage(t *testing.T) {
	e := defaultEngine(t)
	ctx := context.Background()
	huge := bytes.Repeat([]byte("<p>caf\xe9</p>"), extract.MaxInputBytes/11+1) // not UTF-8: would be decoded
	require.Greater(t, len(huge), extract.MaxInputBytes)
	before := e.Stats().GuestErrors
	_, err := e.Extract(ctx, extract.Input{HTML: huge})
	require.ErrorIs(t, err, extract.ErrResourceLimit)
	assert.Contains(t, err.Error(), "larger than")
	assert.Equal(t, before, e.Stats().GuestErrors, "refused by the host, before the guest")

	small, err := wasm.New(ctx, wasm.WithMemoryLimit(16<<20), wasm.WithPool(0, 1))
	require.NoError(t, err)
	defer small.Close(ctx)
	_, err = small.Extract(ctx, extract.Input{HTML: bytes.Repeat([]byte("<p>x</p>"), 1<<20+1)})
	require.ErrorIs(t, err, extract.ErrResourceLimit)
	assert.Contains(t, err.Error(), "memory limit")
	assert.Zero(t, small.Stats().Extractions, "no instance was used")

	doc, err := e.Extract(ctx, extract.Input{HTML: []byte(article)})
	require.NoError(t, err)
	assert.Contains(t, doc.Text, "Second paragraph")
}

func TestInfo(t *testing.T) {
	info := defaultEngine(t).Info()
	assert.Equal(t, "riptide-native", info.Name)
	assert.Equal(t, extract.Version, info.Version)
	assert.Equal(t, wasm.ABIVersion, info.ABIVersion)
	assert.ElementsMatch(t, []extract.Mode{extract.ModeArticle, extract.ModeFullPage, extract.ModeMetadata, extract.ModeSelectors}, info.Modes)
}

// fixture builds an Engine on a hand-assembled guest.
func fixture(t *testing.T, s guestSpec, opts ...wasm.Option) *wasm.Engine {
	t.Helper()
	ctx := context.Background()
	e, err := wasm.New(ctx, append([]wasm.Option{wasm.Module(guest(s)), wasm.WithMemoryLimit(4 << 20), wasm.WithTimeout(time.Second)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, e.Close(ctx)) })
	return e
}

func TestUnsupportedMode(t *testing.T) {
	e := fixture(t, guestSpec{})
	_, err := e.Extract(context.Background(), extract.Input{HTML: smallHTML, Options: extract.Options{Mode: extract.ModeSelectors}})
	assert.ErrorIs(t, err, extract.ErrUnsupportedMode)
	assert.Equal(t, int64(0), e.Stats().Extractions, "refused before reaching the guest")
}

func TestGuestErrorCodes(t *testing.T) {
	cases := []struct {
		code string
		want error
	}{
		{wasm.CodeInvalidHTML, extract.ErrInvalidHTML},
		{wasm.CodeParseError, extract.ErrParse},
		{wasm.CodeResourceLimit, extract.ErrResourceLimit},
		{wasm.CodeUnsupportedMode, extract.ErrUnsupportedMode},
		{wasm.CodeTimeout, context.DeadlineExceeded},
		{wasm.CodeExtractorError, nil},
		{wasm.CodeInternal, nil},
		{"something_new", nil},
	}
	for _, tc := range cases {
		t.Run(tc.code, func(t *testing.T) {
			body := []byte(fmt.Sprintf(`{"error":{"code":%q,"message":"because"}}`, tc.code))
			e := fixture(t, guestSpec{errJSON: body, extract: wasmbin.Packed(offErr, uint32(len(body)))})
			_, err := e.Extract(context.Background(), extract.Input{HTML: smallHTML})
			ge, ok := errors.AsType[*wasm.GuestError](err)
			require.True(t, ok, "got %v", err)
			assert.Equal(t, tc.code, ge.Code)
			assert.Equal(t, "because", ge.Message)
			if tc.want != nil {
				assert.ErrorIs(t, err, tc.want)
			} else {
				assert.Nil(t, errors.Unwrap(err))
			}
			// A guest error is not a fault: the instance is kept.
			assert.Equal(t, int64(0), e.Stats().Faults)
			assert.Equal(t, int64(1), e.Stats().GuestErrors)
		})
	}
}

func TestInvalidOptions(t *testing.T) {
	cases := []struct {
		name string
		opt  wasm.Option
	}{
		{"memory too small", wasm.WithMemoryLimit(1000)},
		{"memory over 4 GiB", wasm.WithMemoryLimit(5 << 30)},
		{"zero timeout", wasm.WithTimeout(0)},
		{"pool max zero", wasm.WithPool(0, 0)},
		{"pool min over max", wasm.WithPool(3, 2)},
		{"negative recycle", wasm.WithRecycle(-1, 0)},
		{"zero max response", wasm.WithMaxResponse(0)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := wasm.New(context.Background(), wasm.Module(guest(guestSpec{})), tc.opt)
			assert.ErrorIs(t, err, wasm.ErrInvalidOption)
		})
	}
}

func TestContext(t *testing.T) {
	loop := guestSpec{extract: bad(wasmbin.Cat(wasmbin.Loop, wasmbin.Unreachable))}
	t.Run("canceled before", func(t *testing.T) {
		e := fixture(t, guestSpec{})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := e.Extract(ctx, extract.Input{HTML: smallHTML})
		assert.ErrorIs(t, err, context.Canceled)
	})
	t.Run("canceled during", func(t *testing.T) {
		e := fixture(t, loop)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := e.Extract(ctx, extract.Input{HTML: bigHTML})
		assert.ErrorIs(t, err, context.Canceled)
		assert.NotErrorIs(t, err, wasm.ErrTimeout)
		_, err = e.Extract(context.Background(), extract.Input{HTML: smallHTML})
		assert.NoError(t, err)
	})
	t.Run("caller deadline", func(t *testing.T) {
		e := fixture(t, loop)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := e.Extract(ctx, extract.Input{HTML: bigHTML})
		assert.ErrorIs(t, err, context.DeadlineExceeded)
	})
}

func TestClose(t *testing.T) {
	ctx := context.Background()
	e, err := wasm.New(ctx, wasm.Module(guest(guestSpec{extract: bad(wasmbin.Cat(wasmbin.Loop, wasmbin.Unreachable))})), wasm.WithTimeout(time.Minute))
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() {
		_, err := e.Extract(ctx, extract.Input{HTML: bigHTML})
		done <- err
	}()
	time.Sleep(50 * time.Millisecond)
	cctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = e.Close(cctx)
	assert.ErrorIs(t, err, context.DeadlineExceeded, "in-flight guest outlived the close deadline")
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Error(t, <-done, "the running guest was interrupted")
	assert.NoError(t, e.Close(ctx), "idempotent")
	_, err = e.Extract(ctx, extract.Input{HTML: smallHTML})
	assert.ErrorIs(t, err, wasm.ErrClosed)
}

func TestInstanceLifecycle(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name        string
		opts        []wasm.Option
		docs        int
		wantCreated int64
	}{
		{"pooled", []wasm.Option{wasm.WithPool(1, 1)}, 5, 1},
		{"per call", []wasm.Option{wasm.WithInstancePerCall(1)}, 5, 6}, // +1: New's probe instance
		{"recycle after 2 docs", []wasm.Option{wasm.WithPool(1, 1), wasm.WithRecycle(2, 0)}, 5, 3},
		{"recycle over memory", []wasm.Option{wasm.WithPool(1, 1), wasm.WithRecycle(0, 64<<10)}, 3, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := fixture(t, guestSpec{}, tc.opts...)
			for range tc.docs {
				_, err := e.Extract(ctx, extract.Input{HTML: smallHTML})
				require.NoError(t, err)
			}
			assert.Eventually(t, func() bool { return e.Stats().Created >= tc.wantCreated }, 2*time.Second, time.Millisecond)
			assert.LessOrEqual(t, e.Stats().Created, tc.wantCreated+1) // the pool may prewarm one
		})
	}
}

func TestWithCache(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, store.FileName), store.Options{})
	require.NoError(t, err)
	defer db.Close()
	c, err := wasmcache.Open(filepath.Join(dir, "wasm"), db, wasmcache.Options{})
	require.NoError(t, err)
	for i, wantHit := range []bool{false, true} {
		e, err := wasm.New(ctx, wasm.Module(guest(guestSpec{})), wasm.WithCache(c))
		require.NoError(t, err, "load %d", i)
		assert.Equal(t, wantHit, e.Info().CacheHit)
		doc, err := e.Extract(ctx, extract.Input{HTML: smallHTML})
		require.NoError(t, err)
		assert.Equal(t, "tiny guest", doc.Text)
		require.NoError(t, e.Close(ctx))
	}
	s := c.Stats()
	assert.Equal(t, int64(1), s.Hits)
	assert.Equal(t, int64(1), s.Misses)
}

// TestConcurrent: 32 goroutines extract through one Engine (run with
// -race); every result matches the native engine.
func TestConcurrent(t *testing.T) {
	e := defaultEngine(t)
	ctx := context.Background()
	inputs := make([]extract.Input, 8)
	wants := make([]string, len(inputs))
	for i := range inputs {
		inputs[i] = extract.Input{HTML: fmt.Appendf(nil, "<html><body><article><h1>Doc %d</h1><p>Paragraph %d of a test page.</p></article></body></html>", i, i)}
		doc, err := (&extract.Native{}).Extract(ctx, inputs[i])
		require.NoError(t, err)
		wants[i] = doc.Text
	}
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Go(func() {
			for j := range 4 {
				k := (g + j) % len(inputs)
				doc, err := e.Extract(ctx, inputs[k])
				if assert.NoError(t, err) {
					assert.Equal(t, wants[k], doc.Text)
				}
			}
		})
	}
	wg.Wait()
}

// TestDefaultModuleInterrupted: the default module is stopped by the host
// (its fuel check) when the caller cancels, which the guest itself cannot
// see, and honours a short deadline on a large page.
func TestDefaultModuleInterrupted(t *testing.T) {
	ctx := context.Background()
	e := defaultEngine(t)
	assert.Equal(t, wasm.InterruptFuel, e.Info().Interruption)
	var big strings.Builder
	big.WriteString("<html><body>")
	for big.Len() < 8<<20 {
		big.WriteString("<div><p>Many paragraphs of text in nested blocks.</p></div>\n")
	}
	page := []byte(big.String())

	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(20*time.Millisecond, cancel)
	start := time.Now()
	_, err := e.Extract(cctx, extract.Input{HTML: page})
	took := time.Since(start)
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)
	// The page takes seconds; the engine's own timeout is a minute.
	assert.Less(t, took, 3*time.Second, "cancel did not stop the guest")
	t.Logf("canceled after 20ms, returned after %s", took)

	dctx, dcancel := context.WithTimeout(ctx, 5*time.Millisecond)
	defer dcancel()
	_, err = e.Extract(dctx, extract.Input{HTML: page})
	assert.ErrorIs(t, err, context.DeadlineExceeded)

	in := extract.Input{HTML: []byte(article)}
	want, err := (&extract.Native{}).Extract(ctx, in)
	require.NoError(t, err)
	got, err := e.Extract(ctx, in)
	require.NoError(t, err, "the engine works after interrupted guests")
	assert.Equal(t, want.Text, got.Text)
}

// TestInterruptionModes: a module given by the user is rewritten for fuel
// interruption; one the rewriter does not handle falls back to wazero's
// checks; WithInterrupt(false) runs it as given. The first two stop a
// guest that loops forever.
func TestInterruptionModes(t *testing.T) {
	ctx := context.Background()
	loop := bad(wasmbin.Cat(wasmbin.Loop, wasmbin.Unreachable))
	// v128.const 0; drop: SIMD, which the rewriter leaves to wazero.
	simd := append([]byte{0xfd, 0x0c}, make([]byte, 16)...)
	simd = append(simd, 0x1a)
	cases := []struct {
		name string
		spec guestSpec
		opts []wasm.Option
		want string
	}{
		{"fuel", guestSpec{extract: loop}, nil, wasm.InterruptFuel},
		{"wazero for SIMD", guestSpec{extract: wasmbin.Cat(simd, loop)}, nil, wasm.InterruptWazero},
		{"off", guestSpec{}, []wasm.Option{wasm.WithInterrupt(false)}, wasm.InterruptOff},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := append([]wasm.Option{wasm.Module(guest(tc.spec)), wasm.WithTimeout(100 * time.Millisecond)}, tc.opts...)
			e, err := wasm.New(ctx, opts...)
			require.NoError(t, err)
			defer func() { require.NoError(t, e.Close(ctx)) }()
			assert.Equal(t, tc.want, e.Info().Interruption)
			start := time.Now()
			_, err = e.Extract(ctx, extract.Input{HTML: bigHTML})
			if tc.want == wasm.InterruptOff {
				assert.NoError(t, err)
				return
			}
			assert.ErrorIs(t, err, wasm.ErrTimeout)
			assert.Less(t, time.Since(start), 3*time.Second)
		})
	}
	t.Run("a module importing the check is not trusted", func(t *testing.T) {
		// It could import the check and never call it: it gets wazero's
		// checks, not fuel.
		m := guest(guestSpec{extract: loop, imports: []wasmbin.Import{{Module: "riptide_interrupt", Name: "check", Type: tI32}}})
		e, err := wasm.New(ctx, wasm.Module(m), wasm.WithTimeout(100*time.Millisecond))
		require.NoError(t, err)
		defer func() { require.NoError(t, e.Close(ctx)) }()
		assert.Equal(t, wasm.InterruptWazero, e.Info().Interruption)
		_, err = e.Extract(ctx, extract.Input{HTML: bigHTML})
		assert.ErrorIs(t, err, wasm.ErrTimeout)
	})
}
