package main

import (
	"context"
	"fmt"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/receipts"
)

// verifyBase is the address a rendered receipt's QR code points to: given,
// when --verify-base was given, else the service's own address. A loopback
// address gets a warning on stderr, since a payer's phone cannot open it.
func (a *app) verifyBase(given string, cfg config.Config) string {
	if given != "" {
		return given
	}
	base := defaultVerifyBase(cfg)
	if isLoopbackBase(base) {
		fmt.Fprintf(a.stderr, "feepos: warning: the QR code points to %s, which a payer's phone cannot open; give --verify-base with the server's public address\n", base)
	}
	return base
}

// storedReceipt loads one stored receipt for rendering, with the address
// its QR code points to (verifyBase); the database is closed again before
// the slow part (rendering, printing) starts.
func (a *app) storedReceipt(ctx context.Context, template, series string, number int64, givenBase string) (receipts.Receipt, string, error) {
	db, cfg, err := a.open(ctx)
	if err != nil {
		return receipts.Receipt{}, "", err
	}
	r, err := db.Receipt(ctx, template, series, number)
	db.Close()
	if err != nil {
		return receipts.Receipt{}, "", err
	}
	return r, a.verifyBase(givenBase, cfg), nil
}
