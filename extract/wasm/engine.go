package wasm

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
	"github.com/tetratelabs/wazero/imports/wasi_snapshot_preview1"

	"github.com/riptide-go/riptide/extract"
	"github.com/riptide-go/riptide/extract/internal/pageparse"
	"github.com/riptide-go/riptide/extract/internal/textenc"
	"github.com/riptide-go/riptide/extract/wasm/htmltree"
	"github.com/riptide-go/riptide/extract/wasm/internal/interrupt"
	"github.com/riptide-go/riptide/wasmcache"
)

// ABIVersion is the guest ABI version this host speaks.
const ABIVersion = 1

const pageSize = 65536

// Info describes a guest module, as its riptide_info export reports it.
type Info struct {
	Name       string         `json:"name"`
	Version    string         `json:"version"`
	Modes      []extract.Mode `json:"modes"`
	ABIVersion int            `json:"abi_version"`
	// CacheHit is set when the compiled code came from the disk cache.
	CacheHit bool `json:"cache_hit"`
	// Interruption is how a running guest is stopped: InterruptFuel,
	// InterruptWazero or InterruptOff (see the package documentation).
	Interruption string `json:"interruption"`
	// Tree is the version of the parsed-tree format the host sends the
	// module with each page (see [WithHostParse]), 0 when it sends the
	// page alone.
	Tree int `json:"tree,omitempty"`
}

// How a running guest is stopped, as [Info] reports it.
const (
	// InterruptFuel: the module was rewritten to count loop iterations
	// and function entries and to call the host every
	// interrupt.Interval of them; the host then stops it if its time is
	// up or its ctx ended.
	InterruptFuel = "fuel"
	// InterruptWazero: wazero's close-on-context-done checks, for modules
	// the rewriter does not handle (SIMD, threads, exceptions...).
	InterruptWazero = "wazero"
	// InterruptOff: [WithInterrupt](false); a guest stops when it returns.
	InterruptOff = "off"
)

// Stats are an Engine's counters.
type Stats struct {
	Extractions int64 // documents handed to the guest
	GuestErrors int64 // documents the guest refused with an error code
	Faults      int64 // traps, timeouts and ABI violations
	Created     int64 // instances created
	Recycled    int64 // instances closed (faults, recycling, per-call mode)
	Live        int64 // instances currently open
}

// Engine runs a guest module in the wazero sandbox. It implements
// [extract.Extractor] and is safe for concurrent use: each call checks out
// its own instance. The module is compiled once, by New.
type Engine struct {
	cfg      config
	log      *slog.Logger
	rt       wazero.Runtime
	cm       wazero.CompiledModule
	compiled *wasmcache.Compiled // nil without a cache
	info     Info
	modes    map[extract.Mode]bool
	pool     instancePool
	memLimit uint32 // bytes, capped at 4 GiB - 1 page

	mu       sync.RWMutex
	closed   bool
	inflight sync.WaitGroup
	stopping atomic.Bool // Close gave up waiting: running guests are stopped

	extractions, guestErrors, faults, created, recycled, live atomic.Int64
}

var _ extract.Extractor = (*Engine)(nil)

// New compiles the guest module (through the cache when [WithCache] is
// given), checks its exports and ABI version, instantiates the first
// instance and reads its [Info]. It fails with [ErrCompile],
// [ErrMissingExport], [ErrABIVersion] or [ErrInstantiate].
func New(ctx context.Context, opts ...Option) (*Engine, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	log := cfg.logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if cfg.module == nil {
		cfg.module = defaultModule
	}
	interruption := InterruptFuel
	switch {
	case bytes.Equal(cfg.module, defaultModule) && interrupt.Instrumented(defaultModule):
		// The default module is rewritten when it is generated.
	case cfg.noInterrupt:
		interruption = InterruptOff
	case cfg.wazeroChecks:
		interruption = InterruptWazero
	default:
		if out, err := interrupt.Instrument(cfg.module); err == nil {
			cfg.module = out
		} else {
			log.Debug("wasm module not rewritten for interruption; using wazero's checks", "err", err)
			interruption = InterruptWazero
		}
	}
	pages := uint32((cfg.memLimit + pageSize - 1) / pageSize)
	rcfg := runtimeConfig(pages, interruption)
	e := &Engine{cfg: cfg, log: log, memLimit: uint32(min(int64(pages)*pageSize, 1<<32-pageSize))}
	e.info.Interruption = interruption

	if err := e.compile(ctx, rcfg); err != nil {
		return nil, err
	}
	if err := e.init(ctx); err != nil {
		_ = e.closeRuntime(context.WithoutCancel(ctx))
		return nil, err
	}
	return e, nil
}

