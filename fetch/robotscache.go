package fetch

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/sync/singleflight"

	"github.com/riptide-go/riptide/internal/redact"
	"github.com/riptide-go/riptide/timeout"
)

// robotsErrorTTL bounds how long a robots.txt that failed with a server or
// network error (and so disallows everything) is remembered.
const robotsErrorTTL = time.Minute

type robotsCache struct {
	ttl     time.Duration
	entries *lru.Cache[string, robotsEntry]
	group   singleflight.Group
}

type robotsEntry struct {
	robots  *Robots
	expires time.Time
}

func newRobotsCache(size int, ttl time.Duration) (*robotsCache, error) {
	c, err := lru.New[string, robotsEntry](size)
	if err != nil {
		return nil, fmt.Errorf("fetch: robots cache: %w", err)
	}
	return &robotsCache{ttl: ttl, entries: c}, nil
}

// Robots returns the robots.txt rules of rawURL's origin, fetching them
// (through the same guarded client, following up to 5 redirects) unless
// cached. A robots.txt answered with 4xx allows everything; one that
// fails with 5xx, 429, a timeout or a network error disallows everything.
// The crawler uses it for Sitemaps and Crawl-delay.
func (h *HTTP) Robots(ctx context.Context, rawURL string) (*Robots, error) {
	u, err := h.parseURL(rawURL)
	if err != nil {
		return nil, &Error{Op: "parse", URL: redact.URL(rawURL), Err: err}
	}
	budget := h.policy.Budget(timeout.StageFetch, u.String())
	bctx, cancel := context.WithTimeoutCause(ctx, budget, errBudget)
	defer cancel()
	return h.robotsFor(ctx, bctx, u)
}

// robotsFor returns the cached or freshly fetched rules for u's origin.
// Concurrent callers for one origin share a single fetch.
func (h *HTTP) robotsFor(parent, ctx context.Context, u *url.URL) (*Robots, error) {
	key := originOf(u)
	for attempt := 0; ; attempt++ {
		if e, ok := h.robots.entries.Get(key); ok && time.Now().Before(e.expires) {
			return e.robots, nil
		}
		v, err, _ := h.robots.group.Do(key, func() (any, error) {
			r, ttl, err := h.fetchRobots(parent, ctx, u)
			if err != nil {
				return nil, err
			}
			h.robots.entries.Add(key, robotsEntry{robots: r, expires: time.Now().Add(ttl)})
			return r, nil
		})
		if err == nil {
			return v.(*Robots), nil
		}
		// The shared fetch may have died with another caller's context;
		// try again once with ours if it is still alive.
		if attempt == 0 && isContextErr(err) && ctx.Err() == nil {
			continue
		}
		return nil, err
	}
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// fetchRobots fetches and parses /robots.txt of u's origin and says how
// long the answer may be cached. It returns an error only when the answer
// says nothing about the site: the caller's context ended, or the origin
// itself is blocked.
func (h *HTTP) fetchRobots(parent, ctx context.Context, u *url.URL) (*Robots, time.Duration, error) {
	ru := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/robots.txt"}
	resp, err := h.do(parent, ctx, ru, &Request{}, fetchOpts{
		maxRedirects:   maxRobotsRedirects,
		maxBody:        MaxRobotsBytes,
		allowTruncated: true,
		anyType:        true,
		nested:         true,
	})
	if err == nil {
		if resp.Status >= 200 && resp.Status <= 299 {
			return ParseRobots(resp.Body), h.robots.ttl, nil
		}
		return &Robots{}, h.robots.ttl, nil // 304 cannot happen; allow
	}
	errTTL := min(h.robots.ttl, robotsErrorTTL)
	var fe *Error
	switch {
	case parent.Err() != nil:
		return nil, 0, err
	case errors.Is(err, ErrBlockedAddress), errors.Is(err, ErrInvalidURL) && errors.As(err, &fe) && fe.Op == "parse":
		return nil, 0, err
	case errors.Is(err, ErrHTTPStatus) && errors.As(err, &fe):
		if fe.Status >= 500 || fe.Status == 429 {
			return robotsDisallowAll, errTTL, nil
		}
		// 4xx, or a 3xx without a usable Location: unavailable, allow.
		return &Robots{}, h.robots.ttl, nil
	case errors.Is(err, ErrTooManyRedirects), errors.Is(err, ErrRedirectLoop),
		errors.Is(err, ErrDisallowedScheme), errors.Is(err, ErrInvalidURL):
		// Unavailable (RFC 9309 2.3.1.2): allow.
		return &Robots{}, h.robots.ttl, nil
	case errors.Is(err, ErrTimeout):
		// Our budget ran out on robots.txt: the site is unreachable, and
		// the page fetch that follows will time out too.
		if ctx.Err() != nil {
			return nil, 0, err
		}
		return robotsDisallowAll, errTTL, nil
	default:
		return robotsDisallowAll, errTTL, nil
	}
}
