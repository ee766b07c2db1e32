package main

import (
	"context"
	"fmt"
)

func runBench(ctx context.Context, e env, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(e.stderr, "usage: riptide bench extract|render|crawl [flags]")
		return exitUsage
	}
	switch args[0] {
	case "extract":
		return runBenchExtract(ctx, e, args[1:])
	}
	fmt.Fprintf(e.stderr, "riptide: unknown benchmark %q\n", args[0])
	return exitUsage
}

func runBenchExtract(ctx context.Context, e env, args []string) int {
	fmt.Fprintln(e.stderr, "riptide: bench extract is not wired yet")
	return exitInternal
}