// runtimeConfig is the wazero configuration of an Engine whose memory
// limit is pages and whose guests are interrupted as interruption says.
func runtimeConfig(pages uint32, interruption string) wazero.RuntimeConfig {
	return wazero.NewRuntimeConfig().
		WithCloseOnContextDone(interruption == InterruptWazero).
		WithMemoryLimitPages(pages)
}

func (c *config) validate() error {
	switch {
	case c.memLimit < pageSize || c.memLimit > 1<<32:
		return fmt.Errorf("%w: memory limit %d outside [64 KiB, 4 GiB]", ErrInvalidOption, c.memLimit)
	case c.timeout <= 0:
		return fmt.Errorf("%w: timeout %s must be positive", ErrInvalidOption, c.timeout)
	case c.poolMax < 1 || c.poolMin < 0 || c.poolMin > c.poolMax:
		return fmt.Errorf("%w: pool min %d, max %d", ErrInvalidOption, c.poolMin, c.poolMax)
	case c.recycleDocs < 0 || c.recycleMem < 0:
		return fmt.Errorf("%w: negative recycle limit", ErrInvalidOption)
	case c.maxResponse <= 0 || c.maxResponse > 1<<32:
		return fmt.Errorf("%w: max response %d", ErrInvalidOption, c.maxResponse)
	}
	return nil
}

func (e *Engine) compile(ctx context.Context, rcfg wazero.RuntimeConfig) (err error) {
	defer recoverTo(&err, ErrCompile)
	if e.cfg.cache != nil {
		opts := wasmcache.CompileOptions{Runtime: rcfg, ABIVersion: ABIVersion}
		if isDefault(e.cfg.module) {
			opts.ModuleSHA256 = defaultSum()
		}
		c, err := e.cfg.cache.Compile(ctx, e.cfg.module, opts)
		if err != nil {
			if ctx.Err() != nil {
				return err
			}
			return fmt.Errorf("%w: %w", ErrCompile, err)
		}
		e.compiled, e.rt, e.cm = c, c.Runtime(), c.Module()
		e.info.CacheHit = c.Hit()
	} else {
		e.rt = wazero.NewRuntimeWithConfig(ctx, rcfg)
		if e.cm, err = e.rt.CompileModule(ctx, e.cfg.module); err != nil {
			_ = e.rt.Close(context.WithoutCancel(ctx))
			if ctx.Err() != nil {
				return fmt.Errorf("wasm: compile: %w", ctx.Err())
			}
			return fmt.Errorf("%w: %v", ErrCompile, err)
		}
	}
	return nil
}

// required exports and their signatures.
var required = []struct {
	name    string
	params  []api.ValueType
	results []api.ValueType
}{
	{"riptide_abi_version", nil, []api.ValueType{api.ValueTypeI32}},
	{"riptide_alloc", []api.ValueType{api.ValueTypeI32}, []api.ValueType{api.ValueTypeI32}},
	{"riptide_free", []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, nil},
	{"riptide_info", nil, []api.ValueType{api.ValueTypeI64}},
	{"riptide_extract", []api.ValueType{api.ValueTypeI32, api.ValueTypeI32}, []api.ValueType{api.ValueTypeI64}},
}

