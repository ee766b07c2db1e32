// Package interrupt rewrites a WebAssembly module so that a long-running
// guest calls back into the host at bounded intervals. The host can then
// stop a guest that loops or recurses forever, without wazero's
// WithCloseOnContextDone, which makes every loop header of the compiled
// code exit to Go and back and costs several times the run time of a
// Go-compiled guest.
//
// # The rewrite
//
// [Instrument] adds three things to a module:
//
//   - a function type () -> (i32), after the existing types;
//   - an import of that type, [ImportModule].[ImportName], after the
//     existing imports. Its function index F is the number of imported
//     functions, so every function the module defines moves up by one;
//     Instrument shifts every reference to one: calls, ref.func, exports,
//     the start function, element segments, global initialisers and the
//     "name" section;
//   - a mutable i32 global, the fuel, initialised to [Interval], after the
//     existing globals (index G; no other index changes).
//
// It then inserts a check at the head of every loop, and at the entry of
// every function that calls a function (directly, through a table or as a
// tail call), unless its first loop, with a check at its head, comes
// before any call, branch, return or trap (only blocks, local, global and
// memory accesses, constants and arithmetic before it), since that loop's
// check then runs on every entry.
//
// Dispatch loops are the exception. Go compiles every function to one
// loop whose body opens a block per region of code, then dispatches on a
// local with "local.get x; br_table"; every jump, forward or back, sets x
// and branches to the loop, so a check at its head would run on every
// jump. A loop of that exact shape (an empty block type, empty blocks, a
// br_table whose labels all select one of them) gets no check at its
// head; instead, a check goes before every branch to it, except
// "i32.const k; local.set x; br loop" when the region that k selects
// comes after the branch's own region. Such a jump moves forward in the
// code, so between two checks the code runs forward only, and a function
// runs at most its own length of instructions between them.
//
// So between two checks a guest runs a bounded number of instructions: a
// function that calls none runs forward-only code between its loop
// checks and cannot recurse, and every call is made by code that has
// passed a check since its function was entered. The check is:
//
//	global.get G
//	i32.eqz
//	if
//	  call F
//	  global.set G
//	end
//	global.get G
//	i32.const 1
//	i32.sub
//	global.set G
//
// Each loop iteration, jump back and call takes one unit of fuel; the guest
// calls the host only when the fuel is exhausted, once every Interval
// checks. The check leaves the operand stack as it found it, so it is
// valid at the head of loops with parameters too.
//
// # The host's side
//
// The host instantiates a module named ImportModule that exports a
// function ImportName of type () -> (i32), then the instrumented guest.
// When the guest calls it, the function looks at its context. To let the
// guest go on, it returns the next fuel, normally Interval (it must be at
// least 1: 0 would wrap around to 2^32-1). To stop the guest, it panics
// with an error, such as ctx.Err(); wazero returns that error from the
// guest call that is running, and the instance, stopped mid-computation,
// should be discarded. The fuel is a global of each instance, so instances
// running concurrently share nothing.
//
// Between a cancellation and the stop, the guest runs at most Interval
// checks' worth of loop iterations and calls, which takes well under a millisecond in
// usual code but longer if single iterations are long. A host function
// that the guest calls and that blocks is not covered: it must watch its
// own context.
//
// # What the guest can reach
//
// The original code can reach none of what the rewrite adds. Instrument
// checks every type, function and global index in the module against the
// original counts and refuses ([ErrInvalid]) a module that refers past
// them, so the guest cannot read or write the fuel, call the check
// function, put it in a table or export either. A module that already
// imports from ImportModule is refused too, so a module is never
// instrumented twice ([Instrumented] tells whether it was).
//
// # Supported modules
//
// Instrument decodes WebAssembly 1.0 and the sign extension, non-trapping
// float-to-int conversion, bulk memory, reference types, multi-value, tail
// call and extended constant proposals, and the memory index of
// multi-memory loads and stores. SIMD, threads, exception handling, GC,
// typed function references, 64-bit memories and tables, and sections it
// does not know make it return [ErrUnsupported]; the caller then runs the
// module under wazero's own interruption.
//
// Custom sections are copied as they are, except "name": its function
// names and local names are shifted, the import is named
// "riptide_interrupt.check", the module name is kept and the other
// subsections are dropped (label names, for one, would point to the wrong
// blocks). Custom sections that record code offsets, such as DWARF
// .debug_* sections, are kept but no longer match the code.
//
// Instrument makes one pass over the module with one output buffer and
// allocates nothing per instruction: a few milliseconds for the 6 MB
// default guest.
package interrupt
