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

type canonicalDelegate struct {
	Name    string `json:"name"`
	TaxCode string `json:"tax_code"`
}

// canonicalPayerV2 is format 2's payer: format 1's fields, then whether
// the ID number is printed in full (the procedure needs it) and the
// payer's tax code.
type canonicalPayerV2 struct {
	Name      string `json:"name"`
	Address   string `json:"address"`
	IDNumber  string `json:"id_number"`
	IDPrinted bool   `json:"id_printed"`
	TaxCode   string `json:"tax_code"`
}

// canonicalReceiptV2 is format 2's content: format 1's fields in the same
// order with canonicalPayerV2, and the delegate (Decree 254/2026/NĐ-CP
// Art. 25.4) last.
type canonicalReceiptV2 struct {
	V            int               `json:"v"`
	Org          canonicalOrg      `json:"org"`
	Payer        canonicalPayerV2  `json:"payer"`
	Lines        []canonicalLine   `json:"lines"`
	Total        int64             `json:"total"`
	Currency     string            `json:"currency"`
	TotalInWords string            `json:"total_in_words"`
	Method       PaymentMethod     `json:"method"`
	Dossier      string            `json:"dossier"`
	Card         canonicalCard     `json:"card"`
	Replaces     canonicalRef      `json:"replaces"`
	Delegate     canonicalDelegate `json:"delegate"`
}

// CurrentFormat is the format of the receipts feepos issues (see
// Receipt.FormatVersion).
const CurrentFormat = 2

// Format is r.FormatVersion, 1 when unset.
func (r Receipt) Format() int {
	if r.FormatVersion == 0 {
		return 1
	}
	return r.FormatVersion
}

// Canonical is the byte form of a receipt's content that its ContentHash
// covers: compact JSON, fixed field order, no HTML escaping, lines in the
// order given. The identity (template, series, number), the time of issue
// and (format 1) the row id are not content: the chain hash covers them.
// The status is not content either: it is derived from later receipts, nor
// is the lookup code (a key to the public page, carried in the signed XML).
// Format 2, "v":2, adds to the payer whether the ID number is printed in
// full and the payer's tax code, and the delegate last. A format-1 receipt
// has neither payer field (both came with format 2).
func (r Receipt) Canonical() []byte {
	c := canonicalReceipt{
		V:            r.Format(),
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
	var v any = c
	if r.Format() >= 2 {
		c2 := canonicalReceiptV2{V: c.V, Org: c.Org,
			Payer: canonicalPayerV2{Name: r.Payer.Name, Address: r.Payer.Address, IDNumber: r.Payer.IDNumber,
				IDPrinted: r.Payer.IDPrinted, TaxCode: r.Payer.TaxCode},
			Lines: c.Lines, Total: c.Total, Currency: c.Currency, TotalInWords: c.TotalInWords, Method: c.Method,
			Dossier: c.Dossier, Card: c.Card, Replaces: c.Replaces}
		if r.Delegate != nil {
			c2.Delegate = canonicalDelegate(*r.Delegate)
		}
		v = c2
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // strings, booleans and integers only: cannot fail
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

// ChainHashV2 is format 2's chain hash: ChainHash without the row id, so
// that every input is in the receipt's XML and anyone can recompute it
// from an export (docs/RECEIPTS.md, tools/checkchain).
func ChainHashV2(template, series string, number int64, issuedAt, contentHash, prevHash string) string {
	h := sha256.New()
	for _, part := range []string{"feepos-receipt-v2", template, series,
		strconv.FormatInt(number, 10), issuedAt, contentHash, prevHash} {
		h.Write([]byte(part))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// chainHash is the chain hash of r's format.
func (r Receipt) chainHash(prevHash string) string {
	if r.Format() >= 2 {
		return ChainHashV2(r.Template, r.Series, r.Number, r.IssuedAt, r.ContentHash, prevHash)
	}
	return ChainHash(r.ID, r.Template, r.Series, r.Number, r.IssuedAt, r.ContentHash, prevHash)
}

// Seal fills the hashes of a receipt about to be stored after prevHash,
// with the recipe of its FormatVersion.
func (r *Receipt) Seal(prevHash string) {
	r.ContentHash = r.ComputeContentHash()
	r.PrevHash = prevHash
	r.Hash = r.chainHash(prevHash)
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
	if r.chainHash(r.PrevHash) != r.Hash {
		if r.Format() >= 2 {
			return "chain hash does not match (its number, series or time of issue changed after issue)"
		}
		return "chain hash does not match (its number, series, time of issue or id changed after issue)"
	}
	if err := r.Validate(); err != nil {
		return "breaks a receipt rule: " + err.Error()
	}
	return ""
}
