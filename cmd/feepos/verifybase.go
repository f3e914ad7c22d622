package main

import (
	"fmt"

	"github.com/feepos/feepos/internal/config"
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
