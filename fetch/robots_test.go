package fetch_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/riptide-go/riptide/fetch"
)

// rfcExample is the example file of RFC 9309, section 5.1.
const rfcExample = `User-Agent: *
Disallow: *.gif$
Disallow: /example/
Allow: /publications/

User-Agent: foobot
Disallow:/
Allow:/example/page.html
Allow:/example/allowed.gif

User-Agent: barbot
User-Agent: bazbot
Disallow: /example/page.html

User-Agent: quxbot

EOF
`

func TestRobotsRFCExample(t *testing.T) {
	r := fetch.ParseRobots([]byte(rfcExample))
	cases := []struct {
		agent, path string
		allowed     bool
	}{
		{"foobot", "/example/page.html", true},
		{"foobot", "/example/allowed.gif", true},
		{"foobot", "/example/other.html", false},
		{"foobot", "/", false},
		{"FooBot/2.1 (+http://foo.example)", "/other", false},
		{"barbot", "/example/page.html", false},
		{"bazbot", "/example/page.html", false},
		{"barbot", "/example/other.html", true},
		{"quxbot", "/example/page.html", true},
		{"quxbot", "/image.gif", true},
		{"otherbot", "/image.gif", false},
		{"otherbot", "/image.gif?x=1", true},
		{"otherbot", "/example/x", false},
		{"otherbot", "/publications/x", true},
		{"otherbot", "/", true},
		{"otherbot", "/robots.txt", true},
	}
	for _, c := range cases {
		assert.Equal(t, c.allowed, r.Allowed(c.agent, c.path), "%s %s", c.agent, c.path)
	}
}

func TestRobotsMatching(t *testing.T) {
	cases := []struct {
		name, body, path string
		allowed          bool
	}{
		{"longest match", "user-agent: *\nallow: /p\ndisallow: /", "/page", true},
		{"allow wins ties", "user-agent: *\nallow: /folder\ndisallow: /folder", "/folder/page", true},
		{"longer disallow", "user-agent: *\nallow: /page\ndisallow: /*.htm", "/page.htm", false},
		{"dollar anchors root", "user-agent: *\nallow: /$\ndisallow: /", "/", true},
		{"dollar anchors root 2", "user-agent: *\nallow: /$\ndisallow: /", "/page.htm", false},
		{"star in the middle", "user-agent: *\ndisallow: /a/*/c", "/a/b/b/c/d", false},
		{"star no match", "user-agent: *\ndisallow: /a/*/c", "/a/b/d", true},
		{"dollar after star", "user-agent: *\ndisallow: /*.php$", "/x/index.php", false},
		{"dollar after star with query", "user-agent: *\ndisallow: /*.php$", "/x/index.php?a=b", true},
		{"query matched", "user-agent: *\ndisallow: /*?sort=", "/list?sort=asc", false},
		{"empty disallow allows", "user-agent: *\ndisallow:", "/anything", true},
		{"case-sensitive paths", "user-agent: *\ndisallow: /Private", "/private", true},
		{"utf-8 pattern vs encoded path", "user-agent: *\ndisallow: /foo/bar/ツ", "/foo/bar/%E3%83%84", false},
		{"encoded unreserved", "user-agent: *\ndisallow: /foo/bar/baz", "/foo/bar/%62%61%7A", false},
		{"lower-case escapes", "user-agent: *\ndisallow: /a%3cb", "/a%3Cb", false},
		{"comments", "user-agent: * # all\ndisallow: /x # no x\n# disallow: /", "/y", true},
		{"bom", "\xef\xbb\xbfuser-agent: *\ndisallow: /", "/y", false},
		{"cr line ends", "user-agent: *\rdisallow: /x\r", "/x", false},
		{"crlf line ends", "user-agent: *\r\ndisallow: /x\r\n", "/x", false},
		{"rules before any user-agent ignored", "disallow: /\nuser-agent: other\ndisallow: /x", "/", true},
		{"same agent groups merge", "user-agent: riptide\ndisallow: /a\n\nuser-agent: other\ndisallow: /\n\nuser-agent: riptide\ndisallow: /b", "/b", false},
		{"specific group beats star", "user-agent: *\ndisallow: /\n\nuser-agent: riptide\nallow: /", "/x", true},
		{"agent and star in one group", "user-agent: *\nuser-agent: riptide\ndisallow: /x", "/x", false},
		{"html body tolerated", "<html><body><h1>Not Found</h1><p>user-agent: nothing</p></body></html>", "/x", true},
		{"garbage", "\x00\x01\xff\xfe::::\n:\n", "/x", true},
		{"empty file", "", "/x", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.allowed, fetch.ParseRobots([]byte(c.body)).Allowed("riptide", c.path))
		})
	}
	var nilRobots *fetch.Robots
	assert.True(t, nilRobots.Allowed("riptide", "/"))
}

