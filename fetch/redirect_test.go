package fetch_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/fetch"
)

func TestRedirectChain(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		n, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		if n >= 1000 {
			html("<p>end</p>")(w, r)
			return
		}
		http.Redirect(w, r, "/"+strconv.Itoa(n+1), http.StatusFound)
	}))
	defer srv.Close()
	for _, limit := range []int{1, 5, 10} {
		t.Run(strconv.Itoa(limit), func(t *testing.T) {
			hits.Store(0)
			f := open(t, fetch.Config{IgnoreRobots: true, MaxRedirects: limit})
			_, err := get(f, srv.URL+"/0")
			require.ErrorIs(t, err, fetch.ErrTooManyRedirects)
			assert.False(t, fetch.Retryable(err))
			assert.Equal(t, int64(limit+1), hits.Load(), "server sees limit+1 requests")

			resp, err := get(f, srv.URL+"/"+strconv.Itoa(1000-limit))
			require.NoError(t, err)
			assert.Len(t, resp.Redirects, limit)
			assert.Equal(t, srv.URL+"/1000", resp.FinalURL)
			assert.Equal(t, srv.URL+"/"+strconv.Itoa(1000-limit), resp.URL)
		})
	}
}

func TestRedirectLoops(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		switch r.URL.Path {
		case "/a":
			http.Redirect(w, r, "/b", http.StatusMovedPermanently)
		case "/b":
			http.Redirect(w, r, "/a", http.StatusTemporaryRedirect)
		case "/self":
			http.Redirect(w, r, "/self", http.StatusFound)
		case "/case":
			// The same URL once canonicalised (scheme case, trailing dot).
			http.Redirect(w, r, "HTTP://"+strings.Replace(r.Host, ":", ".:", 1)+"/case", http.StatusFound)
		}
	}))
	defer srv.Close()
	f := open(t, fetch.Config{IgnoreRobots: true})
	for _, c := range []struct {
		path string
		hits int64
	}{{"/a", 2}, {"/self", 1}, {"/case", 1}} {
		t.Run(c.path, func(t *testing.T) {
			hits.Store(0)
			_, err := get(f, srv.URL+c.path)
			require.ErrorIs(t, err, fetch.ErrRedirectLoop)
			assert.Equal(t, c.hits, hits.Load())
		})
	}
}

// TestRedirectHeaders: a cross-origin hop drops credentials and every
// caller-supplied header; a same-origin hop keeps them.
func TestRedirectHeaders(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]http.Header{}
	record := func(name string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			seen[name+r.URL.Path] = r.Header.Clone()
			mu.Unlock()
			if to := r.URL.Query().Get("to"); to != "" {
				http.Redirect(w, r, to, http.StatusFound)
				return
			}
			html("<p>ok</p>")(w, r)
		}
	}
	other := httptest.NewServer(record("other"))
	defer other.Close()
	origin := httptest.NewServer(record("origin"))
	defer origin.Close()

	f := open(t, fetch.Config{IgnoreRobots: true})
	secret := http.Header{
		"Authorization":       {"Bearer canary-auth"},
		"Cookie":              {"sid=canary-cookie"},
		"Proxy-Authorization": {"Basic canary-proxy"},
		"X-Api-Key":           {"canary-key"},
	}
	// origin/start -> origin/same -> other/away -> origin/back
	back := origin.URL + "/back"
	away := other.URL + "/away?to=" + back
	same := origin.URL + "/same?to=" + away
	resp, err := f.Fetch(t.Context(), &fetch.Request{URL: origin.URL + "/start?to=" + same, Header: secret})
	require.NoError(t, err)
	assert.Len(t, resp.Redirects, 3)

	mu.Lock()
	defer mu.Unlock()
	for _, k := range []string{"origin/start", "origin/same"} {
		for name := range secret {
			assert.Equal(t, secret.Get(name), seen[k].Get(name), "%s kept on %s", name, k)
		}
	}
	leaked := 0
	for _, k := range []string{"other/away", "origin/back"} {
		require.NotNil(t, seen[k], k)
		for name := range secret {
			if seen[k].Get(name) != "" {
				leaked++
				t.Errorf("%s leaked to %s", name, k)
			}
		}
		assert.Equal(t, fetch.DefaultUserAgent, seen[k].Get("User-Agent"))
	}
	assert.Zero(t, leaked)
}

func TestRedirectEdgeCases(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/a/relative":
			w.Header().Set("Location", "../target?q=1")
			w.WriteHeader(http.StatusSeeOther)
		case "/target":
			html("<p>"+r.URL.RawQuery+"</p>")(w, r)
		case "/file":
			w.Header().Set("Location", "file:///etc/passwd")
			w.WriteHeader(http.StatusFound)
		case "/nolocation":
			w.WriteHeader(http.StatusFound)
		case "/badlocation":
			w.Header().Set("Location", "http://[::1")
			w.WriteHeader(http.StatusFound)
		}
	}))
	defer srv.Close()
	f := open(t, fetch.Config{IgnoreRobots: true})

	resp, err := get(f, srv.URL+"/a/relative")
	require.NoError(t, err)
	assert.Equal(t, srv.URL+"/target?q=1", resp.FinalURL)

	_, err = get(f, srv.URL+"/file")
	require.ErrorIs(t, err, fetch.ErrDisallowedScheme)

	_, err = get(f, srv.URL+"/nolocation")
	require.ErrorIs(t, err, fetch.ErrHTTPStatus)
	fe, ok := errorAs(err)
	require.True(t, ok)
	assert.Equal(t, http.StatusFound, fe.Status)

	_, err = get(f, srv.URL+"/badlocation")
	require.ErrorIs(t, err, fetch.ErrInvalidURL)
}

func errorAs(err error) (*fetch.Error, bool) {
	var fe *fetch.Error
	ok := false
	if err != nil {
		fe, ok = err.(*fetch.Error)
	}
	return fe, ok
}
