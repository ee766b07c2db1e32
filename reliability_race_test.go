//go:build race

package riptide_test

// raceEnabled is set when the tests run under the race detector, which
// makes compiling the WASM module some twenty times slower: the tests then
// compile it in fewer places.
const raceEnabled = true