func TestRobotsExtras(t *testing.T) {
	r := fetch.ParseRobots([]byte(`Sitemap: https://example.com/sitemap.xml
user-agent: riptide
crawl-delay: 2.5
disallow: /private
user-agent: other
crawl-delay: 999
sitemap: https://example.com/news.xml
`))
	assert.Equal(t, []string{"https://example.com/sitemap.xml", "https://example.com/news.xml"}, r.Sitemaps())
	d, ok := r.CrawlDelay("riptide")
	assert.True(t, ok)
	assert.Equal(t, 2500*time.Millisecond, d)
	d, ok = r.CrawlDelay("other")
	assert.True(t, ok)
	assert.Equal(t, 30*time.Second, d, "capped")
	_, ok = r.CrawlDelay("nobody")
	assert.False(t, ok)

	// Only the first 500 KiB are read.
	big := "user-agent: *\n" + strings.Repeat("# filler\n", fetch.MaxRobotsBytes/9+1) + "disallow: /\n"
	assert.True(t, fetch.ParseRobots([]byte(big)).Allowed("riptide", "/x"))
}

// robotsSite serves robots.txt through robots and pages everywhere else,
// counting requests.
type robotsSite struct {
	robotsHits, pageHits atomic.Int64
	srv                  *httptest.Server
}

func newRobotsSite(t *testing.T, robots http.HandlerFunc) *robotsSite {
	t.Helper()
	s := &robotsSite{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			s.robotsHits.Add(1)
			robots(w, r)
			return
		}
		s.pageHits.Add(1)
		html("<p>page</p>")(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func TestRobotsFetch(t *testing.T) {
	cases := []struct {
		name    string
		robots  http.HandlerFunc
		allowed bool
	}{
		{"200 rules", func(w http.ResponseWriter, _ *http.Request) {
			_, _ = w.Write([]byte("user-agent: *\ndisallow: /private\n"))
		}, true},
		{"404 allows all", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, true},
		{"403 allows all", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusForbidden) }, true},
		{"500 disallows all", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusInternalServerError) }, false},
		{"503 disallows all", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }, false},
		{"429 disallows all", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTooManyRequests) }, false},
		{"timeout disallows all", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}, false},
		{"redirect followed", func(w http.ResponseWriter, r *http.Request) {
			if r.URL.RawQuery == "" {
				http.Redirect(w, r, "/robots.txt?moved", http.StatusMovedPermanently)
				return
			}
			_, _ = w.Write([]byte("user-agent: *\ndisallow: /\n"))
		}, false},
		{"redirect loop allows all", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/robots.txt", http.StatusFound)
		}, true},
		{"302 without location allows all", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusFound) }, true},
		{"html error page allows", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html><body>oops</body></html>"))
		}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			site := newRobotsSite(t, c.robots)
			f := open(t, fetch.Config{HeaderTimeout: 200 * time.Millisecond})
			_, err := get(f, site.srv.URL+"/public")
			if c.allowed {
				require.NoError(t, err)
				assert.Equal(t, int64(1), site.pageHits.Load())
			} else {
				require.ErrorIs(t, err, fetch.ErrRobotsDisallowed)
				assert.False(t, fetch.Retryable(err))
				assert.Zero(t, site.pageHits.Load())
			}
		})
	}
}

