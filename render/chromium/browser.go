package chromium

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-rod/rod/lib/cdp"
	"github.com/go-rod/rod/lib/proto"

	"github.com/riptide-go/riptide/render"
)

// baseFlags are always passed: without them Chromium hangs on blocked
// network calls or does background work.
var baseFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
	"--no-first-run", "--disable-background-networking",
	"--disable-component-update", "--disable-sync",
	"--no-default-browser-check", "--disable-dev-shm-usage",
	"--disable-breakpad", "--disable-crash-reporter", "--disable-extensions", "--disable-default-apps",
	"--disable-hang-monitor", "--disable-renderer-backgrounding",
	"--disable-background-timer-throttling", "--disable-backgrounding-occluded-windows",
	"--disable-ipc-flooding-protection", "--metrics-recording-only",
	"--password-store=basic", "--use-mock-keychain", "--mute-audio",
	"--hide-scrollbars", "--disable-blink-features=AutomationControlled",
	"--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
	"--remote-debugging-pipe",
}

// tunedFeatures roughly halve warm render latency (measured): fewer
// processes per site, no back-forward cache, no paint holding.
const tunedFeatures = "--disable-features=site-per-process,TranslateUI,BackForwardCache,ProactivelySwapBrowsingInstance,RenderDocument,PaintHolding,MediaRouter,OptimizationHints"

const plainFeatures = "--disable-features=TranslateUI,MediaRouter,OptimizationHints"

var browserSeq atomic.Int64

// launchHook, when set (tests), is told the pid of every started browser.
var launchHook func(pid int)

// browser is one Chromium process and its DevTools connection.
type browser struct {
	id   int64
	pid  int
	dir  string
	cn   *conn
	pipe *pipeConn
	// exitedEarly: the process was gone before it answered.
	exitedEarly bool
	exited      chan struct{} // closed when the process has been reaped
	started     time.Time
	version     string // user agent reported by the browser

	uses         atomic.Int64
	inflight     atomic.Int64
	failedChecks atomic.Int32
	lastUsed     atomic.Int64 // unix nanos of the last release

	deadOnce sync.Once
	dead     chan struct{}
	deadErr  error

	mu       sync.Mutex
	tabs     map[proto.TargetTargetID]*tab
	draining bool // no new work; closed when idle
	contexts int  // context handles living on this browser
	closing  bool
}

