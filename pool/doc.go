// Package pool keeps a bounded set of expensive, reusable resources (headless
// browsers, WASM instances) ready for use.
//
// A [Pool] creates items with a user-supplied constructor, hands them out
// with [Pool.Acquire] and takes them back with [Pool.Release]. It never holds
// more than Config.Max items, keeps Config.Target idle items warm, checks idle
// items in the background and replaces any item that fails, and recycles
// items after a number of uses, a maximum age or above a memory cap.
//
// # Acquiring
//
// Acquire serves waiters in FIFO order and honours its context: a canceled
// Acquire leaves the pool unchanged, even when an item was being handed to it
// at the moment of cancellation (the item goes to the next waiter or back to
// the idle set). When no item is idle and the pool is below Max, the caller
// creates the item itself, under its own context, and a creation error is
// returned to that caller as a [*CreateError].
//
// # Releasing
//
// Every acquired item must be given back exactly once, with [Pool.Release]
// or [Pool.Discard]. Release with a non-nil error (for example one wrapping
// [ErrBroken]) closes the item instead of reusing it: an item whose last use
// failed is never handed out again. Releasing an item the pool does not hold
// as checked out is logged and ignored.
//
// # Items
//
// Items are told apart by value, so T is usually a pointer and New must
// return a distinct value each time. Config.Close is called exactly once for
// every item New returned, always outside the pool's lock, usually on a
// background goroutine.
//
// # Goroutines
//
// The pool runs one maintenance goroutine plus short-lived goroutines that
// create or close items. [Pool.Close] stops them all; it waits for them, and
// for checked-out items to come back, up to its context's deadline (or
// Config.CloseTimeout when the context has none). A user callback that never
// returns (a Close that hangs) keeps its goroutine alive; give such
// callbacks their own deadline.
//
// # Callbacks
//
// New, Close, Check and Mem may be called concurrently from several
// goroutines and are never called while the pool's lock is held, so they may
// call back into the pool. A panic in one of them is recovered and becomes
// an error wrapping [ErrCallbackPanic]: a failed creation, or a broken item
// that is closed and replaced. A panic in the function given to [Pool.Do]
// is not a callback's: Do discards the item and lets the panic go on.
package pool
