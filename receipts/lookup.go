package receipts

import (
	"crypto/rand"
	"crypto/subtle"
	"strings"
)

// The lookup code (mã tra cứu) of a receipt: 10 characters drawn at random
// from Crockford's base-32 alphabet (digits and capital letters without I,
// L, O and U), 50 bits. It is printed on the receipt and carried in its QR
// code (VerifyURL); the public page /verify shows the receipt's date,
// amount, organisation and fees, and gives its signed XML, only with it.
// Without it the page answers "exists" or "does not exist", so walking the
// numbers 1, 2, 3… lists nothing (issue 13, item 8). 50 bits against the
// page's rate limit of 30 tries a minute per address: guessing one
// receipt's code takes 2^49 tries on average, about 35 million years of
// one address's tries.

// LookupAlphabet is the alphabet of lookup codes.
const LookupAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// LookupCodeLen is the length of a lookup code.
const LookupCodeLen = 10

// NewLookupCode draws a lookup code from crypto/rand.
func NewLookupCode() (string, error) {
	var b [LookupCodeLen]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	for i := range b {
		b[i] = LookupAlphabet[b[i]&31] // 256 is a multiple of 32: uniform
	}
	return string(b[:]), nil
}

// NormalizeLookupCode reads a code as a person may type it: spaces and
// dashes dropped, lower case raised, O read as 0 and I, L as 1 (the
// alphabet has none of them).
func NormalizeLookupCode(s string) string {
	var b strings.Builder
	for _, c := range strings.ToUpper(s) {
		switch c {
		case ' ', '-', '\t':
			continue
		case 'O':
			c = '0'
		case 'I', 'L':
			c = '1'
		}
		b.WriteRune(c)
	}
	return b.String()
}

// CheckLookupCode accepts a code as stored: LookupCodeLen characters of
// LookupAlphabet.
func CheckLookupCode(code string) error {
	if len(code) != LookupCodeLen || strings.Trim(code, LookupAlphabet) != "" {
		return Invalidf("lookup code %q: a lookup code is %d characters of %s", code, LookupCodeLen, LookupAlphabet)
	}
	return nil
}

// LookupCodeMatches compares a code given by a visitor (normalized here)
// with a receipt's, in time that does not depend on where they differ. A
// receipt without a code matches nothing.
func LookupCodeMatches(r Receipt, given string) bool {
	if r.LookupCode == "" || given == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(NormalizeLookupCode(given)), []byte(r.LookupCode)) == 1
}
