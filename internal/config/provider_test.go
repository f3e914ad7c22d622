package config

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProviderSettings(t *testing.T) {
	c, err := Load(write(t, `[receipts]
summary_at = "22:45"

[receipts.provider]
kind = "http"
endpoint = "https://provider.example/api/v1"
token_env = "MY_TOKEN"
timeout = "20s"
retries = 3
inbox = "/srv/einvoice/inbox"
every = "5m"
ack_hours = 12
`))
	require.NoError(t, err)
	p := c.Receipts.Provider
	assert.Equal(t, "22:45", c.Receipts.SummaryAt)
	assert.True(t, p.Configured())
	assert.Equal(t, 20*time.Second, p.Timeout.Duration)
	assert.Equal(t, 5*time.Minute, p.Every.Duration)
	assert.Equal(t, 12, p.AckHours)

	for body, says := range map[string]string{
		"[receipts]\nsummary_at = \"24:00\"\n":                             "summary_at",
		"[receipts]\nsummary_at = \"9:30\"\n":                              "HH:MM",
		"[receipts.provider]\nkind = \"ftp\"\n":                            `use "file" or "http"`,
		"[receipts.provider]\nkind = \"file\"\n":                           "needs drop",
		"[receipts.provider]\nkind = \"http\"\nendpoint = \"x\"\n":         "needs endpoint",
		"[receipts.provider]\ndrop = \"/x\"\n":                             "kind is missing",
		"[receipts.provider]\nkind = \"file\"\ndrop = \"/x\"\nevery = 5\n": "duration",
	} {
		_, err := Load(write(t, body))
		require.Error(t, err, body)
		assert.Contains(t, err.Error(), says, body)
	}
}
