package main

import (
	"strconv"
	"strings"

	"github.com/feepos/feepos/bench/internal/sysinfo"
)

// Machine is what the report says about where it ran.
type Machine = sysinfo.Machine

func machineInfo() Machine { return sysinfo.MachineInfo() }

// procKB reads a "Key: N kB" line of a /proc file in bytes.
func procKB(path, key string) int64 {
	v := sysinfo.ProcField(path, key)
	n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(v, "kB")), 10, 64)
	return n << 10
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }
