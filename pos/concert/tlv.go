package concert

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/feepos/feepos/pos"
)

// Concert V3 / Caisse-AP tags: "TT LLL VALUE", a 2-character tag, a
// 3-digit decimal length and the value, all ASCII (PayXpert Concert V3,
// "Dictionary of Tags"; akretion/caisse-ap-ip). A* tags come from the
// terminal, B* from the register, C* from both, Z* are constructed of
// other tags.
const (
	TagPAN              = "AA" // PAN, partial or token (max 64): always masked here
	TagExpiry           = "AB" // card expiry, YYMM
	TagAuthorization    = "AC" // authorization number (max 10)
	TagStatus           = "AE" // status of the action: 10 done, 01 not done, 11 request taken (BA=1)
	TagStatusComplement = "AF" // complement to AE: 04 refused, 05 forbidden, 08 timeout, 09 missing tags, 11 abandon
	TagAID              = "AI" // application id of the card
	TagTicketData       = "AK" // ticket data, base64 (inside ZT)
	TagPANType          = "AL" // 1 = partial PAN
	TagResponseDelay    = "BA" // 0 answer at the end of the transaction, 1 at once
	TagRegister         = "CA" // cash register number
	TagAmount           = "CB" // amount in minor units
	TagCardType         = "CC" // application: 001 CB contact, 00B CB contactless, 002/00D Amex, 00C check
	TagAction           = "CD" // 0 debit, 1 refund, 2 cancel, 3 duplicate
	TagCurrency         = "CE" // ISO 4217 numeric
	TagPrivate          = "CF" // private data
	TagMerchantContract = "CG" // merchant (acceptor) contract number
	TagExternalRef      = "CH" // external transaction reference (PayXpert)
	TagEntryMode        = "CI" // 1 contact, 2 contactless, 3 magstripe, 4 manual
	TagProtocolID       = "CJ" // 12-digit cash register protocol id (Association du Paiement)
	TagTicketWanted     = "CK" // ticket wanted, e.g. 100 customer ticket
	TagVersion          = "CZ" // protocol version, e.g. 0320
	TagTicket           = "ZT" // constructed: CK + AK
)

// Values of CD (action) and AE (status).
const (
	ActionDebit     = "0"
	ActionRefund    = "1"
	ActionCancel    = "2"
	ActionDuplicate = "3"

	AEDone    = "10" // operation performed
	AENotDone = "01" // operation not performed; AF says why
	AETaken   = "11" // the request was taken into account (immediate answer, BA=1)

	AFRefused     = "04"
	AFForbidden   = "05"
	AFTimeout     = "08"
	AFMissingTags = "09"
	AFAbandon     = "11"
)

// TagNames names the documented tags, for --trace and the decode output.
var TagNames = map[string]string{
	TagPAN: "pan", TagExpiry: "expiry", TagAuthorization: "authorization_number",
	TagStatus: "status", TagStatusComplement: "status_complement", TagAID: "aid",
	TagTicketData: "ticket_data", TagPANType: "pan_type", TagResponseDelay: "response_delay",
	TagRegister: "register", TagAmount: "amount", TagCardType: "card_type", TagAction: "action",
	TagCurrency: "currency", TagPrivate: "private", TagMerchantContract: "merchant_contract",
	TagExternalRef: "external_reference", TagEntryMode: "entry_mode", TagProtocolID: "protocol_id",
	TagTicketWanted: "ticket_wanted", TagVersion: "version", TagTicket: "ticket",
}

// MaxTLVValue is the longest value a 3-digit length can announce.
const MaxTLVValue = 999

// ErrTLV reports a malformed TLV message.
var ErrTLV = errors.New("concert: malformed TLV")

// TLV is one tag and its value, in message order.
type TLV struct {
	Tag   string
	Value string
	// Offset is where the value starts in the decoded message (for
	// redacting it in a raw dump); ignored when encoding.
	Offset int
}

