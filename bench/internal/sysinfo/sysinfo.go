// Package sysinfo reads the machine facts the benchmark commands print
// beside their numbers (Linux /proc): each command keeps its own report
// shape and says "unknown" or nothing where a fact cannot be read.
package sysinfo

import (
	"bufio"
	"os"
	"runtime"
	"strings"
)

// ProcField returns the value of the first "key : value" line of a /proc
// file (/proc/cpuinfo, /proc/meminfo, /proc/self/status), "" when there is
// none.
func ProcField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// Kernel is the running kernel's release, "" when it cannot be read.
func Kernel() string {
	b, err := os.ReadFile("/proc/sys/kernel/osrelease")
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// LoadAvg is the 1, 5 and 15 minute load averages ("0.10 0.20 0.30"), ""
// when they cannot be read: other work on the machine during a run shows in
// the numbers.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// Machine is what a benchmark's report says about where it ran.
type Machine struct {
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	CPUModel   string `json:"cpu_model"`
	MemTotal   string `json:"mem_total"`
	Kernel     string `json:"kernel"`
	GoVersion  string `json:"go_version"`
	LoadAvg    string `json:"loadavg"`
}

// MachineInfo describes this machine now.
func MachineInfo() Machine {
	return Machine{CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(),
		CPUModel: ProcField("/proc/cpuinfo", "model name"), MemTotal: ProcField("/proc/meminfo", "MemTotal"),
		Kernel: Kernel(), LoadAvg: LoadAvg()}
}