func TestRobotsDisallowAndCache(t *testing.T) {
	site := newRobotsSite(t, func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("user-agent: *\ndisallow: /private\nsitemap: http://example.com/s.xml\n"))
	})
	f := open(t, fetch.Config{})
	for range 5 {
		_, err := get(f, site.srv.URL+"/public")
		require.NoError(t, err)
	}
	_, err := get(f, site.srv.URL+"/private/x")
	require.ErrorIs(t, err, fetch.ErrRobotsDisallowed)

	// The request-level override skips robots.txt.
	_, err = f.Fetch(t.Context(), &fetch.Request{URL: site.srv.URL + "/private/x", IgnoreRobots: true})
	require.NoError(t, err)

	r, err := f.Robots(t.Context(), site.srv.URL+"/anything")
	require.NoError(t, err)
	assert.Equal(t, []string{"http://example.com/s.xml"}, r.Sitemaps())
	assert.Equal(t, int64(1), site.robotsHits.Load(), "robots.txt fetched once")

	// Concurrent first fetches on a fresh fetcher share one robots.txt fetch.
	site.robotsHits.Store(0)
	f2 := open(t, fetch.Config{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			_, err := get(f2, site.srv.URL+"/public")
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, int64(1), site.robotsHits.Load())
}

func TestRobotsCrawlDelay(t *testing.T) {
	var mu sync.Mutex
	var starts []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			_, _ = w.Write([]byte("user-agent: *\ncrawl-delay: 0.15\n"))
			return
		}
		mu.Lock()
		starts = append(starts, time.Now())
		mu.Unlock()
		html("<p>x</p>")(w, r)
	}))
	defer srv.Close()
	// One connection, warmed by the robots.txt fetch, so that dial time
	// does not skew the arrivals.
	f := open(t, fetch.Config{PerHostConcurrency: 1})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			_, err := get(f, srv.URL+"/p")
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	require.Len(t, starts, 4)
	for i := 1; i < len(starts); i++ {
		// Arrivals jitter with connection set-up; see limiter_internal_test.go
		// for the exact spacing under a fake clock.
		assert.GreaterOrEqual(t, starts[i].Sub(starts[i-1]), 100*time.Millisecond, "gap %d", i)
	}
}

func TestRobotsCancel(t *testing.T) {
	site := newRobotsSite(t, func(_ http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	f := open(t, fetch.Config{})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := f.Fetch(ctx, &fetch.Request{URL: site.srv.URL + "/x"})
	require.ErrorIs(t, err, context.Canceled)
}

func FuzzRobots(f *testing.F) {
	for _, s := range []string{
		rfcExample, "user-agent: *\ndisallow: /\n", "\xef\xbb\xbfUser-agent: a\rAllow: /*$\r",
		"user-agent: *\ndisallow: /*a*a*a*a*a*a*a*a*a*a*a*a*b$\n", "sitemap: x\ncrawl-delay: 1e308\n",
		"<html>user-agent: *</html>",
	} {
		f.Add([]byte(s), "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	}
	f.Fuzz(func(t *testing.T, body []byte, path string) {
		r := fetch.ParseRobots(body)
		for _, agent := range []string{"riptide", "*", "", "Googlebot/2.1"} {
			_ = r.Allowed(agent, path)
			_ = r.Allowed(agent, "/")
			if d, _ := r.CrawlDelay(agent); d < 0 || d > 30*time.Second {
				t.Fatalf("crawl delay %v out of bounds", d)
			}
		}
		if !r.Allowed("riptide", "/robots.txt") {
			t.Fatal("robots.txt itself disallowed")
		}
		if len(r.Sitemaps()) > 1000 {
			t.Fatal("unbounded sitemaps")
		}
	})
}
