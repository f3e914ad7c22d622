// Package signing is whose key signs what: the organisations' receipt
// signing keys from the configuration ([receipts] and
// [[receipts.signers]]), the demo organisations' keys next to the
// database (made by serve --demo), and the certificates a receipt check
// trusts. The commands and the service ask it for a keyring or a trust;
// they do not decide which file holds which key (docs/RECEIPTS.md, "Demo
// keys and configuration").
package signing

import (
	"context"
	"log/slog"

	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// Where feepos finds the organisations' signing keys (docs/RECEIPTS.md,
// "Demo keys and configuration"), for serve, receipts close and receipts
// verify alike:
//
//  1. the config file: the [receipts] key (p12_file, or key_file and
//     cert_file; cert_file alone is a certificate to trust) is the default
//     signer, and each [[receipts.signers]] entry one organisation's own;
//  2. else the demo keys next to the database, which serve --demo creates:
//     demo-signing.key/.crt (UBND-DEMO, the default signer) and
//     demo-signing-CA-DEMO.key/.crt (the demo police, its own signer);
//  3. else nothing: serve runs without signing, close refuses, verify
//     checks each signature against the certificate it carries.
//
// Each receipt is signed by the signer of its series' organisation
// (receipts.Keyring); the daily closure by Keyring.ClosureSigner.

// Load is the keyring the service signs with (nil: receipts are not
// signed) and the certificates its /verify page trusts. With demo (serve
// --demo): the demo organisations' keys next to dbPath and their series in
// db, made if missing. Otherwise the [receipts] settings, or nothing
// (logged: receipts will not be signed).
func Load(ctx context.Context, log *slog.Logger, db *sqlite.DB, cfg config.Receipts, dbPath string, demo bool) (*receipts.Keyring, receipts.Trust, error) {
	if demo {
		signers := make([]*receipts.KeySigner, len(DemoOrgs))
		for i, org := range DemoOrgs {
			s, created, err := ensureDemoSigner(dbPath, org)
			if err != nil {
				return nil, receipts.Trust{}, err
			}
			keyFile, certFile := DemoKeyPaths(dbPath, org)
			if created {
				log.Info("demo signing key created", "org", org.Series.OrgCode, "key", keyFile, "cert", certFile)
			} else {
				log.Info("demo signing key loaded", "org", org.Series.OrgCode, "key", keyFile, "cert", certFile)
			}
			series, err := ensureDemoSeries(ctx, db, org)
			if err != nil {
				return nil, receipts.Trust{}, err
			}
			log.Info("demo receipt series ready", "org", series.OrgCode, "letters", series.Letters)
			signers[i] = s
		}
		k, err := demoKeyring(signers)
		if err != nil {
			return nil, receipts.Trust{}, err
		}
		return k, k.Trust(), nil
	}
	var k *receipts.Keyring
	if hasKeyConfig(cfg) {
		keys, err := loadKeyring(cfg)
		if err != nil {
			return nil, receipts.Trust{}, err
		}
		k = keys.Keyring
		if d := k.Default(); d != nil {
			log.Info("receipt signing key loaded", "org", "(default)", "subject", d.Certificate().Subject.String())
		}
		for _, org := range k.Orgs() {
			s, _ := k.SignerFor(org)
			log.Info("receipt signing key loaded", "org", org, "subject", s.Certificate().Subject.String())
		}
	} else {
		log.Warn("receipts will not be signed: no [receipts] p12_file or key_file, and no [[receipts.signers]], in the config (see docs/RECEIPTS.md)")
	}
	trust, how, err := Trust(cfg, "", dbPath)
	if err != nil {
		return nil, receipts.Trust{}, err
	}
	log.Info("receipt check trusts", "trust", how.String())
	return k, trust, nil
}