// launch starts a browser process and connects to it.
func launch(ctx context.Context, cfg *Config, proxyURL string) (_ *browser, err error) {
	dir, err := os.MkdirTemp(cfg.TempDir, "riptide-chromium-")
	if err != nil {
		return nil, fmt.Errorf("chromium: user data dir: %w", err)
	}
	args := append([]string{}, baseFlags...)
	args = append(args, "--user-data-dir="+dir)
	if cfg.DisableTuning {
		args = append(args, plainFeatures)
	} else {
		args = append(args, tunedFeatures)
	}
	if proxyURL != "" {
		args = append(args, "--proxy-server="+proxyURL, "--proxy-bypass-list=<-loopback>")
	}
	heap := cfg.JSHeapMiB
	if heap == 0 {
		heap = 512
	}
	args = append(args, "--js-flags=--max-old-space-size="+strconv.Itoa(heap))
	args = append(args, cfg.Flags...)
	args = append(args, "about:blank")

	// DevTools over a pipe (fds 3 and 4 in the child): no debugging port
	// for other local processes to reach, no websocket framing.
	childIn, toBrowser, err := osPipe()
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	fromBrowser, childOut, err := osPipe()
	if err != nil {
		_ = toBrowser.Close()
		_ = childIn.Close()
		_ = os.RemoveAll(dir)
		return nil, err
	}
	cmd := exec.Command(cfg.bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Dir = dir
	cmd.ExtraFiles = []*os.File{childIn, childOut} // fd 3: commands in, fd 4: answers out
	stderr, err := cmd.StderrPipe()
	if err == nil {
		err = cmd.Start()
	}
	// The child holds its ends now; ours must be closed so that the
	// browser's exit reads as EOF.
	_ = childIn.Close()
	_ = childOut.Close()
	if err != nil {
		_ = toBrowser.Close()
		_ = fromBrowser.Close()
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("%w: start %s: %v", render.ErrNoBrowser, cfg.bin, err)
	}
	b := &browser{
		id:      browserSeq.Add(1),
		pid:     cmd.Process.Pid,
		dir:     dir,
		exited:  make(chan struct{}),
		started: time.Now(),
		dead:    make(chan struct{}),
		tabs:    map[proto.TargetTargetID]*tab{},
	}
	if launchHook != nil {
		launchHook(b.pid)
	}
	b.pipe = &pipeConn{w: toBrowser, rf: fromBrowser, r: bufio.NewReaderSize(fromBrowser, 1<<20)}
	go func() {
		_ = cmd.Wait()
		close(b.exited)
	}()
	var tail tailBuffer
	stderrDone := make(chan struct{})
	go func() {
		// Keep the last lines of stderr for a start failure's message;
		// the pipe closes when the process exits.
		defer close(stderrDone)
		_, _ = io.Copy(&tail, stderr)
	}()
	defer func() {
		if err != nil {
			b.kill()
			b.reap(context.Background())
			<-stderrDone
			if b.exitedEarly {
				err = fmt.Errorf("%w: browser exited during start: %s (%v)", render.ErrNoBrowser, tail.String(), err)
			}
		}
	}()

	lctx, cancel := context.WithTimeout(ctx, cfg.LaunchTimeout)
	defer cancel()
	b.cn = newConn(cdp.New().Start(b.pipe), b.onEvent)
	go func() {
		// The connection ends when the process dies or closes.
		select {
		case <-b.cn.done:
			b.markDead(fmt.Errorf("%w: devtools connection closed", render.ErrBrowserCrashed))
		case <-b.exited:
			b.markDead(fmt.Errorf("%w: browser process exited", render.ErrBrowserCrashed))
		}
	}()

	root := b.cn.at(lctx, "")
	if err := (proto.TargetSetDiscoverTargets{Discover: true}).Call(root); err != nil {
		if errors.Is(err, render.ErrBrowserCrashed) {
			// The pipe broke: the process is on its way out.
			select {
			case <-b.exited:
				b.exitedEarly = true
			case <-time.After(2 * time.Second):
			}
		}
		if lctx.Err() != nil {
			return nil, fmt.Errorf("chromium: launch: %w", context.Cause(lctx))
		}
		return nil, err
	}
	if err := (proto.BrowserSetDownloadBehavior{Behavior: proto.BrowserSetDownloadBehaviorBehaviorDeny}).Call(root); err != nil {
		return nil, err
	}
	// The start-up tab would keep a renderer process for nothing.
	if ts, err := (proto.TargetGetTargets{}).Call(root); err == nil {
		for _, ti := range ts.TargetInfos {
			if ti.Type == proto.TargetTargetInfoTypePage {
				_, _ = proto.TargetCloseTarget{TargetID: ti.TargetID}.Call(root)
			}
		}
	}
	v, err := proto.BrowserGetVersion{}.Call(root)
	if err != nil {
		return nil, err
	}
	b.version = v.UserAgent
	return b, nil
}

// tailBuffer keeps the last 2 KiB written to it.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2048 {
		t.buf = append([]byte(nil), t.buf[len(t.buf)-2048:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}

func osPipe() (r, w *os.File, err error) {
	r, w, err = os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("chromium: pipe: %w", err)
	}
	return r, w, nil
}

// pipeConn carries DevTools messages over the --remote-debugging-pipe
// file descriptors: each message is JSON followed by a NUL byte.
type pipeConn struct {
	mu        sync.Mutex // serializes writes
	w         *os.File
	rf        *os.File
	r         *bufio.Reader
	closeOnce sync.Once
}

// Send implements cdp.WebSocketable.
func (p *pipeConn) Send(msg []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	buf := make([]byte, 0, len(msg)+1)
	buf = append(append(buf, msg...), 0)
	_, err := p.w.Write(buf)
	return err
}

// Read implements cdp.WebSocketable.
func (p *pipeConn) Read() ([]byte, error) {
	msg, err := p.r.ReadBytes(0)
	if err != nil {
		return nil, err
	}
	return msg[:len(msg)-1], nil
}

// Close closes both ends; a blocked Read returns.
func (p *pipeConn) Close() {
	p.closeOnce.Do(func() {
		_ = p.w.Close()
		_ = p.rf.Close()
	})
}

// onEvent handles browser-level events: popups are closed, crashed
// targets fail their render.
func (b *browser) onEvent(method string, params json.RawMessage) {
	switch method {
	case "Target.targetCreated":
		var e proto.TargetTargetCreated
		if json.Unmarshal(params, &e) != nil || e.TargetInfo == nil {
			return
		}
		ti := e.TargetInfo
		if ti.Type == proto.TargetTargetInfoTypePage && ti.OpenerID != "" {
			// A popup (window.open, target=_blank): close it.
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				defer cancel()
				_, _ = proto.TargetCloseTarget{TargetID: ti.TargetID}.Call(b.cn.at(ctx, ""))
			}()
			b.mu.Lock()
			t := b.tabs[ti.OpenerID]
			b.mu.Unlock()
			if t != nil {
				t.warn("closed popup window")
			}
		}
	case "Target.targetCrashed":
		var e proto.TargetTargetCrashed
		if json.Unmarshal(params, &e) != nil {
			return
		}
		b.mu.Lock()
		t := b.tabs[e.TargetID]
		b.mu.Unlock()
		if t != nil {
			t.markCrashed(e.Status)
		}
	}
}