// validTag: two upper-case letters or digits.
func validTag(t string) bool {
	if len(t) != 2 {
		return false
	}
	for i := 0; i < 2; i++ {
		c := t[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// EncodeTLV writes the items in order as TT LLL VALUE.
func EncodeTLV(items []TLV) ([]byte, error) {
	var out []byte
	for _, it := range items {
		if !validTag(it.Tag) {
			return nil, fmt.Errorf("%w: tag %q, want 2 upper-case letters or digits", ErrTLV, it.Tag)
		}
		if len(it.Value) > MaxTLVValue {
			return nil, fmt.Errorf("%w: tag %s value has %d characters, at most %d", ErrTLV, it.Tag, len(it.Value), MaxTLVValue)
		}
		out = append(out, it.Tag...)
		out = append(out, fmt.Sprintf("%03d", len(it.Value))...)
		out = append(out, it.Value...)
	}
	return out, nil
}

// DecodeTLV reads a whole message of TT LLL VALUE items. Unknown tags are
// kept. A length running past the end of the data is an error naming the
// tag and offset, never a panic.
func DecodeTLV(b []byte) ([]TLV, error) {
	var items []TLV
	for i := 0; i < len(b); {
		if len(b)-i < 5 {
			return items, fmt.Errorf("%w at offset %d: %d bytes left, a tag and its length need 5", ErrTLV, i, len(b)-i)
		}
		tag := string(b[i : i+2])
		if !validTag(tag) {
			return items, fmt.Errorf("%w at offset %d: tag %q", ErrTLV, i, tag)
		}
		n, err := digits(string(b[i+2 : i+5]))
		if err != nil {
			return items, fmt.Errorf("%w at offset %d: tag %s length: %v", ErrTLV, i, tag, err)
		}
		start := i + 5
		if int64(len(b)-start) < n {
			return items, fmt.Errorf("%w at offset %d: tag %s declares %d bytes, only %d left", ErrTLV, i, tag, n, len(b)-start)
		}
		items = append(items, TLV{Tag: tag, Value: string(b[start : start+int(n)]), Offset: start})
		i = start + int(n)
	}
	return items, nil
}

// Get returns the value of the first item with tag.
func Get(items []TLV, tag string) (string, bool) {
	for _, it := range items {
		if it.Tag == tag {
			return it.Value, true
		}
	}
	return "", false
}

// amountValue parses CB: 2 to 12 digits, minor units.
func amountValue(s string) (int64, error) {
	if len(s) < 1 || len(s) > 12 {
		return 0, fmt.Errorf("amount %q: want 1 to 12 digits", s)
	}
	v, err := digits(s)
	if err != nil {
		return 0, err
	}
	return v, nil
}

// TLVRequest is a Concert V3 payment request.
type TLVRequest struct {
	Version    string // CZ, e.g. "0320"
	ProtocolID string // CJ, 12 digits
	Register   int    // CA, 1..99
	Amount     int64  // CB, minor units (whole đồng)
	Action     string // CD
	Currency   int    // CE; 0 means VND
	Immediate  bool   // BA=1: answer at once without the final status
	Private    string // CF
}

// Encode writes the request in the order of the akretion client
// (CZ, CJ, CA, CE, BA, CD, CB; CZ must come first), then CF.
func (r TLVRequest) Encode() ([]byte, error) {
	if len(r.Version) != 4 {
		return nil, fmt.Errorf("%w: version %q, want 4 characters", ErrField, r.Version)
	}
	if len(r.ProtocolID) != 12 {
		return nil, fmt.Errorf("%w: protocol id %q, want 12 digits", ErrField, r.ProtocolID)
	}
	if r.Register < 1 || r.Register > 99 {
		return nil, fmt.Errorf("%w: register %d, want 1..99", ErrField, r.Register)
	}
	if r.Amount <= 0 || r.Amount > 999_999_999_999 {
		return nil, fmt.Errorf("%w: %d, want 1 to 12 digits", ErrAmount, r.Amount)
	}
	cur := r.Currency
	if cur == 0 {
		cur = pos.CurrencyVND
	}
	ba := "0"
	if r.Immediate {
		ba = "1"
	}
	items := []TLV{
		{Tag: TagVersion, Value: r.Version},
		{Tag: TagProtocolID, Value: r.ProtocolID},
		{Tag: TagRegister, Value: fmt.Sprintf("%02d", r.Register)},
		{Tag: TagCurrency, Value: fmt.Sprintf("%03d", cur)},
		{Tag: TagResponseDelay, Value: ba},
		{Tag: TagAction, Value: r.Action},
		{Tag: TagAmount, Value: strconv.FormatInt(r.Amount, 10)},
	}
	if r.Private != "" {
		items = append(items, TLV{Tag: TagPrivate, Value: r.Private})
	}
	return EncodeTLV(items)
}

// TLVOutcome maps AE / AF to a pos outcome and a note (akretion/caisse-ap-ip
// caisse_ap_ip_server.py; PayXpert Concert V3, tags AE and AF). AE 01
// means "operation not performed", so the codes the sources name are
// final; AE 11 (request merely taken into account), a missing AE, and any
// code the sources do not name are Unknown, never a guess.
func TLVOutcome(items []TLV) (pos.Outcome, string) {
	ae, ok := Get(items, TagStatus)
	if !ok {
		return pos.Unknown, "no status (AE) in the answer"
	}
	af, _ := Get(items, TagStatusComplement)
	switch ae {
	case AEDone:
		return pos.Approved, "operation performed"
	case AETaken:
		return pos.Unknown, "request taken into account, no final status yet"
	case AENotDone:
		switch af {
		case AFRefused:
			return pos.Declined, "refused"
		case AFForbidden:
			return pos.Declined, "forbidden"
		case AFMissingTags:
			// Nothing was charged: the terminal rejected our request. No
			// outcome fits better; the note tells the technician.
			return pos.Declined, "request rejected by the terminal: mandatory tags missing"
		case AFTimeout:
			return pos.Aborted, "timed out at the terminal, not performed"
		case AFAbandon:
			return pos.Aborted, "abandoned"
		}
		return pos.Unknown, fmt.Sprintf("not performed, complement %q not defined by the sources", af)
	}
	return pos.Unknown, fmt.Sprintf("status %q not defined by the sources", ae)
}
