package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/signing"
	"github.com/feepos/feepos/receipts"
)

// Every document an organisation sends to the tax authority carries its own
// digital signature (Decree 254/2026/NĐ-CP Art. 23–29), not only its
// receipts: the daily summary 01/TH-BLĐT and the error notice 04/SS-CTĐT
// are signed like a receipt (enveloped XMLDSig, receipts.KeySigner) with the
// key of the organisation they are of, found as for receipts
// (signing.ReceiptKeys: the config file, else the demo keys next to the database).
// --unsigned leaves the signature to a provider that signs itself.

// taxSignature says how a document was signed, for the command's output.
type taxSignature struct {
	Signed   bool   `json:"signed"`
	SignedBy string `json:"signed_by,omitempty"` // CN of the certificate
	Key      string `json:"key,omitempty"`       // where the key comes from
}

// signTaxDocument signs doc, the XML of form (receipts.SummaryForm,
// receipts.NoticeForm) of org, with org's own key. No key for org, or a key
// whose certificate carries another tax code (MST) than org's (the default
// key of another organisation), is refused with what to configure, or
// --unsigned.
func (a *app) signTaxDocument(cfg config.Config, org receipts.Organisation, form string, doc []byte) ([]byte, taxSignature, error) {
	keys, err := signing.ReceiptKeys(cfg.Receipts, a.databasePath(cfg))
	if err != nil {
		return nil, taxSignature{}, keyConfigError{form: form, org: org.Code, err: err}
	}
	signer, err := keys.SignerFor(org.Code)
	if err != nil {
		return nil, taxSignature{}, keyConfigError{form: form, org: org.Code, err: err}
	}
	cert := signer.Certificate()
	if ok, codes := receipts.CertificateOfTaxCode(cert, org.TaxCode); !ok {
		return nil, taxSignature{}, receipts.Invalidf("sign %s of %s: the key for %s is the certificate of %q, tax code (MST) %s, but %s has tax code %s: each organisation signs what it sends with its own certificate; add a [[receipts.signers]] entry with org_code = %q to the config file, or pass --unsigned if your provider signs %s itself",
			form, org.Code, org.Code, cert.Subject.CommonName, strings.Join(codes, ", "), org.Code, org.TaxCode, org.Code, form)
	}
	signed, err := signer.SignXML(doc)
	if err != nil {
		return nil, taxSignature{}, err
	}
	from := keys.From("") // the default signer, unless org has its own
	if slices.Contains(keys.Orgs(), org.Code) {
		from = keys.From(org.Code)
	}
	return signed, taxSignature{Signed: true, SignedBy: cert.Subject.CommonName, Key: from}, nil
}

// keyConfigError is a document that cannot be signed because its
// organisation's key is not configured or does not load: the config is to
// fix, or --unsigned to give.
type keyConfigError struct {
	form, org string
	err       error
}

func (e keyConfigError) Error() string {
	return "sign " + e.form + " of " + e.org + ": " + e.err.Error() + "; or pass --unsigned if your provider signs " + e.form + " itself"
}

func (e keyConfigError) Unwrap() error { return e.err }

// ErrorCode is the key error's own code, else invalid: a configuration to
// fix, not a failure of feepos.
func (e keyConfigError) ErrorCode() string {
	if c := apperr.Code(e.err); c != apperr.Internal {
		return c
	}
	return apperr.Invalid
}

// words say, in the summary line, how the document was signed.
func (s taxSignature) words() string {
	if !s.Signed {
		return "chưa ký số (--unsigned)"
	}
	return "ký số bởi " + s.SignedBy
}

// deliverTaxDocument writes a document for the tax authority to out
// (atomically, replacing it), into the provider's drop folder drop as name
// (never overwriting another document; recorded with its delivery state),
// or else to standard output. path is
// where it went, "" for standard output.
func (a *app) deliverTaxDocument(ctx context.Context, out, drop string, kind receipts.DocKind, name string, payload []byte) (path string, err error) {
	switch {
	case out != "":
		return out, writeFileAtomic(out, payload)
	case drop != "":
		// Handed over and recorded with its delivery state (feepos
		// receipts status), through a connection of its own: the caller
		// may hold a read-only one.
		db, cfg, err := a.openWriting(ctx)
		if err != nil {
			return "", err
		}
		defer db.Close()
		svc, err := a.taxFiling(db, cfg, drop, true)
		if err != nil {
			return "", err
		}
		if _, err := svc.HandOver(ctx, receipts.Delivery{Document: name, Kind: kind}, payload); err != nil {
			return "", err
		}
		return filepath.Join(drop, name), nil
	}
	_, err = a.stdout.Write(payload)
	return "", err
}
