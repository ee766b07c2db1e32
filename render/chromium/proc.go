package chromium

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// procInfo is what /proc tells about one process.
type procInfo struct {
	pid, ppid, pgid int
	state           byte
	comm            string
	rssBytes        int64
}

// readProc parses /proc/<pid>/stat. ok is false when the process is gone.
func readProc(pid int) (procInfo, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return procInfo{}, false
	}
	// pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt
	// majflt cmajflt utime stime cutime cstime priority nice num_threads
	// itrealvalue starttime vsize rss ...
	open, closing := bytes.IndexByte(b, '('), bytes.LastIndexByte(b, ')')
	if open < 0 || closing < open {
		return procInfo{}, false
	}
	p := procInfo{pid: pid, comm: string(b[open+1 : closing])}
	f := strings.Fields(string(b[closing+1:]))
	if len(f) < 22 {
		return procInfo{}, false
	}
	p.state = f[0][0]
	p.ppid, _ = strconv.Atoi(f[1])
	p.pgid, _ = strconv.Atoi(f[2])
	rssPages, _ := strconv.ParseInt(f[21], 10, 64)
	p.rssBytes = rssPages * int64(os.Getpagesize())
	return p, true
}

// allProcs lists every process visible in /proc.
func allProcs() []procInfo {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	out := make([]procInfo, 0, len(ents))
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, ok := readProc(pid); ok {
			out = append(out, p)
		}
	}
	return out
}

// processTree returns the processes descended from root (root included):
// the browser and its renderer, GPU, network and zygote processes.
func processTree(root int) []procInfo {
	procs := allProcs()
	children := map[int][]int{}
	byPID := map[int]procInfo{}
	for _, p := range procs {
		children[p.ppid] = append(children[p.ppid], p.pid)
		byPID[p.pid] = p
	}
	var out []procInfo
	stack := []int{root}
	seen := map[int]bool{}
	for len(stack) > 0 {
		pid := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[pid] {
			continue
		}
		seen[pid] = true
		if p, ok := byPID[pid]; ok {
			out = append(out, p)
		}
		stack = append(stack, children[pid]...)
	}
	// Processes that left the tree (reparented) but kept the group.
	for _, p := range procs {
		if p.pgid == root && !seen[p.pid] {
			out = append(out, p)
		}
	}
	return out
}

// treeRSS sums the resident set of the browser's process tree.
func treeRSS(root int) int64 {
	var sum int64
	for _, p := range processTree(root) {
		sum += p.rssBytes
	}
	return sum
}

// killTree sends SIGKILL to the browser's process group and to every
// process of its tree.
func killTree(root int) {
	if root <= 0 {
		return
	}
	tree := processTree(root)
	_ = syscall.Kill(-root, syscall.SIGKILL)
	for _, p := range tree {
		_ = syscall.Kill(p.pid, syscall.SIGKILL)
	}
}

// treePSS sums the proportional set size of the browser's process tree
// (shared pages counted once overall), from /proc/<pid>/smaps_rollup. It
// costs a few milliseconds per process; RSS is the cheap figure.
func treePSS(root int) int64 {
	var sum int64
	for _, p := range processTree(root) {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(p.pid), "smaps_rollup"))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "Pss:") {
				f := strings.Fields(line)
				if len(f) >= 2 {
					kb, _ := strconv.ParseInt(f[1], 10, 64)
					sum += kb << 10
				}
				break
			}
		}
	}
	return sum
}
