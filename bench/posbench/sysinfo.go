package main

import (
	"strconv"
	"strings"

	"github.com/feepos/feepos/bench/internal/sysinfo"
)

// Machine is what the report says about where it ran.
type Machine = sysinfo.Machine

func machineInfo() Machine { return sysinfo.MachineInfo() }

// procKB reads a "Key: N kB" line of /proc/self/status in bytes.
func procKB(key string) int64 {
	v := sysinfo.ProcField("/proc/self/status", key)
	n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
	return n << 10
}

func procInt(key string) int64 {
	n, _ := strconv.ParseInt(sysinfo.ProcField("/proc/self/status", key), 10, 64)
	return n
}
