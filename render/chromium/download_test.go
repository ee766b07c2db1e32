package chromium

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/internal/testenv"
	"github.com/riptide-go/riptide/render"
)

type zipEntry struct {
	name string
	mode os.FileMode
	body string
}

func buildZip(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		require.NoError(t, err)
		_, err = w.Write([]byte(e.body))
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

// mirror serves body for every path ending in .zip and counts requests.
func mirror(t testing.TB, body []byte) (*httptest.Server, *atomic.Int32) {
	var hits atomic.Int32
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasSuffix(r.URL.Path, ".zip") {
			http.NotFound(w, r)
			return
		}
		hits.Add(1)
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s, &hits
}

// wrapper is a "chrome" that runs the real browser, as a downloaded build
// would run.
func wrapper(real string) string {
	return "#!/bin/sh\nPATH=/usr/local/bin:/usr/bin:/bin\nexport PATH\nexec " + real + ` "$@"` + "\n"
}

// noBrowserOnPath makes LookPath fail, as on a machine without Chromium.
func noBrowserOnPath(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := LookPath()
	require.ErrorIs(t, err, render.ErrNoBrowser)
}

// TestDownloadFromMirror: with no browser installed and AllowDownload, New
// downloads a build from the mirror, checks it runs, and renders with it;
// a second New reuses it without downloading.
func TestDownloadFromMirror(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the fake build is a Linux one")
	}
	real := testenv.ChromePath(t)
	body := buildZip(t,
		zipEntry{"chrome-linux/", os.ModeDir | 0o755, ""},
		zipEntry{"chrome-linux/chrome", 0o755, wrapper(real)},
		zipEntry{"chrome-linux/locales/en-US.pak", 0o644, "pak"},
	)
	m, hits := mirror(t, body)
	s := site(t, map[string]any{"/": jsPage, "/api": "api-ok"})
	noBrowserOnPath(t)
	dir := t.TempDir()
	cfg := Config{AllowDownload: true, DownloadMirror: m.URL + "/", DownloadDir: dir}

	r := newTestRenderer(t, cfg, s)
	require.True(t, strings.HasPrefix(r.cfg.bin, dir), "browser %s not under %s", r.cfg.bin, dir)
	resp, err := r.Render(context.Background(), &render.Request{URL: s.URL + "/", Actions: []render.Action{render.WaitCSS("#done")}})
	require.NoError(t, err)
	assert.Contains(t, resp.HTML, "api-ok")
	assert.Equal(t, int32(1), hits.Load())
	b, err := os.ReadFile(filepath.Join(filepath.Dir(r.cfg.bin), "locales", "en-US.pak"))
	require.NoError(t, err)
	assert.Equal(t, "pak", string(b))

	r2, err := New(cfg)
	require.NoError(t, err)
	require.NoError(t, r2.Close(context.Background()))
	assert.Equal(t, int32(1), hits.Load(), "the build already downloaded is reused")
	assertNoTemporaries(t, dir)
}

func assertNoTemporaries(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range ents {
		assert.False(t, strings.HasPrefix(e.Name(), "."), "temporary %s left in %s", e.Name(), dir)
	}
}

