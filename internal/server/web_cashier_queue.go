package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/sqlite"
)

// GET /cashier: the queue of pending payment requests, newest first, 50
// a page, and the scan field. A keyboard-wedge scanner types the
// dossier's code and Enter into the field (it is focused on load): the
// form's GET then lands here with q, and an exact dossier code jumps
// straight to its request (a redirect, so it works without JavaScript).
// Anything else searches the queue by a part of the dossier code or of
// the payer's name.

const cashierPageSize = 50

type cashierQueueRow struct {
	ID          string
	DossierCode string
	Payer       string
	Total       int64
	Lines       int
	CreatedAt   time.Time
}

type cashierQueueData struct {
	Q    string
	Rows []cashierQueueRow
	Next string // the next page's address ("": none)
	// NotFound: q matched neither a dossier nor anything in the queue.
	NotFound bool
}

func (s *Server) handleCashierQueue(w http.ResponseWriter, r *http.Request) {
	svc, ok := s.cashierService(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	after := r.URL.Query().Get("after")
	if q != "" && after == "" {
		id, found, err := cashierScan(r, svc, q)
		if err != nil {
			s.webErr(w, r, err)
			return
		}
		if found {
			http.Redirect(w, r, "/cashier/requests/"+url.PathEscape(id), http.StatusSeeOther)
			return
		}
	}
	rows, err := s.db.CashierQueue(ctx, sqlite.CashierQueueFilter{Search: q, After: after, Limit: cashierPageSize + 1})
	if err != nil {
		s.webErr(w, r, err)
		return
	}
	d := cashierQueueData{Q: q, Rows: []cashierQueueRow{}}
	for i, row := range rows {
		if i == cashierPageSize {
			v := url.Values{"after": {rows[i-1].ID}}
			if q != "" {
				v.Set("q", q)
			}
			d.Next = "/cashier?" + v.Encode()
			break
		}
		var payer payments.Payer
		_ = json.Unmarshal([]byte(row.Payer), &payer)
		created, _ := sqlite.ParseStoreTime(row.CreatedAt)
		d.Rows = append(d.Rows, cashierQueueRow{ID: row.ID, DossierCode: row.DossierCode, Payer: payer.Name, Total: row.Total,
			Lines: len(row.Items), CreatedAt: created})
	}
	d.NotFound = q != "" && len(d.Rows) == 0
	s.renderPage(w, r, http.StatusOK, "cashier_queue", "Hàng đợi thu tiền", d)
}

// cashierScan finds the request of a scanned dossier code: its pending
// request, else its newest (paid, in review…) so the cashier sees where
// it is. A code is tried as typed, then in capitals (a scanner with Caps
// Lock, a cashier typing).
func cashierScan(r *http.Request, svc *payments.Service, code string) (string, bool, error) {
	for _, c := range []string{code, strings.ToUpper(code)} {
		page, err := svc.Requests(r.Context(), payments.Filter{DossierCode: c, Limit: 20})
		if err != nil {
			return "", false, err
		}
		for _, req := range page.Items {
			if req.Status == payments.RequestPending {
				return req.ID, true, nil
			}
		}
		if len(page.Items) > 0 {
			return page.Items[0].ID, true, nil
		}
	}
	return "", false, nil
}
