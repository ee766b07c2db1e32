//go:build race

package fetch_test

// raceEnabled is set when the race detector runs: it slows decompression
// about tenfold, so the bomb tests use smaller bombs (the property under
// test, a cap far below the bomb, is the same). CI also runs them without
// the race detector at full size.
const raceEnabled = true
