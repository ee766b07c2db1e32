//go:build race

package wasm_test

// raceEnabled: wazero's compiler runs many times slower under the race
// detector (the guest's compiled code does not), so race runs avoid extra
// compiles of the default module.
const raceEnabled = true
