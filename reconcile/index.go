package reconcile

// index finds payments by a strong key in O(1): the key's 64-bit hash
// leads to a chain of payment ranks in ascending order. A hash is not the
// key, so every rule compares the fields of each candidate it walks; a
// collision costs a comparison, never a wrong match. One map of integers
// and one slice per key keep a million payments in tens of megabytes.
type index struct {
	head map[uint64]int32 // hash → first rank + 1
	next []int32          // rank → next rank + 1 with the same hash (0: end)
}

func newIndex(n int, key func(k int32) (uint64, bool)) *index {
	ix := &index{head: make(map[uint64]int32), next: make([]int32, n)}
	// Backwards, prepending: the chains come out in ascending rank.
	for k := int32(n) - 1; k >= 0; k-- {
		h, ok := key(k)
		if !ok {
			continue
		}
		ix.next[k] = ix.head[h]
		ix.head[h] = k + 1
	}
	return ix
}

// first is the first rank under h, -1 if none; after the one after k.
func (ix *index) first(h uint64) int32 { return ix.head[h] - 1 }
func (ix *index) after(k int32) int32  { return ix.next[k] - 1 }

// FNV-1a, by hand: no allocation, no per-process seed (not that the
// result could depend on it: chains keep rank order whatever the hash).
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func hashString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	h ^= 0xff // end of field: ("ab","c") and ("a","bc") differ
	return h * fnvPrime
}

func hashInt(h uint64, v int64) uint64 {
	for i := 0; i < 64; i += 8 {
		h ^= uint64(byte(v >> i))
		h *= fnvPrime
	}
	return h
}

// The strong keys. ok is false when a side lacks the key's fields: no key,
// no match by it.

func traceKey(pol int64, terminal string, trace int64) (uint64, bool) {
	if terminal == "" || trace == 0 {
		return 0, false
	}
	return hashInt(hashString(hashInt(fnvOffset, pol), terminal), trace), true
}

func approvalKey(pol int64, approval string, amount int64) (uint64, bool) {
	if approval == "" {
		return 0, false
	}
	return hashInt(hashString(hashInt(fnvOffset, 10+pol), approval), amount), true
}

func rrnKey(pol int64, rrn string) (uint64, bool) {
	if rrn == "" {
		return 0, false
	}
	return hashString(hashInt(fnvOffset, 20+pol), rrn), true
}
