package redact

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

const canary = "Zq9canary7Secret42XyZ"

func TestURL(t *testing.T) {
	cases := []struct{ in, want string }{
		{"https://user:" + canary + "@example.org/a", "https://example.org/a"},
		{"https://example.org/a?access_token=" + canary + "&page=2", "https://example.org/a?access_token=" + Mask + "&page=2"},
		{"https://example.org/a?sig=" + canary, "https://example.org/a?sig=" + Mask},
		{"https://example.org/a?q=" + canary + "abc123", "https://example.org/a?q=" + Mask},
		{"https://example.org/a?page=2&sort=asc", "https://example.org/a?page=2&sort=asc"},
		{"https://example.org/a#" + canary, "https://example.org/a"},
	}
	for _, tc := range cases {
		got := URL(tc.in)
		assert.Equal(t, tc.want, got)
		assert.NotContains(t, got, canary)
	}
	// Unparseable input never leaks its query or userinfo.
	for _, bad := range []string{"http://a b/?token=" + canary, "::x@" + canary, "http://[::1/?k=" + canary} {
		assert.NotContains(t, URL(bad), canary, bad)
	}
}

func TestRedactedDoesNotModify(t *testing.T) {
	u, _ := url.Parse("https://u:p@example.org/?token=" + canary)
	_ = Redacted(u)
	assert.Equal(t, "u", u.User.Username())
	assert.True(t, strings.Contains(u.RawQuery, canary))
	assert.Equal(t, "", Redacted(nil))
}

func TestHeader(t *testing.T) {
	assert.Equal(t, "text/html", Header("Content-Type", "text/html"))
	for _, h := range []string{"Authorization", "Cookie", "X-Api-Key", "Proxy-Authorization", "X-Custom"} {
		assert.Equal(t, Mask, Header(h, canary), h)
	}
	assert.True(t, IsSecretKey("X-Auth-Token"))
	assert.False(t, IsSecretKey("page"))
}

func FuzzURL(f *testing.F) {
	f.Add("https://user:pw@example.org/?token=x")
	f.Add("https://user:hunter22@example.org/a")
	f.Fuzz(func(t *testing.T, s string) {
		out := URL(s)
		if u, err := url.Parse(s); err == nil && u.User != nil {
			// A leak is the password in the output where the URL without
			// its userinfo (as it prints, escapes included) does not
			// already hold it.
			bare := *u
			bare.User = nil
			if p, ok := u.User.Password(); ok && len(p) > 3 && strings.Contains(out, p) && !strings.Contains(bare.String(), p) {
				t.Fatalf("password %q leaked in %q", p, out)
			}
		}
	})
}

func TestText(t *testing.T) {
	in := "navigate \"https://u:" + canary + "@example.org/a?access_token=" + canary + "\": failed\n\tsee http://x.org/?sig=" + canary + ", then retry"
	got := Text(in)
	assert.NotContains(t, got, canary)
	assert.Equal(t, "navigate \"https://example.org/a?access_token="+Mask+"\": failed\n\tsee http://x.org/?sig="+Mask+", then retry", got)
	assert.Equal(t, "no urls here", Text("no urls here"))
	assert.Equal(t, "://", Text("://"))
}