func (e *Engine) init(ctx context.Context) error {
	if _, ok := e.cm.ExportedMemories()["memory"]; !ok {
		return fmt.Errorf("%w: memory", ErrMissingExport)
	}
	fns := e.cm.ExportedFunctions()
	for _, r := range required {
		def, ok := fns[r.name]
		if !ok {
			return fmt.Errorf("%w: %s", ErrMissingExport, r.name)
		}
		if !slices.Equal(def.ParamTypes(), r.params) || !slices.Equal(def.ResultTypes(), r.results) {
			return fmt.Errorf("%w: %s has the wrong signature", ErrMissingExport, r.name)
		}
	}
	for _, imp := range e.cm.ImportedFunctions() {
		if mod, _, _ := imp.Import(); mod != wasi_snapshot_preview1.ModuleName && mod != interrupt.ImportModule {
			return fmt.Errorf("%w: imports from %q; only %q is provided", ErrInstantiate, mod, wasi_snapshot_preview1.ModuleName)
		}
	}
	if _, err := wasi_snapshot_preview1.Instantiate(ctx, e.rt); err != nil {
		return fmt.Errorf("%w: wasi: %v", ErrInstantiate, err)
	}
	if _, err := e.rt.NewHostModuleBuilder(interrupt.ImportModule).
		NewFunctionBuilder().
		WithGoModuleFunction(api.GoModuleFunc(e.check), nil, []api.ValueType{api.ValueTypeI32}).
		Export(interrupt.ImportName).
		Instantiate(ctx); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrInstantiate, interrupt.ImportModule, err)
	}
	first, err := e.newInstance(ctx)
	if err != nil {
		return err
	}
	if err := e.readInfo(ctx, first); err != nil {
		e.closeInstance(first)
		return err
	}
	p, err := e.newPool(first)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidOption, err)
	}
	e.pool = p
	return nil
}

func (e *Engine) readInfo(ctx context.Context, in *instance) error {
	callCtx, cancel := context.WithTimeout(ctx, e.cfg.timeout)
	defer cancel()
	res, err := in.call(callCtx, in.abiVersion)
	if err != nil {
		return e.callError(ctx, callCtx, in, "riptide_abi_version", err)
	}
	if v := int32(res); v != ABIVersion {
		return fmt.Errorf("%w: module speaks %d, host speaks %d", ErrABIVersion, v, ABIVersion)
	}
	e.info.ABIVersion = ABIVersion
	packed, err := in.call(callCtx, in.infoFn)
	if err != nil {
		return e.callError(ctx, callCtx, in, "riptide_info", err)
	}
	view, err := in.view("riptide_info", packed, 1<<20)
	if err != nil {
		return err
	}
	var info Info
	if err := json.Unmarshal(view, &info); err != nil {
		return fmt.Errorf("%w: riptide_info: %v", ErrBadResponse, err)
	}
	e.info.Name, e.info.Version, e.info.Modes = info.Name, info.Version, info.Modes
	if info.Tree == htmltree.Version && !e.cfg.noHostParse {
		e.info.Tree = htmltree.Version
	}
	e.modes = make(map[extract.Mode]bool, len(info.Modes))
	for _, m := range info.Modes {
		e.modes[m] = true
	}
	return nil
}

