package pool_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/riptide-go/riptide/pool"
)

type browser struct{ id int }

func ExamplePool() {
	ctx := context.Background()
	launched := 0
	p, err := pool.New(pool.Config[*browser]{
		New: func(ctx context.Context) (*browser, error) {
			launched++
			return &browser{id: launched}, nil
		},
		Close:   func(b *browser) error { return nil },
		Max:     2,
		Target:  1,
		MaxUses: 100, // recycle worn browsers
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer p.Close(ctx)
	if err := p.WaitReady(ctx); err != nil {
		fmt.Println(err)
		return
	}

	b, err := p.Acquire(ctx)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("rendering with browser", b.id)
	p.Release(b, nil) // healthy: back to the pool

	err = p.Do(ctx, func(b *browser) error {
		return errors.New("target crashed") // the browser is closed and replaced
	})
	fmt.Println(err)
	fmt.Println("broken:", p.Stats().Broken)
	// Output:
	// rendering with browser 1
	// target crashed
	// broken: 1
}
