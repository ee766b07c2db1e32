package urlnorm

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNormalize(t *testing.T) {
	cases := []struct{ in, want string }{
		{"HTTP://Example.ORG", "http://example.org/"},
		{"http://example.org:80/a", "http://example.org/a"},
		{"https://example.org:443/a", "https://example.org/a"},
		{"https://example.org:8443/a", "https://example.org:8443/a"},
		{"http://example.org/a#frag", "http://example.org/a"},
		{"http://example.org/a/./b/../c", "http://example.org/a/c"},
		{"http://example.org/a/", "http://example.org/a/"},
		{"http://example.org/?b=2&a=1&a=0", "http://example.org/?a=1&a=0&b=2"},
		{"http://example.org/?", "http://example.org/"},
		{"http://example.org./x", "http://example.org/x"},
		{"http://user:pw@example.org/", "http://example.org/"},
		{"http://[::1]:80/", "http://[::1]/"},
		{"http://example.org/a%2Fb", "http://example.org/a%2Fb"},
		{"http://example.org/%7Euser", "http://example.org/~user"},
	}
	for _, tc := range cases {
		got, ok := Normalize(tc.in)
		assert.True(t, ok, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
		again, _ := Normalize(got)
		assert.Equal(t, got, again, "normal form is stable for %s", tc.in)
	}
	for _, bad := range []string{"", "/relative", "ftp://example.org/", "mailto:a@b", "http://", "::"} {
		_, ok := Normalize(bad)
		assert.False(t, ok, bad)
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"http://a.b/c?d=e#f", "HTTPS://X:443/./a/../b/", "http://[::1]:8080/%41"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := Normalize(s)
		if !ok {
			return
		}
		again, ok2 := Normalize(got)
		if !ok2 || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q (%v)", s, got, again, ok2)
		}
	})
}