// check is the host side of fuel interruption: a rewritten guest calls it
// every interrupt.Interval loop iterations and function entries. It stops
// the guest (a panic, which wazero turns into an error of the call) once
// the call's ctx (which carries the document's deadline) has ended or
// Close has given up waiting, and otherwise refills the guest's fuel.
func (e *Engine) check(ctx context.Context, _ api.Module, stack []uint64) {
	if e.stopping.Load() {
		panic(ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		panic(err)
	}
	stack[0] = interrupt.Interval
}

// Info describes the loaded module.
func (e *Engine) Info() Info {
	i := e.info
	i.Modes = slices.Clone(i.Modes)
	return i
}

// Stats returns the engine's counters.
func (e *Engine) Stats() Stats {
	return Stats{
		Extractions: e.extractions.Load(),
		GuestErrors: e.guestErrors.Load(),
		Faults:      e.faults.Load(),
		Created:     e.created.Load(),
		Recycled:    e.recycled.Load(),
		Live:        e.live.Load(),
	}
}

// Extract runs the guest's extraction on in. A guest that traps, times
// out, exits or breaks the ABI costs only its instance: the error wraps
// [ErrTrap], [ErrTimeout], [ErrBadPointer] or [ErrBadResponse], and the
// next call gets a fresh instance. An error the guest reports is a
// *[GuestError] wrapping the matching extract sentinel.
func (e *Engine) Extract(ctx context.Context, in extract.Input) (*extract.Document, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	mode := in.Options.Mode
	if mode == "" {
		mode = extract.ModeArticle
	}
	if !e.modes[mode] {
		return nil, fmt.Errorf("%w: %q (module %s supports %v)", extract.ErrUnsupportedMode, mode, e.info.Name, e.info.Modes)
	}
	// Bounded before anything else: decoding can triple a page's size.
	if len(in.HTML) > extract.MaxInputBytes {
		return nil, fmt.Errorf("%w: page of %d bytes is larger than %d", extract.ErrResourceLimit, len(in.HTML), extract.MaxInputBytes)
	}
	if int64(len(in.HTML)) > int64(e.memLimit)/2 {
		return nil, fmt.Errorf("%w: page of %d bytes does not fit the %d-byte memory limit", extract.ErrResourceLimit, len(in.HTML), e.memLimit)
	}
	e.mu.RLock()
	if e.closed {
		e.mu.RUnlock()
		return nil, ErrClosed
	}
	e.inflight.Add(1)
	e.mu.RUnlock()
	defer e.inflight.Done()

	inst, err := e.pool.Acquire(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("wasm: wait for an instance: %w", ctx.Err())
		}
		return nil, err
	}
	e.extractions.Add(1)
	doc, fault, err := e.run(ctx, inst, in)
	if fault {
		e.faults.Add(1)
		e.pool.Release(inst, err)
	} else {
		if err != nil {
			e.guestErrors.Add(1)
		}
		e.pool.Release(inst, nil)
	}
	return doc, err
}

// header is the JSON that precedes the HTML in a request buffer.
type header struct {
	URL             string          `json:"url,omitempty"`
	ContentType     string          `json:"content_type,omitempty"`
	ContentLanguage string          `json:"content_language,omitempty"`
	LastModified    string          `json:"last_modified,omitempty"`
	HTMLLen         int             `json:"html_len"`
	TreeLen         int             `json:"tree_len,omitempty"`
	Options         extract.Options `json:"options"`
	Limits          limits          `json:"limits"`
}

// limits tell the guest the host's limits, so a cooperative guest can stay
// within them: its soft memory limit, and the time left for this document.
type limits struct {
	MemoryBytes int64 `json:"memory_bytes"`
	TimeoutNS   int64 `json:"timeout_ns"`
}

type response struct {
	Document *extract.Document `json:"document"`
	Error    *GuestError       `json:"error"`
}

// run makes one extraction on inst. fault reports that the instance must
// be discarded.
func (e *Engine) run(ctx context.Context, inst *instance, in extract.Input) (doc *extract.Document, fault bool, err error) {
	callCtx, cancel := context.WithTimeout(ctx, e.cfg.timeout)
	defer cancel()
	budget := e.cfg.timeout
	if d, ok := callCtx.Deadline(); ok {
		budget = time.Until(d)
	}
	if budget <= 0 {
		if ctx.Err() != nil {
			return nil, false, fmt.Errorf("wasm: extract: %w", ctx.Err())
		}
		return nil, false, fmt.Errorf("%w: no time left for the guest: %w", ErrTimeout, context.DeadlineExceeded)
	}
	r, err := e.request(callCtx, in, budget)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			return nil, false, fmt.Errorf("wasm: parse: %w", ctx.Err())
		case callCtx.Err() != nil:
			return nil, false, fmt.Errorf("%w: parsing ran past %s: %w", ErrTimeout, e.cfg.timeout, context.DeadlineExceeded)
		}
		return nil, false, err
	}
	total := r.size()
	if total > int64(e.memLimit)/2 {
		return nil, false, fmt.Errorf("%w: request of %d bytes does not fit the %d-byte memory limit", extract.ErrResourceLimit, total, e.memLimit)
	}

	ptr, err := inst.call(callCtx, inst.alloc, uint64(total))
	if err != nil {
		return nil, true, e.callError(ctx, callCtx, inst, "riptide_alloc", err)
	}
	req, ok := inst.mem.Read(uint32(ptr), uint32(total))
	if !ok || uint32(ptr) == 0 {
		return nil, true, fmt.Errorf("%w: riptide_alloc(%d) returned %#x, linear memory is %d bytes", ErrBadPointer, total, uint32(ptr), inst.mem.Size())
	}
	r.write(req)

	packed, err := inst.call(callCtx, inst.extract, uint64(uint32(ptr)), uint64(total))
	if err != nil {
		return nil, true, e.callError(ctx, callCtx, inst, "riptide_extract", err)
	}
	view, err := inst.view("riptide_extract", packed, e.cfg.maxResponse)
	if err != nil {
		return nil, true, err
	}
	resp, err := decodeResponse(view)
	if err != nil {
		return nil, true, fmt.Errorf("%w: %v", ErrBadResponse, err)
	}
	switch {
	case resp.Error != nil:
		if resp.Error.Code == "" {
			resp.Error.Code = CodeInternal
		}
		return nil, false, resp.Error
	case resp.Document == nil:
		return nil, true, fmt.Errorf("%w: neither document nor error", ErrBadResponse)
	}
	inst.docs++
	// The engine that ran is this one, whatever the guest calls itself.
	resp.Document.Meta.Engine = "wasm:" + e.info.Name
	return resp.Document, false, nil
}

