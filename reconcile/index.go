package reconcile

// index finds payments (or lines) by a strong key in O(1): the key's
// 64-bit hash leads to a chain of ranks in ascending order. A hash is not
// the key, so every rule compares the fields of each candidate it walks;
// a collision costs a comparison, never a wrong match. The table is open
// addressing over two flat slices, not a Go map: a million keys cost
// about 40 MB and no rehashing.
type index struct {
	mask  uint64
	slots []slot  // open addressing, linear probing, at most half full
	next  []int32 // rank → next rank + 1 with the same hash (0: end)
}

// slot keeps the hash beside its chain's head: one cache line per probe.
type slot struct {
	hash uint64
	head int32 // first rank + 1 (0: empty)
}

// makeIndex is an empty index for ranks below n and at most keys keys.
func makeIndex(n, keys int) *index {
	size := 16
	for size < 2*keys {
		size *= 2
	}
	return &index{mask: uint64(size - 1), slots: make([]slot, size), next: make([]int32, n)}
}

func newIndex(n int, key func(k int32) (uint64, bool)) *index {
	keys := 0
	for k := range int32(n) {
		if _, ok := key(k); ok {
			keys++
		}
	}
	ix := makeIndex(n, keys)
	// Backwards, prepending: the chains come out in ascending rank.
	for k := int32(n) - 1; k >= 0; k-- {
		if h, ok := key(k); ok {
			ix.push(h, k)
		}
	}
	return ix
}

// find is h's slot, or the empty slot where it would go.
func (ix *index) find(h uint64) *slot {
	i := (h ^ h>>29) * 0xbf58476d1ce4e5b9 >> 17 & ix.mask
	for {
		s := &ix.slots[i]
		if s.head == 0 || s.hash == h {
			return s
		}
		i = (i + 1) & ix.mask
	}
}

// push puts rank k first in h's chain.
func (ix *index) push(h uint64, k int32) {
	s := ix.find(h)
	s.hash = h
	ix.next[k] = s.head
	s.head = k + 1
}

// first is the first rank under h, -1 if none; after the one after k.
func (ix *index) first(h uint64) int32 { return ix.find(h).head - 1 }
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
