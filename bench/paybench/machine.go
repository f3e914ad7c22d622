package main

import (
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
	LoadAvg    string `json:"loadavg"`
}

func machineInfo() Machine {
	return Machine{CPUs: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0), GoVersion: runtime.Version(),
		CPUModel: sysinfo.ProcField("/proc/cpuinfo", "model name"), MemTotal: sysinfo.ProcField("/proc/meminfo", "MemTotal"),
		Kernel: sysinfo.Kernel(), LoadAvg: sysinfo.LoadAvg()}
}

// procKB reads a "Key: N kB" line of a /proc file in bytes.
func procKB(path, key string) int64 {
	v := sysinfo.ProcField(path, key)
	n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
	return n << 10
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