// request is one request buffer's parts: the header JSON, the page as
// UTF-8, and the page's tree if the guest gets one.
type request struct {
	header, page []byte
	tree         *htmltree.Encoder
}

// request prepares the request for in. budget is the guest's time for the
// document; what parsing takes is taken from it.
func (e *Engine) request(ctx context.Context, in extract.Input, budget time.Duration) (*request, error) {
	// Guests get UTF-8 (the ABI says so): decoding here keeps charset
	// tables out of every module, and costs nothing for UTF-8 pages.
	r := &request{page: textenc.ToUTF8(in.HTML, in.ContentType)}
	var err error
	if r.tree, err = e.parse(ctx, r.page, in.Options.MaxNodes); err != nil {
		return nil, err
	}
	treeLen := 0
	if r.tree != nil {
		treeLen = r.tree.Len()
		if d, ok := ctx.Deadline(); ok {
			budget = time.Until(d) // what the parse left
		}
	}
	r.header, err = json.Marshal(header{
		URL: in.URL, ContentType: in.ContentType, ContentLanguage: in.ContentLanguage,
		LastModified: in.LastModified, HTMLLen: len(r.page), TreeLen: treeLen, Options: in.Options,
		Limits: limits{MemoryBytes: int64(e.memLimit), TimeoutNS: int64(budget)},
	})
	if err != nil {
		return nil, fmt.Errorf("wasm: encode request: %w", err)
	}
	return r, nil
}

// size is the request buffer's size.
func (r *request) size() int64 {
	n := 4 + int64(len(r.header)) + int64(len(r.page))
	if r.tree != nil {
		n += int64(r.tree.Len())
	}
	return n
}

// write fills buf, of r.size() bytes: u32 header length, header, page,
// tree.
func (r *request) write(buf []byte) {
	putU32(buf, uint32(len(r.header)))
	n := 4 + copy(buf[4:], r.header)
	n += copy(buf[n:], r.page)
	if r.tree != nil {
		r.tree.Encode(buf[n:])
	}
}

// parse parses page natively for a module that accepts a parsed tree
// (Info.Tree), as the native engine would before its extraction. It
// returns nil, and the guest parses the page itself, when the module
// takes pages only, or the native parser would not build a tree (not
// markup, a parser error, a degraded token scan): the guest then gives the
// native engine's answer itself. The error is ctx's, once it is done.
func (e *Engine) parse(ctx context.Context, page []byte, maxNodes int) (*htmltree.Encoder, error) {
	if e.info.Tree == 0 {
		return nil, nil
	}
	root, degraded, err := pageparse.Parse(ctx, page, maxNodes)
	if cerr := ctx.Err(); cerr != nil {
		return nil, cerr
	}
	if err != nil || degraded {
		return nil, nil
	}
	enc, err := htmltree.NewEncoder(root)
	if err != nil {
		return nil, nil
	}
	return enc, nil
}

