package server

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/pos"
)

// The terminals as the manager sees them, and the end of day run on the
// simulator over its pseudo-terminal: the terminal closes its batch and
// answers its totals; an unknown terminal is 404.
func TestTerminalsAndEndOfDay(t *testing.T) {
	r := newPayRig(t, rigOptions{})
	a := r.do("GET", "/api/v1/terminals", tokCashier, nil)
	require.Equal(t, http.StatusOK, a.Status, "%s", a)
	var list []terminalJSON
	a.decode(t, &list)
	require.Len(t, list, 1)
	assert.Equal(t, "T1", list[0].ID)
	assert.Equal(t, pos.ZVT, list[0].Protocol)
	assert.Equal(t, terminals.StatusIdle, list[0].Status)
	assert.Equal(t, "Quầy 1", list[0].Counter)
	assert.JSONEq(t, `{"id":"T1","protocol":"zvt","status":"idle","counter":"Quầy 1","terminal_id":"29001234","queue":0,"in_doubt":0}`,
		string(a.Body[1:len(a.Body)-2]), "the contract's fields {id, protocol, status, counter}")

	a = r.do("POST", "/api/v1/terminals/T1/end-of-day", tokAccountant, nil)
	require.Equal(t, http.StatusOK, a.Status, "%s", a)
	var eod endOfDayJSON
	a.decode(t, &eod)
	assert.Equal(t, "T1", eod.Terminal)
	assert.Equal(t, pos.Approved, eod.Outcome)
	assert.Zero(t, eod.Total, "nothing was paid yet")

	a = r.do("POST", "/api/v1/terminals/T9/end-of-day", tokCashier, nil)
	assert.Equal(t, http.StatusNotFound, a.Status, "%s", a)
}
