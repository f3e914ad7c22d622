package config

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadReceiptSigners(t *testing.T) {
	c, err := Load(write(t, `
[receipts]
p12_file = "/etc/feepos/ubnd.p12"
p12_password_env = "FEEPOS_P12_PASSWORD"
closure_org = "CA-Q1"

[[receipts.signers]]
org_code = "CA-Q1"
key_file = "/etc/feepos/ca.key"
cert_file = "/etc/feepos/ca.crt"

[[receipts.signers]]
org_code = "TP-Q1"
p12_file = "/etc/feepos/tp.p12"
p12_password_env = "FEEPOS_TP_PASSWORD"
`))
	require.NoError(t, err)
	r := c.Receipts
	assert.True(t, r.HasKey())
	assert.Equal(t, "/etc/feepos/ubnd.p12", r.P12File)
	assert.Equal(t, "CA-Q1", r.ClosureOrg)
	assert.Equal(t, []Signer{
		{OrgCode: "CA-Q1", KeyFile: "/etc/feepos/ca.key", CertFile: "/etc/feepos/ca.crt"},
		{OrgCode: "TP-Q1", P12File: "/etc/feepos/tp.p12", P12PasswordEnv: "FEEPOS_TP_PASSWORD"},
	}, r.Signers)

	// Entries without a default key: each organisation has its own.
	c, err = Load(write(t, "[[receipts.signers]]\norg_code = \"A\"\np12_file = \"a.p12\"\n"))
	require.NoError(t, err)
	assert.False(t, c.Receipts.HasKey())
	assert.Len(t, c.Receipts.Signers, 1)

	// The configuration of before stays valid.
	c, err = Load(write(t, "[receipts]\nkey_file = \"k.pem\"\ncert_file = \"c.pem\"\n"))
	require.NoError(t, err)
	assert.Empty(t, c.Receipts.Signers)
}

func TestLoadRejectsReceiptSigners(t *testing.T) {
	const entry = "[[receipts.signers]]\n"
	cases := map[string]struct{ body, want string }{
		"duplicate org_code": {entry + "org_code = \"CA\"\np12_file = \"a.p12\"\n" + entry + "org_code = \" CA \"\nkey_file = \"k\"\ncert_file = \"c\"\n",
			`[[receipts.signers]] entries 1 and 2 both have org_code "CA"`},
		"no org_code":        {entry + "p12_file = \"a.p12\"\n", "[[receipts.signers]] entry 1: org_code is missing"},
		"both p12 and pem":   {entry + "org_code = \"CA\"\np12_file = \"a.p12\"\nkey_file = \"k\"\ncert_file = \"c\"\n", `org_code "CA": give either p12_file or key_file and cert_file, not both`},
		"p12 and cert_file":  {entry + "org_code = \"CA\"\np12_file = \"a.p12\"\ncert_file = \"c\"\n", "not both"},
		"no key":             {entry + "org_code = \"CA\"\n", `org_code "CA": no key: give p12_file`},
		"key without cert":   {entry + "org_code = \"CA\"\nkey_file = \"k\"\n", "key_file needs cert_file"},
		"cert without key":   {entry + "org_code = \"CA\"\ncert_file = \"c\"\n", "cert_file needs key_file"},
		"password, no p12":   {entry + "org_code = \"CA\"\nkey_file = \"k\"\ncert_file = \"c\"\np12_password_env = \"X\"\n", "p12_password_env is set but p12_file is not"},
		"unknown key":        {entry + "org_code = \"CA\"\np12_file = \"a.p12\"\nkeyfile = \"k\"\n", "receipts.signers.keyfile"},
		"closure_org absent": {"[receipts]\nclosure_org = \"CA\"\n" + entry + "org_code = \"TP\"\np12_file = \"a.p12\"\n", `closure_org "CA": no [[receipts.signers]] entry has that org_code`},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Load(write(t, tc.body))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
