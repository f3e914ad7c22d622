package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
)

// GenesisHash is the PrevHash of the first entry.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// canonicalLine and canonicalEntry fix the field order and names of the
// canonical content (docs/LEDGER.md). Changing them changes every hash:
// bump the "v" field and keep the old form for verification instead.
type canonicalLine struct {
	Account  string `json:"account"`
	Side     Side   `json:"side"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
	Agency   string `json:"agency"`
	FeeCode  string `json:"fee_code"`
	Terminal string `json:"terminal"`
	Counter  string `json:"counter"`
	Cashier  string `json:"cashier"`
	Dossier  string `json:"dossier"`
}

type canonicalEntry struct {
	V           int             `json:"v"`
	Date        string          `json:"date"`
	Description string          `json:"description"`
	Reverses    int64           `json:"reverses"`
	Lines       []canonicalLine `json:"lines"`
}

// Canonical is the byte form of an entry's content that its ContentHash
// covers: compact JSON, fixed field order, no HTML escaping, lines in the
// order posted. The idempotency key, id and time are not content; the chain
// hash covers them.
func (e NewEntry) Canonical() []byte {
	c := canonicalEntry{V: 1, Date: e.Date, Description: e.Description, Reverses: e.Reverses,
		Lines: make([]canonicalLine, len(e.Lines))}
	for i, l := range e.Lines {
		c.Lines[i] = canonicalLine{l.Account, l.Side, l.Amount, l.Currency,
			l.Agency, l.FeeCode, l.Terminal, l.Counter, l.Cashier, l.Dossier}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(c) // strings and integers only: cannot fail
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// ContentHash is the hex SHA-256 of the canonical content.
func (e NewEntry) ContentHash() string {
	sum := sha256.Sum256(e.Canonical())
	return hex.EncodeToString(sum[:])
}

// ChainHash links an entry to the one before it: any change to an entry's
// id, time, key or content, or to any earlier entry, changes every hash
// after it.
func ChainHash(id int64, createdAt, key, contentHash, prevHash string) string {
	h := sha256.New()
	for _, part := range []string{"feepos-ledger-v1", strconv.FormatInt(id, 10), createdAt, key, contentHash, prevHash} {
		h.Write([]byte(part))
		h.Write([]byte{'\n'}) // no part contains a newline: Validate refuses control characters
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Seal fills the hashes of an entry about to be stored after prevHash.
func (e *Entry) Seal(prevHash string) {
	e.ContentHash = e.NewEntry.ContentHash()
	e.PrevHash = prevHash
	e.Hash = ChainHash(e.ID, e.CreatedAt, e.IdempotencyKey, e.ContentHash, prevHash)
}

// CheckSeal recomputes an entry's hashes as read back from storage and says
// what does not hold, or returns nil. wantPrev is the Hash of the entry
// before it (GenesisHash for the first).
func (e Entry) CheckSeal(wantPrev string) string {
	if err := e.NewEntry.Validate(); err != nil {
		return "content breaks a ledger rule: " + err.Error()
	}
	if got := e.NewEntry.ContentHash(); got != e.ContentHash {
		return "content does not match its stored hash (lines or description changed after posting)"
	}
	if e.PrevHash != wantPrev {
		return "previous-hash link is broken (an entry before it was changed, removed or reordered)"
	}
	if ChainHash(e.ID, e.CreatedAt, e.IdempotencyKey, e.ContentHash, e.PrevHash) != e.Hash {
		return "chain hash does not match (id, time or key changed after posting)"
	}
	return ""
}
