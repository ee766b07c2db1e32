package wasm

import (
	"context"
	"fmt"

	"github.com/tetratelabs/wazero/api"
)

// instance is one instantiated guest. It is used by one goroutine at a time
// (the pool hands it out exclusively).
type instance struct {
	mod                                      api.Module
	mem                                      api.Memory
	alloc, free, extract, infoFn, abiVersion api.Function
	docs                                     int
	stack                                    [2]uint64
}

// call calls fn with params and returns its single result (0 if none),
// turning a panic that escapes wazero into a trap error.
func (in *instance) call(ctx context.Context, fn api.Function, params ...uint64) (res uint64, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	stack := in.stack[:]
	copy(stack, params)
	if err := fn.CallWithStack(ctx, stack); err != nil {
		return 0, err
	}
	return stack[0], nil
}

// view bounds-checks a packed ptr<<32|len returned by the guest against its
// linear memory and the cap, and returns the bytes without copying. The
// view is valid until the next call into the guest.
func (in *instance) view(fn string, packed uint64, max int64) ([]byte, error) {
	ptr, n := uint32(packed>>32), uint32(packed)
	size := in.mem.Size()
	switch {
	case int64(n) > max:
		return nil, fmt.Errorf("%w: %s: response of %d bytes is over the %d-byte cap", ErrBadPointer, fn, n, max)
	case ptr == 0 || uint64(ptr)+uint64(n) > uint64(size):
		return nil, fmt.Errorf("%w: %s: buffer [%#x, +%d) outside linear memory of %d bytes", ErrBadPointer, fn, ptr, n, size)
	}
	b, ok := in.mem.Read(ptr, n)
	if !ok {
		return nil, fmt.Errorf("%w: %s: buffer [%#x, +%d) outside linear memory of %d bytes", ErrBadPointer, fn, ptr, n, size)
	}
	return b, nil
}

func (in *instance) memSize() int64 {
	if in.mem == nil {
		return 0
	}
	return int64(in.mem.Size())
}

func (in *instance) close() error {
	return in.mod.Close(context.Background())
}

func putU32(b []byte, v uint32) {
	b[0], b[1], b[2], b[3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
}