// callError turns a failed guest call into the engine's error: the
// caller's ctx error, a timeout, or a trap.
func (e *Engine) callError(ctx, callCtx context.Context, inst *instance, fn string, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("wasm: %s: %w", fn, ctx.Err())
	case errors.Is(callCtx.Err(), context.DeadlineExceeded):
		return fmt.Errorf("%w: %s ran past %s: %w", ErrTimeout, fn, e.cfg.timeout, context.DeadlineExceeded)
	case e.stopping.Load():
		return fmt.Errorf("wasm: %s stopped: %w", fn, ErrClosed)
	}
	if size := inst.memSize(); size > int64(e.memLimit)/2 {
		return fmt.Errorf("%w: %s: %v (linear memory %d of %d bytes): %w", ErrTrap, fn, err, size, e.memLimit, extract.ErrResourceLimit)
	}
	return fmt.Errorf("%w: %s: %v", ErrTrap, fn, err)
}

// Close waits for in-flight extractions (until ctx is done, then it
// interrupts them), closes every instance and releases the compiled code.
// It is idempotent.
func (e *Engine) Close(ctx context.Context) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()

	done := make(chan struct{})
	go func() { e.inflight.Wait(); close(done) }()
	var waitErr, rtErr error
	select {
	case <-done:
	case <-ctx.Done():
		waitErr = fmt.Errorf("wasm: close: %w", ctx.Err())
		// Running guests stop at their next check: the fuel check sees
		// stopping, wazero's sees the closed runtime.
		e.stopping.Store(true)
		if e.info.Interruption == InterruptFuel {
			// Within a few thousand loop iterations; their memory (see
			// mmapMemory) must stay mapped until they have stopped.
			<-done
		}
		rtErr = e.closeRuntime(context.WithoutCancel(ctx))
		<-done
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	poolErr := e.pool.Close(pctx)
	if rtErr == nil {
		rtErr = e.closeRuntime(pctx)
	}
	return errors.Join(waitErr, poolErr, rtErr)
}

func (e *Engine) closeRuntime(ctx context.Context) error {
	if e.compiled != nil {
		return e.compiled.Close(ctx)
	}
	return e.rt.Close(ctx)
}

// newInstance instantiates the module with the sandbox configuration: no
// file system, network, environment or arguments; guest output goes to
// the logger, bounded.
func (e *Engine) newInstance(ctx context.Context) (inst *instance, err error) {
	defer recoverTo(&err, ErrInstantiate)
	out := newLogWriter(e.log, e.cfg.maxOutput)
	mc := wazero.NewModuleConfig().
		WithName("").
		WithStartFunctions("_initialize").
		WithStdout(out.stream("stdout")).
		WithStderr(out.stream("stderr")).
		WithSysNanotime().
		WithRandSource(rand.Reader)
	initCtx, cancel := context.WithTimeout(ctx, e.cfg.timeout)
	defer cancel()
	ictx := initCtx
	if e.info.Interruption == InterruptFuel && mmapMemory != nil {
		ictx = experimental.WithMemoryAllocator(ictx, mmapMemory)
	}
	mod, err := e.rt.InstantiateModule(ictx, e.cm, mc)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("wasm: instantiate: %w", ctx.Err())
		}
		if errors.Is(initCtx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: %w: start function ran past %s: %w", ErrInstantiate, ErrTimeout, e.cfg.timeout, context.DeadlineExceeded)
		}
		return nil, fmt.Errorf("%w: %v", ErrInstantiate, err)
	}
	inst = &instance{
		mod:        mod,
		mem:        mod.Memory(),
		alloc:      mod.ExportedFunction("riptide_alloc"),
		free:       mod.ExportedFunction("riptide_free"),
		extract:    mod.ExportedFunction("riptide_extract"),
		infoFn:     mod.ExportedFunction("riptide_info"),
		abiVersion: mod.ExportedFunction("riptide_abi_version"),
	}
	if inst.mem == nil {
		_ = mod.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("%w: memory", ErrMissingExport)
	}
	e.created.Add(1)
	e.live.Add(1)
	return inst, nil
}

func (e *Engine) closeInstance(inst *instance) {
	e.recycled.Add(1)
	e.live.Add(-1)
	_ = inst.close()
}

// recoverTo turns a panic inside wazero into an error wrapping sentinel.
func recoverTo(err *error, sentinel error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%w: panic: %v", sentinel, r)
	}
}
