package config

import (
	"fmt"
	"strings"
)

// TaxOffice is one [[receipts.tax_offices]] entry: the tax office that
// manages one organisation ("Kính gửi" of its notices 04/SS-CTĐT), when it
// is not the [receipts] tax_office every other organisation uses; the
// district and the police of one district may report to different offices.
//
//	[receipts]
//	tax_office = "Thuế cơ sở 1 Thành phố Hồ Chí Minh"
//	tax_office_code = "79101"             # mã cơ quan thuế, optional
//
//	[[receipts.tax_offices]]
//	org_code = "CA-Q1"
//	name = "Thuế Thành phố Hồ Chí Minh"
//	code = "79100"
type TaxOffice struct {
	OrgCode string `toml:"org_code"`
	Name    string `toml:"name"`
	Code    string `toml:"code"`
}

// TaxOfficeFor is the tax office of organisation org: its own
// [[receipts.tax_offices]] entry, else [receipts] tax_office; "" when
// neither is set.
func (r Receipts) TaxOfficeFor(org string) (name, code string) {
	org = strings.TrimSpace(org)
	for _, o := range r.TaxOffices {
		if strings.TrimSpace(o.OrgCode) == org {
			return strings.TrimSpace(o.Name), strings.TrimSpace(o.Code)
		}
	}
	return strings.TrimSpace(r.TaxOffice), strings.TrimSpace(r.TaxOfficeCode)
}

func (r Receipts) checkTaxOffices() error {
	seen := map[string]int{}
	for i, o := range r.TaxOffices {
		code := strings.TrimSpace(o.OrgCode)
		switch {
		case code == "":
			return fmt.Errorf("[[receipts.tax_offices]] entry %d: org_code is missing: give the org_code of the organisation's receipt series", i+1)
		case strings.TrimSpace(o.Name) == "":
			return fmt.Errorf("[[receipts.tax_offices]] org_code %q: name is missing: the tax office's name, as written after \"Kính gửi\"", code)
		}
		if j, dup := seen[code]; dup {
			return fmt.Errorf("[[receipts.tax_offices]] entries %d and %d both have org_code %q: one tax office per organisation", j+1, i+1, code)
		}
		seen[code] = i
	}
	if strings.TrimSpace(r.TaxOfficeCode) != "" && strings.TrimSpace(r.TaxOffice) == "" {
		return fmt.Errorf("[receipts] tax_office_code is set but tax_office is not: give the tax office's name too")
	}
	return nil
}
