package timeout_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/riptide-go/riptide/timeout"
)

func ExampleAdaptive() {
	a, err := timeout.NewAdaptive(timeout.AdaptiveConfig{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()

	u := "https://news.example.com/story"
	fmt.Println("unknown domain:", a.Budget(timeout.StageFetch, u))
	for _, d := range []time.Duration{3, 4, 5, 6, 8} {
		a.Record(timeout.StageFetch, u, timeout.Outcome{Duration: d * time.Second})
	}
	fmt.Println("learned:", a.Budget(timeout.StageFetch, u)) // 1.5 x p95 (8 s)
	fmt.Println("other stage:", a.Budget(timeout.StageRender, u))
	// Output:
	// unknown domain: 30s
	// learned: 12s
	// other stage: 30s
}

func ExampleDo() {
	p := timeout.Fixed{D: 50 * time.Millisecond}
	attempts := 0
	err := timeout.Do(context.Background(), p, timeout.StageFetch, "https://example.com/", timeout.RetryOptions{
		Retries:     2,
		BackoffBase: time.Millisecond,
	}, func(ctx context.Context) error {
		attempts++
		<-ctx.Done() // a hung endpoint
		return ctx.Err()
	})
	fmt.Println(attempts, errors.Is(err, context.DeadlineExceeded))
	if re, ok := errors.AsType[*timeout.RetryError](err); ok {
		fmt.Println(re.Attempts)
	}
	// Output:
	// 3 true
	// 3
}

func ExampleWriteProfiles() {
	a, err := timeout.NewAdaptive(timeout.AdaptiveConfig{Now: func() time.Time {
		return time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer a.Close()
	for range 5 {
		a.Record(timeout.StageFetch, "https://example.com/", timeout.Outcome{Duration: 200 * time.Millisecond})
	}
	if err := timeout.WriteProfiles(os.Stdout, a.Profiles(), false); err != nil {
		fmt.Println(err)
	}
	// Output:
	// STAGE  DOMAIN       SAMPLES  P50    P95    P99    AVG    STDDEV  SUCCESS  BUDGET  UPDATED
	// fetch  example.com  5        200ms  200ms  200ms  200ms  0s      100%     5s      2026-11-23T10:00:00Z
}
