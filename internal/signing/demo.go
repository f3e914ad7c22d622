package signing

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// A DemoOrg is an organisation serve --demo registers a series for and
// makes a demo key for.
type DemoOrg struct {
	Series receipts.Series
	// Files is the name of its key files in the database's directory,
	// without the .key/.crt extension.
	Files string
}

// DemoOrgs are the demo organisations, the default signer first: the
// district (UBND-DEMO, whose key files keep the name they had when it was
// the only one) and a vertical agency with its own tax code, series and
// key, so that the demo shows a dossier's two receipts signed by two
// organisations.
var DemoOrgs = []DemoOrg{
	{Files: "demo-signing", Series: receipts.Series{
		OrgCode: "UBND-DEMO",
		OrgName: "Ủy ban nhân dân huyện Demo",
		TaxCode: "0100000001",
		Address: "Trung tâm Phục vụ hành chính công huyện Demo",
		Letters: "AA",
	}},
	{Files: "demo-signing-CA-DEMO", Series: receipts.Series{
		OrgCode: "CA-DEMO",
		OrgName: "Công an huyện Demo",
		TaxCode: "0100000002",
		Address: "Trung tâm Phục vụ hành chính công huyện Demo (quầy Công an)",
		Letters: "AB",
		// The center takes the police's fees at its counter and issues
		// their receipts on the police's behalf (Decree 254/2026/NĐ-CP
		// Art. 25.4): each receipt names it and its tax code. The receipt
		// stays the police's, in the police's series, signed with the
		// police's key (docs/RECEIPTS.md, "Who holds each key").
		DelegateName:    DemoCenterName,
		DelegateTaxCode: DemoCenterTaxCode,
	}},
}

// The demo's public administration center, the delegate that issues the
// demo police's receipts: a unit of the district with its own dependent
// tax code.
const (
	DemoCenterName    = "Trung tâm Phục vụ hành chính công huyện Demo"
	DemoCenterTaxCode = "0100000001-001"
)

// DemoKeyPaths are an organisation's demo key and certificate files next
// to dbPath.
func DemoKeyPaths(dbPath string, org DemoOrg) (keyFile, certFile string) {
	dir := filepath.Dir(dbPath)
	return filepath.Join(dir, org.Files+".key"), filepath.Join(dir, org.Files+".crt")
}

// demoSignerFiles says whether both of an organisation's demo files exist
// next to dbPath; one without the other is an error.
func demoSignerFiles(dbPath string, org DemoOrg) (bool, error) {
	keyFile, certFile := DemoKeyPaths(dbPath, org)
	hasKey, err := fileExists(keyFile)
	if err != nil {
		return false, err
	}
	hasCert, err := fileExists(certFile)
	if err != nil {
		return false, err
	}
	if hasKey != hasCert {
		return false, fmt.Errorf("demo signing key: found only one of %s and %s: delete it to have serve --demo make a new pair", keyFile, certFile)
	}
	return hasKey, nil
}

// ensureDemoSigner loads an organisation's demo key next to dbPath, or
// makes it (RSA-2048, self-signed, the key file mode 0600) when neither
// file exists.
func ensureDemoSigner(dbPath string, org DemoOrg) (s *receipts.KeySigner, created bool, err error) {
	keyFile, certFile := DemoKeyPaths(dbPath, org)
	exists, err := demoSignerFiles(dbPath, org)
	if err != nil {
		return nil, false, err
	}
	if exists {
		s, err := receipts.LoadPEM(keyFile, certFile)
		if err != nil {
			return nil, false, fmt.Errorf("demo signing key: %w", err)
		}
		return s, false, nil
	}
	s, err = receipts.GenerateDemoSigner(org.Series.OrgName, org.Series.TaxCode)
	if err != nil {
		return nil, false, fmt.Errorf("make demo signing key of %s: %w", org.Series.OrgCode, err)
	}
	if err := s.WritePEM(keyFile, certFile); err != nil {
		os.Remove(keyFile)
		os.Remove(certFile)
		return nil, false, fmt.Errorf("write demo signing key: %w", err)
	}
	return s, true, nil
}

// ensureDemoSeries registers a demo organisation's series (again with the
// same details is a no-op).
func ensureDemoSeries(ctx context.Context, db *sqlite.DB, org DemoOrg) (receipts.Series, error) {
	s, err := db.CreateSeries(ctx, org.Series)
	if err != nil {
		return receipts.Series{}, fmt.Errorf("demo receipt series of %s: %w", org.Series.OrgCode, err)
	}
	return s, nil
}

// demoKeyring is the keyring of the demo signers, one per DemoOrgs entry
// (nil where its files are missing): the district's is the default, the
// others their organisation's own.
func demoKeyring(signers []*receipts.KeySigner) (*receipts.Keyring, error) {
	k := receipts.NewKeyring(signers[0])
	for i, s := range signers[1:] {
		if s == nil {
			continue
		}
		if err := k.Add(DemoOrgs[i+1].Series.OrgCode, s); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// loadDemoKeyring loads the demo keys present next to dbPath; found is
// false when there are none.
func loadDemoKeyring(dbPath string) (k Keys, found bool, err error) {
	k.from = map[string]string{}
	signers := make([]*receipts.KeySigner, len(DemoOrgs))
	for i, org := range DemoOrgs {
		exists, err := demoSignerFiles(dbPath, org)
		if err != nil {
			return Keys{}, false, err
		}
		if !exists {
			continue
		}
		keyFile, certFile := DemoKeyPaths(dbPath, org)
		s, err := receipts.LoadPEM(keyFile, certFile)
		if err != nil {
			return Keys{}, false, fmt.Errorf("demo signing key: %w", err)
		}
		signers[i] = s
		code := org.Series.OrgCode
		if i == 0 {
			code = ""
		}
		k.from[code] = keyFile + " (demo key)"
	}
	if len(k.from) == 0 {
		return Keys{}, false, nil
	}
	k.Keyring, err = demoKeyring(signers)
	return k, err == nil, err
}
