package reconcile

import "strconv"

// vnd writes whole đồng the Vietnamese way: 1.234.567 (a dot between
// thousands), with a minus sign when negative.
func vnd(v int64) string {
	neg := v < 0
	u := uint64(v)
	if neg {
		u = uint64(-v)
	}
	s := strconv.FormatUint(u, 10)
	out := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		out = append(out, '-')
	}
	for i := 0; i < len(s); i++ {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, '.')
		}
		out = append(out, s[i])
	}
	return string(out)
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
