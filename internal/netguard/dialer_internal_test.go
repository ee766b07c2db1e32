package netguard

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestControl checks the last line of defence on its own: the socket hook
// refuses blocked ip:port pairs even if resolution were bypassed.
func TestControl(t *testing.T) {
	d := &Dialer{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}}
	cases := []struct {
		addr    string
		blocked bool
	}{
		{"127.0.0.1:80", true},
		{"[::1]:443", true},
		{"[::ffff:127.0.0.1]:80", true},
		{"169.254.169.254:80", true},
		{"[fe80::1%eth0]:80", true},
		{"not an address", true},
		{"127.0.0.2:80", false},
		{"[::ffff:127.0.0.2]:80", false},
		{"93.184.216.34:443", false},
		{"[2606:2800:220:1::1]:443", false},
	}
	for _, c := range cases {
		err := d.control("tcp", c.addr, nil)
		if c.blocked {
			assert.ErrorIs(t, err, ErrBlocked, c.addr)
		} else {
			assert.NoError(t, err, c.addr)
		}
	}
	open := &Dialer{AllowPrivate: true}
	assert.NoError(t, open.control("tcp", "127.0.0.1:80", nil))
}
