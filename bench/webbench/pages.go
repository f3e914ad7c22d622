package main

import (
	"strings"
	"time"

	"github.com/feepos/feepos/internal/auth"
)

// The pages measured. Adding a page is one line: its path (the fixture's
// targets in braces, see fill) and the role signed in to open it ("" for
// a public page). A page answering 404 is reported as not built, so the
// list names the pages of issue 12 before they exist.
var pages = []page{
	{"/login", ""},
	{"/kiosk?code={paid_dossier}", ""},
	{"/verify/{receipt}", ""},

	{"/cashier", auth.RoleCashier},
	{"/cashier/requests/{pending_request}", auth.RoleCashier},
	{"/cashier/payments/{paid_payment}", auth.RoleCashier},
	{"/cashier/review", auth.RoleCashier},
	{"/cashier/shift", auth.RoleCashier},

	{"/accountant", auth.RoleAccountant},
	{"/accountant?date={last_day}", auth.RoleAccountant}, // a busy day: ~22 paid requests, ~270 receipts
	{"/accountant/reconcile", auth.RoleAccountant},
	{"/accountant/ledger", auth.RoleAccountant},
	{"/accountant/ledger?date={last_day}", auth.RoleAccountant},

	{"/admin/terminals", auth.RoleAdmin},
	{"/admin/fees", auth.RoleAdmin},
	{"/admin/users", auth.RoleAdmin},
	{"/admin/webhooks", auth.RoleAdmin},
	{"/admin/receipts", auth.RoleAdmin},
}

// page is one page to measure.
type page struct {
	Path string
	Role auth.Role // "": not signed in
}

// fill puts the fixture's targets into a path.
func (f Fixture) fill(path string) string {
	return strings.NewReplacer(
		"{paid_dossier}", f.PaidDossier,
		"{receipt}", f.Receipt,
		"{pending_request}", f.PendingRequest,
		"{paid_payment}", f.PaidPayment,
		"{review_payment}", f.ReviewPayment,
		"{last_day}", isoDay(f.To),
	).Replace(path)
}

// isoDay turns the fixture's dd/mm/yyyy into the pages' YYYY-MM-DD.
func isoDay(ddmmyyyy string) string {
	t, err := time.Parse("02/01/2006", ddmmyyyy)
	if err != nil {
		return ddmmyyyy
	}
	return t.Format(time.DateOnly)
}
