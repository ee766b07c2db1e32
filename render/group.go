package render

import (
	"context"
	"time"
)

// Group is a set of renders that share one browser context (cookies,
// storage, cache) and reuse warm tabs: the handle a crawl or a tenant
// holds for all its pages. Renders of different Groups never share
// state. A Group is safe for concurrent use; Close ends it.
type Group interface {
	Renderer
	Close(ctx context.Context) error
}

// Grouper is an optional capability of a [Renderer]: opening a [Group].
// Test for it with a type assertion.
type Grouper interface {
	NewGroup(ctx context.Context) (Group, error)
}

// SessionInfo describes a live session.
type SessionInfo struct {
	ID       string    `json:"id"`
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"last_used"`
}

// SessionManager is an optional capability of a [Renderer] that keeps
// sessions (Request.SessionID): listing and closing them.
type SessionManager interface {
	ListSessions() []SessionInfo
	// CloseSession ends a session; an unknown id gives ErrSessionNotFound.
	CloseSession(ctx context.Context, id string) error
}
