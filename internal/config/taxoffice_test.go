package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadTaxOffices(t *testing.T) {
	c, err := Load(write(t, `
[receipts]
tax_office = "Thuế cơ sở 1 Thành phố Hồ Chí Minh"
tax_office_code = "79101"

[[receipts.tax_offices]]
org_code = "CA-Q1"
name = "Thuế Thành phố Hồ Chí Minh"
code = "79100"
`))
	require.NoError(t, err)
	name, code := c.Receipts.TaxOfficeFor("CA-Q1")
	assert.Equal(t, [2]string{"Thuế Thành phố Hồ Chí Minh", "79100"}, [2]string{name, code})
	name, code = c.Receipts.TaxOfficeFor("UBND-Q1")
	assert.Equal(t, [2]string{"Thuế cơ sở 1 Thành phố Hồ Chí Minh", "79101"}, [2]string{name, code})
	name, _ = Receipts{}.TaxOfficeFor("UBND-Q1")
	assert.Empty(t, name)

	for body, want := range map[string]string{
		"[[receipts.tax_offices]]\nname = \"x\"\n":     "org_code is missing",
		"[[receipts.tax_offices]]\norg_code = \"A\"\n": "name is missing",
		"[[receipts.tax_offices]]\norg_code = \"A\"\nname = \"x\"\n[[receipts.tax_offices]]\norg_code = \"A\"\nname = \"y\"\n": "one tax office per organisation",
		"[receipts]\ntax_office_code = \"79101\"\n": "tax_office is not",
	} {
		_, err := Load(write(t, body))
		require.ErrorContains(t, err, want, body)
	}
}
