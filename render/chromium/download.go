package chromium

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/go-rod/rod/lib/launcher"

	"github.com/riptide-go/riptide/internal/redact"
	"github.com/riptide-go/riptide/render"
)

// Limits of a browser download: a Chromium snapshot archive is about
// 150 MB, 400 MB unpacked.
const (
	maxDownloadBytes = 1 << 30
	maxUnpackedBytes = 2 << 30
	// validateTimeout bounds the test run of a downloaded browser.
	validateTimeout = 30 * time.Second
)

// googleSnapshots is the public bucket of Chromium snapshot builds; a
// DownloadMirror serves the same paths under its own base URL.
const googleSnapshots = "https://storage.googleapis.com/chromium-browser-snapshots"

// downloadLimits are the archive limits, variables so that tests can lower
// them.
var downloadLimits = struct{ archive, unpacked int64 }{maxDownloadBytes, maxUnpackedBytes}

// download returns a Chromium snapshot build for this platform, kept under
// cfg.DownloadDir: the build already there when it runs headless,
// otherwise one fetched from cfg.DownloadMirror (or Google's snapshot
// bucket, then npm's mirror of it), unpacked with every path checked to
// stay in its directory, and tested to run headless before it is moved
// into place. Several processes may download at once: the first to finish
// wins and the others use its build.
func download(ctx context.Context, cfg Config) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.DownloadTimeout)
	defer cancel()
	rev := launcher.RevisionDefault
	suffix, ok := strings.CutPrefix(launcher.HostGoogle(rev), googleSnapshots)
	binName := map[string]string{"linux": "chrome", "darwin": "Chromium.app/Contents/MacOS/Chromium", "windows": "chrome.exe"}[runtime.GOOS]
	if !ok || binName == "" || strings.Contains(suffix, "//") {
		return "", fmt.Errorf("%w: no Chromium snapshot build for %s/%s", render.ErrNoBrowser, runtime.GOOS, runtime.GOARCH)
	}
	root := cfg.DownloadDir
	if root == "" {
		root = launcher.DefaultBrowserDir
	}
	dir := filepath.Join(root, fmt.Sprintf("chromium-%d", rev))
	bin := filepath.Join(dir, filepath.FromSlash(binName))
	if _, err := os.Stat(bin); err == nil {
		if validate(ctx, bin) == nil {
			return bin, nil
		}
		if err := os.RemoveAll(dir); err != nil {
			return "", fmt.Errorf("%w: remove a broken download: %v", render.ErrNoBrowser, err)
		}
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", fmt.Errorf("%w: %v", render.ErrNoBrowser, err)
	}
	urls := []string{googleSnapshots + suffix, launcher.HostNPM(rev)}
	if cfg.DownloadMirror != "" {
		urls = []string{strings.TrimSuffix(cfg.DownloadMirror, "/") + suffix}
	}
	var errs []error
	for _, u := range urls {
		got, err := fetchBuild(ctx, u, root, dir, filepath.FromSlash(binName))
		if err == nil {
			return got, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", redact.URL(u), err))
		if ctx.Err() != nil {
			break
		}
	}
	return "", fmt.Errorf("%w: download failed: %w", render.ErrNoBrowser, errors.Join(errs...))
}

// fetchBuild downloads the archive at u, unpacks it in a new directory
// under root, tests its browser and renames the directory to dir.
func fetchBuild(ctx context.Context, u, root, dir, binName string) (string, error) {
	archive, err := os.CreateTemp(root, ".download-*.zip")
	if err != nil {
		return "", err
	}
	defer func() {
		archive.Close()
		os.Remove(archive.Name())
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return "", fmt.Errorf("HTTP %s", res.Status)
	}
	n, err := io.Copy(archive, io.LimitReader(res.Body, downloadLimits.archive+1))
	if err != nil {
		return "", err
	}
	if n > downloadLimits.archive {
		return "", fmt.Errorf("archive larger than %d bytes", downloadLimits.archive)
	}
	tmp, err := os.MkdirTemp(root, ".unpack-*")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp) // left empty once renamed
	build := filepath.Join(tmp, "build")
	if err := unzip(archive, n, build); err != nil {
		return "", err
	}
	if err := validate(ctx, filepath.Join(build, binName)); err != nil {
		return "", err
	}
	if err := os.Rename(build, dir); err != nil {
		// Another process may have put its build there first.
		if validate(ctx, filepath.Join(dir, binName)) == nil {
			return filepath.Join(dir, binName), nil
		}
		return "", err
	}
	return filepath.Join(dir, binName), nil
}