// markDead records that the browser is gone; every waiter on dead wakes.
func (b *browser) markDead(err error) {
	b.deadOnce.Do(func() {
		b.deadErr = err
		close(b.dead)
	})
}

func (b *browser) isDead() bool {
	select {
	case <-b.dead:
		return true
	default:
		return false
	}
}

func (b *browser) root(ctx context.Context) caller { return b.cn.at(ctx, "") }

// kill SIGKILLs the whole process tree.
func (b *browser) kill() {
	b.markDead(fmt.Errorf("%w: browser killed", render.ErrBrowserCrashed))
	killTree(b.pid)
}

// reap waits (bounded by ctx) for the process to exit, kills it if it
// does not, and removes the user data dir.
func (b *browser) reap(ctx context.Context) {
	select {
	case <-b.exited:
	case <-ctx.Done():
		killTree(b.pid)
		select {
		case <-b.exited:
		case <-time.After(5 * time.Second):
		}
	}
	// Children may outlive the main process for a moment: kill what is
	// left of the tree and wait (briefly) until it is gone.
	for deadline := time.Now().Add(2 * time.Second); ; {
		killTree(b.pid)
		live := 0
		for _, p := range processTree(b.pid) {
			if p.pid != b.pid && p.state != 'Z' {
				live++
			}
		}
		if live == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if b.pipe != nil {
		b.pipe.Close()
	}
	if b.cn != nil {
		select {
		case <-b.cn.done:
		case <-time.After(2 * time.Second):
		}
	}
	_ = os.RemoveAll(b.dir)
}

// close asks the browser to exit (Browser.close), waits for it within
// ctx, kills it if needed and removes its profile directory.
func (b *browser) close(ctx context.Context) {
	b.mu.Lock()
	if b.closing {
		b.mu.Unlock()
		return
	}
	b.closing = true
	b.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	if !b.isDead() {
		cctx, ccancel := context.WithTimeout(ctx, time.Second)
		err := proto.BrowserClose{}.Call(b.root(cctx))
		ccancel()
		if err != nil && !errors.Is(err, render.ErrBrowserCrashed) {
			killTree(b.pid)
		}
	}
	b.markDead(fmt.Errorf("%w: browser closed", render.ErrClosed))
	b.reap(ctx)
}

// rss sums the resident memory of the browser's process tree.
func (b *browser) rss() int64 { return treeRSS(b.pid) }

// healthy checks the browser answers a trivial call quickly.
func (b *browser) healthy(ctx context.Context) error {
	if b.isDead() {
		return b.deadErr
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	_, err := proto.BrowserGetVersion{}.Call(b.root(ctx))
	return err
}
