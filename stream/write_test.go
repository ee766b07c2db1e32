package stream

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeTransport records what Write sends; sendErr and pingErr fail calls.
type fakeTransport struct {
	sent      []Event
	pings     int
	sendErr   error
	pingErr   error
	deadlines []bool
}

func (f *fakeTransport) Send(ctx context.Context, ev *Event, data []byte) error {
	_, ok := ctx.Deadline()
	f.deadlines = append(f.deadlines, ok)
	if f.sendErr != nil {
		return f.sendErr
	}
	f.sent = append(f.sent, *ev)
	return nil
}

func (f *fakeTransport) KeepAlive(context.Context) error {
	f.pings++
	return f.pingErr
}

var _ Transport = (*fakeTransport)(nil)

func TestWriteWithTransport(t *testing.T) {
	src := []Event{NewStart(Start{}), NewResult(1), NewResult(2), NewResult(3), NewSummary(Summary{Total: 3})}
	cases := []struct {
		name    string
		opts    []Option
		tr      *fakeTransport
		source  []Event
		wantIDs []int64
		wantErr error
	}{
		{"all events", nil, &fakeTransport{}, src, []int64{1, 2, 3, 4, 5}, nil},
		{"resume after 2", []Option{WithResumeAfter(2)}, &fakeTransport{}, src, []int64{3, 4, 5}, nil},
		{"resume past the end keeps the final event", []Option{WithResumeAfter(9)}, &fakeTransport{}, src, []int64{5}, nil},
		{"source ids are kept", nil, &fakeTransport{},
			[]Event{{Type: TypeStart, ID: 10, Start: &Start{}}, {Type: TypeResult, ID: 20, Result: 1}, NewResult(2)},
			[]int64{10, 20, 21, 22}, nil},
		{"send error", nil, &fakeTransport{sendErr: errors.New("reset")}, src, nil, ErrWrite},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Write(context.Background(), tc.tr, slices.Values(tc.source), tc.opts...)
			if tc.wantErr != nil {
				require.ErrorIs(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			var ids []int64
			for _, ev := range tc.tr.sent {
				ids = append(ids, ev.ID)
			}
			assert.Equal(t, tc.wantIDs, ids)
			assert.NotContains(t, tc.tr.deadlines, false, "every send has a deadline")
		})
	}
}

func TestWriteKeepAlive(t *testing.T) {
	ctx := context.Background()
	tr := &fakeTransport{}
	require.NoError(t, Write(ctx, tr, results(ctx, 2, 40*time.Millisecond, nil), WithKeepAlive(5*time.Millisecond)))
	assert.GreaterOrEqual(t, tr.pings, 3)

	// A failed keep-alive ends the stream, and WithCancel stops a source
	// that is busy between events.
	failing := &fakeTransport{pingErr: errors.New("no pong")}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	err := Write(lctx, failing, results(lctx, 1, time.Hour, nil),
		WithKeepAlive(5*time.Millisecond), WithCancel(cancel))
	require.ErrorIs(t, err, ErrWrite)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestWriteRepanicsSourcePanicOnCallerGoroutine(t *testing.T) {
	tr := &fakeTransport{}
	src := func(yield func(Event) bool) {
		if yield(NewResult(1)) {
			panic("source bug")
		}
	}
	assert.PanicsWithValue(t, "source bug", func() {
		_ = Write(context.Background(), tr, src)
	})
	require.Len(t, tr.sent, 3)
	last := tr.sent[2]
	assert.Equal(t, TypeError, last.Type)
	assert.True(t, last.Error.Fatal)
	assert.Equal(t, "source_panic", last.Error.Code)
}
