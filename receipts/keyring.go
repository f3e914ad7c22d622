package receipts

import (
	"crypto/x509"
	"sort"
	"strings"
)

// Keyring holds the signing keys of the organisations that collect at one
// installation (docs/RECEIPTS.md, "Demo keys and configuration"): a
// dossier whose fees belong to the district and to a vertical agency gets
// two receipts, each signed with its organisation's certificate (Decree
// 254/2026/NĐ-CP Art. 23–29). Each organisation code may have its own
// signer; the default signer, if any, signs for every organisation without
// one (an installation with a single organisation needs nothing else).
// A Keyring is built once at start-up and then only read.
type Keyring struct {
	def        *KeySigner
	byOrg      map[string]*KeySigner
	closureOrg string
}

var _ Keys = (*Keyring)(nil)

// NewKeyring is a keyring whose default signer is def (nil: none, so every
// organisation needs its own entry).
func NewKeyring(def *KeySigner) *Keyring {
	return &Keyring{def: def, byOrg: map[string]*KeySigner{}}
}

// Add gives the organisation orgCode (its series' OrgCode) its own signer.
func (k *Keyring) Add(orgCode string, s *KeySigner) error {
	orgCode = strings.TrimSpace(orgCode)
	switch {
	case orgCode == "":
		return Invalidf("signing key without an organisation code: give the org_code of the organisation's receipt series")
	case s == nil:
		return Invalidf("organisation %s: no signing key given", orgCode)
	}
	if _, dup := k.byOrg[orgCode]; dup {
		return Invalidf("organisation %s has two signing keys: keep one [[receipts.signers]] entry per org_code", orgCode)
	}
	k.byOrg[orgCode] = s
	return nil
}

// SetClosureOrg names the organisation whose signer signs the daily
// closure; it must have its own signer (Add).
func (k *Keyring) SetClosureOrg(orgCode string) error {
	orgCode = strings.TrimSpace(orgCode)
	if _, ok := k.byOrg[orgCode]; !ok {
		return Invalidf("closure_org %q has no signing key: it must be the org_code of a [[receipts.signers]] entry (%s)", orgCode, k.orgList())
	}
	k.closureOrg = orgCode
	return nil
}

// SignerFor is the organisation's own signer, else the default one.
func (k *Keyring) SignerFor(orgCode string) (Signer, error) {
	if s, ok := k.byOrg[strings.TrimSpace(orgCode)]; ok {
		return s, nil
	}
	if k.def != nil {
		return k.def, nil
	}
	return nil, Invalidf("no signing key for organisation %s: add a [[receipts.signers]] entry with org_code = %q (p12_file, or key_file and cert_file) to the config file, or a default key in [receipts]; keys are configured for %s",
		orgCode, orgCode, k.orgList())
}

// Default is the default signer, or nil.
func (k *Keyring) Default() *KeySigner { return k.def }

// Orgs is the organisation codes with their own signer, sorted.
func (k *Keyring) Orgs() []string {
	out := make([]string, 0, len(k.byOrg))
	for code := range k.byOrg {
		out = append(out, code)
	}
	sort.Strings(out)
	return out
}

func (k *Keyring) orgList() string {
	if len(k.byOrg) == 0 {
		return "no organisation"
	}
	return strings.Join(k.Orgs(), ", ")
}

// Len is the number of signers: the default one and the organisations'.
func (k *Keyring) Len() int {
	n := len(k.byOrg)
	if k.def != nil {
		n++
	}
	return n
}

// ClosureSigner is the signer of the daily closure, which covers every
// series of the installation, so one organisation signs it: the one named
// by SetClosureOrg (config closure_org) if set; else the default signer
// (the installation's own key, the top-level [receipts] key); else the
// only organisation's signer. With several organisations and neither, the
// error says to set closure_org. orgCode is that organisation, "" for the
// default signer.
func (k *Keyring) ClosureSigner() (s *KeySigner, orgCode string, err error) {
	switch {
	case k.closureOrg != "":
		return k.byOrg[k.closureOrg], k.closureOrg, nil
	case k.def != nil:
		return k.def, "", nil
	case len(k.byOrg) == 1:
		for code, s := range k.byOrg {
			return s, code, nil
		}
	case len(k.byOrg) == 0:
		return nil, "", Invalidf("no signing key for the daily closure: configure [receipts] p12_file, or key_file and cert_file")
	}
	return nil, "", Invalidf("which key signs the daily closure? Keys are configured for %s and none is the default: set [receipts] closure_org to one of them, or give a default key in [receipts]", k.orgList())
}

// Certificates is every signer's certificate, the default one first, then
// by organisation code, each once.
func (k *Keyring) Certificates() []*x509.Certificate {
	var out []*x509.Certificate
	add := func(c *x509.Certificate) {
		for _, have := range out {
			if have.Equal(c) {
				return
			}
		}
		out = append(out, c)
	}
	if k.def != nil {
		add(k.def.Certificate())
	}
	for _, code := range k.Orgs() {
		add(k.byOrg[code].Certificate())
	}
	return out
}

// Trust accepts the certificates of all the keyring's signers. Which of
// them may sign a given receipt is then CheckSignedReceipt's tax code
// check (certtax.go).
func (k *Keyring) Trust() Trust { return TrustCertificates(k.Certificates()...) }
