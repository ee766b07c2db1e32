package netguard_test

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/riptide-go/riptide/internal/netguard"
)

func ExampleParseURL() {
	for _, raw := range []string{
		"HTTP://Bücher.Example:80/a?b=c#frag",
		"http://2130706433/",
		"http://127.0.0.1:6666\\@1.1.1.1",
		"file:///etc/passwd",
	} {
		u, err := netguard.ParseURL(raw)
		switch {
		case err == nil:
			fmt.Println(u)
		case errors.Is(err, netguard.ErrBlocked):
			fmt.Println("blocked:", err)
		default:
			fmt.Println("refused:", err)
		}
	}
	// Output:
	// http://xn--bcher-kva.example/a?b=c
	// blocked: netguard: blocked address 127.0.0.1 (loopback)
	// refused: netguard: invalid url: backslash at byte 21
	// refused: netguard: scheme not allowed: "file"
}

func ExampleCheckAddr() {
	for _, s := range []string{"8.8.8.8", "100.100.100.200", "64:ff9b::a9fe:a9fe", "::ffff:10.0.0.1"} {
		fmt.Println(s, netguard.CheckAddr(netip.MustParseAddr(s)))
	}
	// Output:
	// 8.8.8.8 <nil>
	// 100.100.100.200 netguard: blocked address 100.100.100.200 (cgnat)
	// 64:ff9b::a9fe:a9fe netguard: blocked address 64:ff9b::a9fe:a9fe (nat64)
	// ::ffff:10.0.0.1 netguard: blocked address ::ffff:10.0.0.1 (ipv4-mapped rfc1918)
}
