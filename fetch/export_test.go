package fetch

import "net/netip"

// WithAllow returns cfg with a guard allow-list, for tests that need the
// guard on while reaching a test server on one loopback address.
func WithAllow(cfg Config, prefixes ...netip.Prefix) Config {
	cfg.allow = prefixes
	return cfg
}

// TrackedHosts returns how many hosts the per-host limiter tracks.
func TrackedHosts(h *HTTP) int { return h.hosts.size() }
