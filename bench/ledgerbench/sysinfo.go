package main

import (
	"bufio"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/feepos/feepos/bench/internal/sysinfo"
)

// Machine is what the report says about where it ran.
type Machine struct {
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUModel   string `json:"cpu_model"`
	MemTotal   string `json:"mem_total"`
	Kernel     string `json:"kernel"`
	GoVersion  string `json:"go_version"`
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
}

func machineInfo() Machine {
	m := Machine{
		CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		CPUModel: orUnknown(sysinfo.ProcField("/proc/cpuinfo", "model name")),
		MemTotal: "unknown", Kernel: orUnknown(sysinfo.Kernel()),
	}
	if v := sysinfo.ProcField("/proc/meminfo", "MemTotal"); v != "" {
		if kb, err := strconv.ParseInt(strings.TrimSuffix(v, " kB"), 10, 64); err == nil {
			m.MemTotal = strconv.FormatFloat(float64(kb)/(1<<20), 'f', 1, 64) + " GiB"
		} else {
			m.MemTotal = v
		}
	}
	return m
}

// orUnknown is v, or "unknown" for a fact that could not be read.
func orUnknown(v string) string {
	if v == "" {
		return "unknown"
	}
	return v
}

// Storage says which filesystem and device hold the benchmark folder. A
// RAM-backed filesystem makes fsync free and the numbers meaningless for a
// durability benchmark.
type Storage struct {
	Dir        string `json:"dir"`
	MountPoint string `json:"mount_point"`
	FSType     string `json:"fs_type"`
	Source     string `json:"source"`
	OnDisk     bool   `json:"on_disk"`
}

// ramFS are filesystems whose fsync never reaches a disk.
var ramFS = map[string]bool{"tmpfs": true, "ramfs": true, "devtmpfs": true, "hugetlbfs": true}

// storageOf finds the mount holding dir in /proc/self/mountinfo (Linux).
func storageOf(dir string) Storage {
	abs, err := filepath.Abs(dir)
	if err == nil {
		if r, err := filepath.EvalSymlinks(abs); err == nil {
			abs = r
		}
	}
	s := Storage{Dir: abs, FSType: "unknown", Source: "unknown"}
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return s
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	best := -1
	for sc.Scan() {
		// 36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		if !ok {
			continue
		}
		pf, qf := strings.Fields(pre), strings.Fields(post)
		if len(pf) < 5 || len(qf) < 2 {
			continue
		}
		mp := unescapeMount(pf[4])
		if !under(abs, mp) || len(mp) < best {
			continue
		}
		best = len(mp)
		s.MountPoint, s.FSType, s.Source = mp, qf[0], qf[1]
	}
	s.OnDisk = s.FSType != "unknown" && !ramFS[s.FSType]
	return s
}

func under(path, mount string) bool {
	if mount == "/" {
		return strings.HasPrefix(path, "/")
	}
	return path == mount || strings.HasPrefix(path, mount+"/")
}

// unescapeMount undoes the octal escapes (\040 for a space) of mountinfo.
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// loadAvg is the 1, 5 and 15 minute load averages: other work on the
// machine during a run shows in the numbers.
func loadAvg() string { return orUnknown(sysinfo.LoadAvg()) }