// unzip unpacks the archive into dest, dropping the archive's one top
// directory (chrome-linux/...). Every entry must stay inside dest: an
// absolute or ".." path, a symbolic link leading out, or more than the
// unpacked size limit fails the whole archive.
func unzip(f *os.File, size int64, dest string) error {
	zr, err := zip.NewReader(f, size)
	if err != nil {
		return fmt.Errorf("not a zip archive: %w", err)
	}
	var total int64
	for _, e := range zr.File {
		name := e.Name
		if path.IsAbs(name) || strings.Contains(name, `\`) {
			return fmt.Errorf("archive entry %q leaves its directory", e.Name)
		}
		if i := strings.IndexByte(name, '/'); i >= 0 {
			name = name[i+1:]
		} else if !e.FileInfo().IsDir() {
			return fmt.Errorf("archive entry %q is outside its top directory", e.Name)
		}
		if name == "" {
			continue
		}
		if !filepath.IsLocal(filepath.FromSlash(name)) {
			return fmt.Errorf("archive entry %q leaves its directory", e.Name)
		}
		p := filepath.Join(dest, filepath.FromSlash(name))
		mode := e.Mode()
		switch {
		case mode.IsDir():
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
			continue
		case mode&os.ModeSymlink != 0:
			target, err := readEntry(e, 4096)
			if err != nil {
				return err
			}
			// Only links down the tree (macOS builds have them, in the
			// framework bundles): with no ".." anywhere, no path through
			// a link can leave dest, whatever the links point to.
			t := string(target)
			if path.IsAbs(t) || strings.Contains(t, `\`) || strings.Contains(t, "..") || path.Clean(t) == "." {
				return fmt.Errorf("archive link %q -> %q does not point down its directory", e.Name, t)
			}
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			if err := os.Symlink(filepath.FromSlash(t), p); err != nil {
				return err
			}
			continue
		case !mode.IsRegular():
			return fmt.Errorf("archive entry %q is not a file", e.Name)
		}
		total += int64(e.UncompressedSize64)
		if total > downloadLimits.unpacked || e.UncompressedSize64 > uint64(downloadLimits.unpacked) {
			return fmt.Errorf("archive unpacks to more than %d bytes", downloadLimits.unpacked)
		}
		if err := writeEntry(e, p, mode.Perm()|0o600); err != nil {
			return err
		}
	}
	return nil
}

func readEntry(e *zip.File, limit int64) ([]byte, error) {
	r, err := e.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(io.LimitReader(r, limit))
}

// writeEntry writes e to p, no more bytes than its header declares.
func writeEntry(e *zip.File, p string, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	r, err := e.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	// O_EXCL: a name the archive holds twice, or a path through a link
	// made by an earlier entry, is not written over.
	w, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, io.LimitReader(r, int64(e.UncompressedSize64))); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// validate runs bin headless once on about:blank, with the flags every
// browser gets and a profile of its own, and checks what it prints.
func validate(ctx context.Context, bin string) error {
	ctx, cancel := context.WithTimeout(ctx, validateTimeout)
	defer cancel()
	profile, err := os.MkdirTemp("", "riptide-validate-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile)
	var args []string
	for _, f := range baseFlags {
		if f != "--remote-debugging-pipe" {
			args = append(args, f)
		}
	}
	args = append(args, "--user-data-dir="+profile, "--dump-dom", "about:blank")
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.WaitDelay = time.Second
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("downloaded browser does not run: %w", err)
	}
	if !bytes.Contains(out, []byte("<body></body>")) {
		return errors.New("downloaded browser does not run headless")
	}
	return nil
}
