package netguard_test

import (
	"net/netip"
	"testing"

	"github.com/riptide-go/riptide/internal/netguard"
)

func BenchmarkParseURL(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := netguard.ParseURL("https://www.Example.com/articles/rip-currents?utm_source=x#top"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckAddr(b *testing.B) {
	addrs := []netip.Addr{
		netip.MustParseAddr("93.184.216.34"),
		netip.MustParseAddr("2606:2800:220:1:248:1893:25c8:1946"),
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, a := range addrs {
			if netguard.CheckAddr(a) != nil {
				b.Fatal("public address blocked")
			}
		}
	}
}
