package netguard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http/httptrace"
	"net/netip"
	"syscall"
	"time"
)

// DefaultDialTimeout bounds one connection attempt when Dialer.Timeout is 0.
const DefaultDialTimeout = 10 * time.Second

// ResolveFunc resolves a host name to its addresses.
type ResolveFunc func(ctx context.Context, host string) ([]netip.Addr, error)

// Dialer dials TCP connections to public addresses only.
//
// DialContext resolves the host once, checks every address the name
// resolves to with [CheckAddr] (one blocked answer refuses the whole
// name), and then dials the checked addresses as literals, so no second
// resolution can swap in another address (DNS rebinding). The check runs
// again in the socket's Control hook, on the exact ip:port being dialled.
//
// The zero Dialer is ready to use and refuses private addresses. A Dialer
// must not be modified while in use; it is safe for concurrent use.
type Dialer struct {
	// AllowPrivate turns the guard off: every address may be dialled.
	// Meant for tests and for deployments that fetch from private networks
	// on purpose.
	AllowPrivate bool
	// Allow lists prefixes that are dialled even though CheckAddr refuses
	// them. Keep it as narrow as possible (a single /32 in tests).
	Allow []netip.Prefix
	// Resolver replaces the system resolver (net.DefaultResolver).
	Resolver ResolveFunc
	// Timeout bounds each connection attempt; 0 means DefaultDialTimeout.
	Timeout time.Duration
	// KeepAlive is passed to net.Dialer; 0 means its default.
	KeepAlive time.Duration
}

// Check reports whether ip may be dialled under d's settings.
func (d *Dialer) Check(ip netip.Addr) error {
	if d.AllowPrivate {
		return nil
	}
	ip = ip.WithZone("")
	for _, p := range d.Allow {
		if p.Contains(ip) || (ip.Is4In6() && p.Contains(ip.Unmap())) {
			return nil
		}
	}
	return CheckAddr(ip)
}

// Resolve resolves host (a name or an IP literal) and checks the name
// ([CheckHost]) and every address. It returns the addresses, or an error matching [ErrBlocked] when
// any address is refused.
func (d *Dialer) Resolve(ctx context.Context, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		if err := d.Check(ip); err != nil {
			return nil, err
		}
		return []netip.Addr{ip}, nil
	}
	if !d.AllowPrivate {
		if err := CheckHost(host); err != nil {
			return nil, err
		}
	}
	trace := httptrace.ContextClientTrace(ctx)
	if trace != nil && trace.DNSStart != nil {
		trace.DNSStart(httptrace.DNSStartInfo{Host: host})
	}
	addrs, err := d.lookup(ctx, host)
	if trace != nil && trace.DNSDone != nil {
		info := httptrace.DNSDoneInfo{Err: err}
		for _, a := range addrs {
			info.Addrs = append(info.Addrs, net.IPAddr{IP: a.AsSlice(), Zone: a.Zone()})
		}
		trace.DNSDone(info)
	}
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		return nil, &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
	}
	for i, a := range addrs {
		// The system resolver may hand back IPv4 answers in 4-in-6 form.
		if a.Is4In6() {
			a = a.Unmap()
			addrs[i] = a
		}
		if err := d.Check(a); err != nil {
			var be *BlockedError
			if errors.As(err, &be) {
				be.Host = host
			}
			return nil, err
		}
	}
	return addrs, nil
}

func (d *Dialer) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if d.Resolver != nil {
		addrs, err := d.Resolver(ctx, host)
		// Never let the caller's slice be modified by Resolve.
		return append([]netip.Addr(nil), addrs...), err
	}
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// DialContext connects to addr ("host:port") on network "tcp", "tcp4" or
// "tcp6", after resolving and checking the host as described on [Dialer].
// It tries the checked addresses in order until one connects; each try
// gets an equal share of the timeout, but at least 2 s.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("netguard: network %q not supported", network)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	addrs, err := d.Resolve(ctx, host)
	if err != nil {
		return nil, err
	}
	timeout := d.Timeout
	if timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	// Share the timeout among the addresses so that one black-holed address
	// (often an IPv6 one) cannot use it all, but give each a fair try.
	if n := len(addrs); n > 1 {
		timeout = max(timeout/time.Duration(n), min(timeout, 2*time.Second))
	}
	nd := &net.Dialer{Timeout: timeout, KeepAlive: d.KeepAlive, Control: d.control}
	var errs []error
	for _, a := range addrs {
		if (network == "tcp4" && !a.Is4()) || (network == "tcp6" && !a.Is6()) {
			continue
		}
		conn, err := nd.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return conn, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	if len(errs) == 0 {
		return nil, &net.AddrError{Err: "no suitable address", Addr: host}
	}
	return nil, errors.Join(errs...)
}

// control runs on the socket before connect, with the address that is
// about to be dialled: the last line of defence.
func (d *Dialer) control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse dialled address %q", ErrBlocked, address)
	}
	return d.Check(ap.Addr().Unmap())
}
