package receipts

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
)

// GenesisHash is the PrevHash of the first receipt of a series.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// The canonical content (docs/RECEIPTS.md): these types fix the field
// order and names. Changing them changes every hash: bump "v" and keep the
// old form for verification instead. Every field is always present (empty
// string or 0 when unset), so a value cannot move from one field to another
// without changing the bytes.
type canonicalOrg struct {
	Code    string `json:"code"`
	Name    string `json:"name"`
	TaxCode string `json:"tax_code"`
	Address string `json:"address"`
}

type canonicalPayer struct {
	Name     string `json:"name"`
	Address  string `json:"address"`
	IDNumber string `json:"id_number"`
}

// canonicalPayerV2 is the payer of form v2: v1's fields, then whether the
// ID number is printed in full and the payer's tax code.
type canonicalPayerV2 struct {
	Name      string `json:"name"`
	Address   string `json:"address"`
	IDNumber  string `json:"id_number"`
	IDPrinted bool   `json:"id_printed"`
	TaxCode   string `json:"tax_code"`
}

// canonicalReceiptV2 is form v2: v1 with canonicalPayerV2.
type canonicalReceiptV2 struct {
	V            int              `json:"v"`
	Org          canonicalOrg     `json:"org"`
	Payer        canonicalPayerV2 `json:"payer"`
	Lines        []canonicalLine  `json:"lines"`
	Total        int64            `json:"total"`
	Currency     string           `json:"currency"`
	TotalInWords string           `json:"total_in_words"`
	Method       PaymentMethod    `json:"method"`
	Dossier      string           `json:"dossier"`
	Card         canonicalCard    `json:"card"`
	Replaces     canonicalRef     `json:"replaces"`
}

// CanonicalVersion is the form a receipt's content hash covers: 2 when
// the payer has a tax code or the ID number is printed in full (the
// fields v2 adds), 1 otherwise. The version follows from the content, so
// no receipt needs a stored version: every receipt issued before v2 had
// neither field and keeps its v1 bytes and hash, and a receipt with
// either cannot be read as v1 (its v1 bytes would hash otherwise).
func (r Receipt) CanonicalVersion() int {
	if r.Payer.TaxCode != "" || r.Payer.IDPrinted {
		return 2
	}
	return 1
}

type canonicalLine struct {
	Name    string  `json:"name"`
	Kind    FeeKind `json:"kind"`
	FeeCode string  `json:"fee_code"`
	Amount  int64   `json:"amount"`
}

type canonicalCard struct {
	TerminalID   string `json:"terminal_id"`
	TraceNo      string `json:"trace_no"`
	ApprovalCode string `json:"approval_code"`
	PANMasked    string `json:"pan_masked"`
}

type canonicalRef struct {
	Template string `json:"template"`
	Series   string `json:"series"`
	Number   int64  `json:"number"`
}

type canonicalReceipt struct {
	V            int             `json:"v"`
	Org          canonicalOrg    `json:"org"`
	Payer        canonicalPayer  `json:"payer"`
	Lines        []canonicalLine `json:"lines"`
	Total        int64           `json:"total"`
	Currency     string          `json:"currency"`
	TotalInWords string          `json:"total_in_words"`
	Method       PaymentMethod   `json:"method"`
	Dossier      string          `json:"dossier"`
	Card         canonicalCard   `json:"card"`
	Replaces     canonicalRef    `json:"replaces"`
}

// Canonical is the byte form of a receipt's content that its ContentHash
// covers: compact JSON, fixed field order, no HTML escaping, lines in the
// order given. The identity (template, series, number), the time of issue
// and the row id are not content: the chain hash covers them. The status is
// not content either: it is derived from later receipts.
func (r Receipt) Canonical() []byte {
	c := canonicalReceipt{
		V:            1,
		Org:          canonicalOrg(r.Org),
		Payer:        canonicalPayer{Name: r.Payer.Name, Address: r.Payer.Address, IDNumber: r.Payer.IDNumber},
		Lines:        make([]canonicalLine, len(r.Lines)),
		Total:        r.Total,
		Currency:     r.Currency,
		TotalInWords: r.TotalInWords,
		Method:       r.Method,
		Dossier:      r.DossierCode,
	}
	for i, l := range r.Lines {
		c.Lines[i] = canonicalLine(l)
	}
	if r.Card != nil {
		c.Card = canonicalCard(*r.Card)
	}
	if r.Replaces != nil {
		c.Replaces = canonicalRef(*r.Replaces)
	}
	var doc any = c
	if r.CanonicalVersion() == 2 {
		doc = canonicalReceiptV2{V: 2, Org: c.Org,
			Payer: canonicalPayerV2{Name: r.Payer.Name, Address: r.Payer.Address, IDNumber: r.Payer.IDNumber,
				IDPrinted: r.Payer.IDPrinted, TaxCode: r.Payer.TaxCode},
			Lines: c.Lines, Total: c.Total, Currency: c.Currency, TotalInWords: c.TotalInWords, Method: c.Method,
			Dossier: c.Dossier, Card: c.Card, Replaces: c.Replaces}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(doc) // strings, booleans and integers only: cannot fail
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// ComputeContentHash is the hex SHA-256 of the canonical content.
func (r Receipt) ComputeContentHash() string {
	sum := sha256.Sum256(r.Canonical())
	return hex.EncodeToString(sum[:])
}

// ChainHash links a receipt to the one before it in its series (the same
// template and letters, across years: the first receipt of 27TAA follows
// the last of 26TAA). Any change to a receipt's id, template, series,
// number, time or content, or to any earlier receipt of the series, changes
// every hash after it.
func ChainHash(id int64, template, series string, number int64, issuedAt, contentHash, prevHash string) string {
	h := sha256.New()
	for _, part := range []string{"feepos-receipt-v1", strconv.FormatInt(id, 10), template, series,
		strconv.FormatInt(number, 10), issuedAt, contentHash, prevHash} {
		h.Write([]byte(part))
		h.Write([]byte{'\n'}) // no part contains a newline: identities and times have fixed formats
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Seal fills the hashes of a receipt about to be stored after prevHash.
func (r *Receipt) Seal(prevHash string) {
	r.ContentHash = r.ComputeContentHash()
	r.PrevHash = prevHash
	r.Hash = ChainHash(r.ID, r.Template, r.Series, r.Number, r.IssuedAt, r.ContentHash, prevHash)
}

// CheckSeal recomputes a receipt's hashes as read back from storage and
// says what does not hold, or returns "". wantPrev is the Hash of the
// receipt before it in the series (GenesisHash for the first).
func (r Receipt) CheckSeal(wantPrev string) string {
	if got := r.ComputeContentHash(); got != r.ContentHash {
		return "content changed after issue (it no longer matches its stored hash: payer, fee, amount, total, organisation or payment details were edited)"
	}
	if r.PrevHash != wantPrev {
		return "link to the previous receipt is broken (a receipt before it was changed, removed or the receipts were reordered)"
	}
	if ChainHash(r.ID, r.Template, r.Series, r.Number, r.IssuedAt, r.ContentHash, r.PrevHash) != r.Hash {
		return "chain hash does not match (its number, series, time of issue or id changed after issue)"
	}
	if err := r.Validate(); err != nil {
		return "breaks a receipt rule: " + err.Error()
	}
	return ""
}
