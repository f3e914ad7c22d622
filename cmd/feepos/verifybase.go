package main

import (
	"context"
	"fmt"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/signing"
	"github.com/feepos/feepos/receipts"
)

// verifyBaseUsage is the help of --verify-base.
const verifyBaseUsage = "public address of the receipt check pages for the QR code (default: [receipts] verify_base of the config, else http:// and the [service] addr)"

// checkVerifyBaseFlag refuses a --verify-base that is not an absolute
// http(s) address: bad usage.
func checkVerifyBaseFlag(given string) error {
	if given == "" {
		return nil
	}
	if err := receipts.CheckVerifyBase(given); err != nil {
		return usagef("--verify-base: %v", err)
	}
	return nil
}

// verifyBase is the address a rendered receipt's QR code points to: given,
// when --verify-base was given, else [receipts] verify_base, else the
// service's own address. The service's own address gets a warning on
// stderr when it is a loopback one, since a payer's phone cannot open it.
func (a *app) verifyBase(given string, cfg config.Config) string {
	if given != "" {
		return given
	}
	base := defaultVerifyBase(cfg)
	if cfg.Receipts.VerifyBase == "" && isLoopbackBase(base) {
		fmt.Fprintf(a.stderr, "feepos: warning: the QR code points to %s, which a payer's phone cannot open; set [receipts] verify_base in the config (or give --verify-base) with the public address of the receipt check pages\n", base)
	}
	return base
}

// storedReceipt loads one stored receipt for rendering, with the address
// its QR code points to (verifyBase) and the name on the certificate that
// signed it, "" when it is unsigned or its signature does not hold against
// the trusted certificates (then a warning says so: a receipt never claims
// a signature that does not verify). The database is closed again before
// the slow part (rendering, printing) starts.
func (a *app) storedReceipt(ctx context.Context, template, series string, number int64, givenBase string) (r receipts.Receipt, verifyBase, signedBy string, err error) {
	db, cfg, err := a.openReading(ctx)
	if err != nil {
		return receipts.Receipt{}, "", "", err
	}
	defer db.Close()
	if r, err = db.Receipt(ctx, template, series, number); err != nil {
		return receipts.Receipt{}, "", "", err
	}
	doc, err := db.SignedReceiptXML(ctx, r.Template, r.Series, r.Number)
	switch {
	case apperr.Code(err) == apperr.NotFound:
		fmt.Fprintf(a.stderr, "feepos: warning: receipt %s is not signed; it is printed without a signature\n", r.Ref)
	case err != nil:
		return receipts.Receipt{}, "", "", err
	default:
		trust, _, err := signing.Trust(cfg.Receipts, "", a.databasePath(cfg))
		if err != nil {
			return receipts.Receipt{}, "", "", err
		}
		if err := receipts.CheckSignedReceipt(doc, r, trust); err != nil {
			fmt.Fprintf(a.stderr, "feepos: warning: the signature of receipt %s does not hold (%v); it is printed without a signature: run feepos receipts verify\n", r.Ref, err)
		} else if cert, err := receipts.SigningCertificate(doc); err == nil {
			signedBy = cert.Subject.CommonName
		}
	}
	return r, a.verifyBase(givenBase, cfg), signedBy, nil
}
