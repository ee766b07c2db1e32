package riptide

// SetAutoRecheck replaces the draw that decides whether a page of a domain
// decided "headless" is tried static again, so tests need not depend on
// chance.
func SetAutoRecheck(c *Client, recheck func() bool) { c.decisions.recheck = recheck }