// TestDownloadHostile: what a broken or hostile mirror serves gives
// ErrNoBrowser, writes nothing outside the download directory and leaves
// no build or temporary file behind.
func TestDownloadHostile(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the fake builds are Linux ones")
	}
	outside := t.TempDir()
	escape, err := filepath.Rel("/", filepath.Join(outside, "evil"))
	require.NoError(t, err)
	cases := []struct {
		name    string
		body    []byte
		handler http.HandlerFunc
		want    string
	}{
		{name: "not found", handler: http.NotFound, want: "404"},
		{name: "not a zip", body: []byte("<html>mirror error page</html>"), want: "not a zip"},
		{name: "dot-dot path", body: buildZip(t,
			zipEntry{"chrome-linux/chrome", 0o755, "#!/bin/sh\n"},
			zipEntry{"chrome-linux/../../../../../../../../" + escape, 0o644, "pwned"}), want: "leaves its directory"},
		{name: "absolute path", body: buildZip(t,
			zipEntry{"/" + escape, 0o644, "pwned"}), want: "leaves its directory"},
		{name: "file above the top directory", body: buildZip(t,
			zipEntry{"chrome", 0o755, "#!/bin/sh\n"}), want: "outside its top directory"},
		{name: "link out", body: buildZip(t,
			zipEntry{"chrome-linux/lib", os.ModeSymlink | 0o777, outside},
			zipEntry{"chrome-linux/lib/evil", 0o644, "pwned"}), want: "does not point down"},
		{name: "link up", body: buildZip(t,
			zipEntry{"chrome-linux/up", os.ModeSymlink | 0o777, ".."},
			zipEntry{"chrome-linux/up/evil", 0o644, "pwned"}), want: "does not point down"},
		{name: "duplicate entry", body: buildZip(t,
			zipEntry{"chrome-linux/chrome", 0o755, "#!/bin/sh\n"},
			zipEntry{"chrome-linux/chrome", 0o755, "#!/bin/sh\necho twice\n"}), want: "exists"},
		{name: "not a browser", body: buildZip(t,
			zipEntry{"chrome-linux/chrome", 0o755, "#!/bin/sh\necho hello\n"}), want: "does not run headless"},
		{name: "browser that fails", body: buildZip(t,
			zipEntry{"chrome-linux/chrome", 0o755, "#!/bin/sh\nexit 3\n"}), want: "does not run"},
		{name: "too big", body: buildZip(t,
			zipEntry{"chrome-linux/chrome", 0o755, strings.Repeat("#", 300<<10)}), want: "unpacks to more than"},
	}
	old := downloadLimits
	downloadLimits.unpacked = 256 << 10
	t.Cleanup(func() { downloadLimits = old })
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.handler
			if h == nil {
				h = func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(tc.body) }
			}
			m := httptest.NewServer(h)
			defer m.Close()
			noBrowserOnPath(t)
			dir := t.TempDir()
			_, err := New(Config{AllowDownload: true, DownloadMirror: m.URL, DownloadDir: dir})
			require.ErrorIs(t, err, render.ErrNoBrowser)
			assert.Contains(t, err.Error(), tc.want)
			ents, _ := os.ReadDir(outside)
			assert.Empty(t, ents, "written outside the download directory")
			ents, _ = os.ReadDir(dir)
			assert.Empty(t, ents, "build or temporary left in the download directory")
		})
	}
}

// TestDownloadLimits: an archive over the size limit is refused without
// being unpacked, and a mirror that never answers is given up after
// DownloadTimeout.
func TestDownloadLimits(t *testing.T) {
	old := downloadLimits
	downloadLimits.archive = 64 << 10
	t.Cleanup(func() { downloadLimits = old })
	noBrowserOnPath(t)

	m, _ := mirror(t, bytes.Repeat([]byte("z"), 100<<10))
	_, err := New(Config{AllowDownload: true, DownloadMirror: m.URL, DownloadDir: t.TempDir()})
	require.ErrorIs(t, err, render.ErrNoBrowser)
	assert.Contains(t, err.Error(), "larger than")

	stuck := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-stuck:
		}
	}))
	defer hang.Close()
	defer close(stuck)
	start := time.Now()
	_, err = New(Config{AllowDownload: true, DownloadMirror: hang.URL, DownloadDir: t.TempDir(), DownloadTimeout: 300 * time.Millisecond})
	require.ErrorIs(t, err, render.ErrNoBrowser)
	assert.Contains(t, err.Error(), "deadline exceeded")
	assert.Less(t, time.Since(start), 10*time.Second)
}

// TestDownloadMirrorCredentials: a mirror's credentials reach the mirror
// but never an error message.
func TestDownloadMirrorCredentials(t *testing.T) {
	var user, pass string
	m := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, pass, _ = r.BasicAuth()
		http.NotFound(w, r)
	}))
	defer m.Close()
	noBrowserOnPath(t)
	u := strings.Replace(m.URL, "http://", "http://mirror-user:s3cret-pw@", 1)
	_, err := New(Config{AllowDownload: true, DownloadMirror: u, DownloadDir: t.TempDir()})
	require.ErrorIs(t, err, render.ErrNoBrowser)
	assert.Equal(t, "mirror-user", user)
	assert.Equal(t, "s3cret-pw", pass)
	assert.NotContains(t, err.Error(), "s3cret-pw")
}
