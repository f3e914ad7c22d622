package server

import (
	"crypto/x509"
	"net/http"
	"strings"
	"time"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// The administrator's receipts page (docs/WEB.md "Admin"): every
// organisation's receipt series with its counters (template, series,
// last number, count), and the certificates that sign each
// organisation's receipts (the keyring serve loads: SetReceiptKeys),
// with a warning when one expires within certExpiryWarning or has
// expired.

// certExpiryWarning is how long before its end a signing certificate is
// flagged: time to buy and install the next one.
const certExpiryWarning = 30 * 24 * time.Hour

type adminReceiptsData struct {
	Tax      adminTaxFiling // web_admin_taxfiling.go
	Series   []sqlite.SeriesCounter
	Certs    []adminCert
	NoKeys   bool
	Warnings int
}

// adminCert is one organisation's signing certificate ("" Org: the
// default signer, for every organisation without its own).
type adminCert struct {
	Org          string
	OrgName      string
	Subject      string
	Issuer       string
	TaxCodes     string
	NotBefore    time.Time
	NotAfter     time.Time
	DaysLeft     int
	Expiry       string // "", "soon", "expired"
	ExpiryLabel  string
	TaxMismatch  string // the series' tax code when the certificate does not carry it
	SerialNumber string
}

func (s *Server) handleAdminReceipts(w http.ResponseWriter, r *http.Request) {
	series, err := s.db.SeriesCounters(r.Context())
	if err != nil {
		s.webErr(w, r, err)
		return
	}
	d := adminReceiptsData{Series: series}
	if d.Tax, err = s.adminTaxFiling(r.Context()); err != nil {
		s.webErr(w, r, err)
		return
	}
	k := s.keys
	if k == nil {
		d.NoKeys = true
		s.renderPage(w, r, http.StatusOK, "admin_receipts", "Biên lai và chứng thư số", d)
		return
	}
	now := s.clock()
	orgs := map[string]sqlite.SeriesCounter{}
	var order []string
	for _, c := range series {
		if _, ok := orgs[c.OrgCode]; !ok {
			orgs[c.OrgCode] = c
			order = append(order, c.OrgCode)
		}
	}
	own := map[string]bool{}
	for _, org := range k.Orgs() {
		own[org] = true
		if _, ok := orgs[org]; !ok {
			order = append(order, org)
		}
	}
	for _, org := range order {
		signer, err := k.SignerFor(org)
		if err != nil {
			continue // no key: the series' receipts are refused at issue; shown as missing
		}
		c := certView(signer.Certificate(), now)
		c.Org, c.OrgName = org, orgs[org].OrgName
		if !own[org] {
			c.OrgName += " (chứng thư mặc định)"
		}
		if tax := orgs[org].TaxCode; tax != "" {
			if ok, _ := receipts.CertificateOfTaxCode(signer.Certificate(), tax); !ok {
				c.TaxMismatch = tax
			}
		}
		d.Certs = append(d.Certs, c)
	}
	if def := k.Default(); def != nil && len(order) == 0 {
		d.Certs = append(d.Certs, certView(def.Certificate(), now))
	}
	for _, c := range d.Certs {
		if c.Expiry != "" || c.TaxMismatch != "" {
			d.Warnings++
		}
	}
	s.renderPage(w, r, http.StatusOK, "admin_receipts", "Biên lai và chứng thư số", d)
}

func certView(cert *x509.Certificate, now time.Time) adminCert {
	c := adminCert{Subject: cert.Subject.String(), Issuer: cert.Issuer.CommonName, NotBefore: cert.NotBefore, NotAfter: cert.NotAfter,
		TaxCodes: strings.Join(receipts.CertificateTaxCodes(cert), ", "), SerialNumber: cert.SerialNumber.Text(16)}
	if cn := cert.Subject.CommonName; cn != "" {
		c.Subject = cn
	}
	if c.Issuer == "" {
		c.Issuer = cert.Issuer.String()
	}
	left := cert.NotAfter.Sub(now)
	c.DaysLeft = int(left.Hours() / 24)
	switch {
	case left <= 0:
		c.Expiry, c.ExpiryLabel = "expired", "Đã hết hạn"
	case left < certExpiryWarning:
		c.Expiry, c.ExpiryLabel = "soon", "Sắp hết hạn"
	case now.Before(cert.NotBefore):
		c.Expiry, c.ExpiryLabel = "soon", "Chưa có hiệu lực"
	}
	return c
}
