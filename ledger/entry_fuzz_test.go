package ledger_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/feepos/feepos/ledger"
)

// FuzzNewEntryJSON feeds `feepos ledger post --file` input: decoding,
// Normalize and Validate never panic; Normalize is idempotent; a valid
// entry's canonical form is valid JSON and the same after normalizing
// again, so its content hash cannot depend on how many times it was
// cleaned. CI runs the seeds; explore with
//
//	go test -run '^$' -fuzz FuzzNewEntryJSON -fuzztime 60s ./ledger/
func FuzzNewEntryJSON(f *testing.F) {
	for _, s := range []string{
		`{"date":"2026-07-01","description":"Thu lệ phí","idempotency_key":"k1","lines":[{"account":"113","side":"debit","amount":50000,"currency":"VND"},{"account":"3373","side":"credit","amount":50000,"currency":"vnd","agency":"UBND"}]}`,
		`{"date":"2026-02-30","description":"x","lines":[]}`,
		`{"date":"2026-07-01","description":" Thu\u0301 ","lines":[{"account":"111","side":"debit","amount":-1},{"account":"3373","side":"credit","amount":-1}]}`,
		`{"lines":[{"side":"sideways"}]}`, `[]`, `null`, `{"date":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var e ledger.NewEntry
		if err := json.Unmarshal(data, &e); err != nil {
			return
		}
		n := e.Normalize()
		if !bytes.Equal(n.Normalize().Canonical(), n.Canonical()) {
			t.Fatalf("Normalize is not idempotent for %s", data)
		}
		if n.Validate() != nil {
			return
		}
		c := n.Canonical()
		if !json.Valid(c) {
			t.Fatalf("canonical form of a valid entry is not JSON: %q", c)
		}
		if n.ContentHash() != n.Normalize().ContentHash() {
			t.Fatalf("content hash changes on normalizing again: %s", data)
		}
	})
}
