package server

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/sqlite"
)

// The administrator's webhook page (docs/WEB.md "Admin"): the outbox's
// messages, newest first, by state, with their last error, and the retry
// of a dead message — sqlite.Tx.RetryWebhook, as POST
// /api/v1/webhooks/{id}/retry does it (one transaction, audited
// "webhook.retry" with the admin). The worker looks for due messages at
// least every second, so the retried message is tried at once.

const adminWebhooksPerPage = 50

type adminWebhooksData struct {
	State    string
	States   [][2]string // value, label
	Messages []adminWebhook
	NextURL  string
	FirstURL string
}

type adminWebhook struct {
	sqlite.WebhookMessage
	StateLabel, StateClass string
}

var webhookStateVI = map[string][2]string{
	sqlite.WebhookPending:   {"Đang chờ gửi", "warn"},
	sqlite.WebhookDelivered: {"Đã gửi", "ok"},
	sqlite.WebhookDead:      {"Gửi thất bại", "bad"},
}

func (s *Server) handleAdminWebhooks(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := adminWebhooksData{State: q.Get("state"), States: [][2]string{{"", "Tất cả"}, {sqlite.WebhookDead, "Gửi thất bại"},
		{sqlite.WebhookPending, "Đang chờ gửi"}, {sqlite.WebhookDelivered, "Đã gửi"}}}
	if _, ok := webhookStateVI[d.State]; !ok {
		d.State = ""
	}
	before, _ := strconv.ParseInt(q.Get("truoc"), 10, 64)
	if before < 0 {
		before = 0
	}
	ms, err := s.db.Webhooks(r.Context(), sqlite.WebhookFilter{State: d.State, Before: before, Limit: adminWebhooksPerPage})
	if err != nil {
		s.webErr(w, r, err)
		return
	}
	for _, m := range ms {
		l := webhookStateVI[m.State]
		d.Messages = append(d.Messages, adminWebhook{WebhookMessage: m, StateLabel: l[0], StateClass: l[1]})
	}
	page := func(before int64) string {
		v := url.Values{}
		if d.State != "" {
			v.Set("state", d.State)
		}
		if before > 0 {
			v.Set("truoc", strconv.FormatInt(before, 10))
		}
		if len(v) == 0 {
			return "/admin/webhooks"
		}
		return "/admin/webhooks?" + v.Encode()
	}
	if len(ms) == adminWebhooksPerPage {
		d.NextURL = page(ms[len(ms)-1].ID)
	}
	if before > 0 {
		d.FirstURL = page(0)
	}
	s.renderPage(w, r, http.StatusOK, "admin_webhooks", "Webhook gửi hệ thống hồ sơ", d)
}

func (s *Server) handleAdminWebhookRetry(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil || id <= 0 {
		s.webError(w, r, http.StatusNotFound, "Không có webhook số "+chi.URLParam(r, "id")+".")
		return
	}
	back := "/admin/webhooks"
	if st := r.PostFormValue("state"); st != "" {
		if _, ok := webhookStateVI[st]; ok {
			back += "?state=" + st
		}
	}
	err = s.db.WithTx(r.Context(), func(tx *sqlite.Tx) error {
		_, err := tx.RetryWebhook(r.Context(), id, adminActor(r))
		return err
	})
	switch errCode(err) {
	case "":
	case apperr.NotFound:
		s.webError(w, r, http.StatusNotFound, fmt.Sprintf("Không có webhook số %d.", id))
		return
	case apperr.Conflict:
		s.redirectFlash(w, r, back, fmt.Sprintf("Webhook số %d đã được gửi thành công trước đó: không cần gửi lại.", id))
		return
	default:
		s.webErr(w, r, err)
		return
	}
	s.log.Info("webhook retried", "webhook", id, "actor", adminActor(r).String())
	s.redirectFlash(w, r, back, fmt.Sprintf("Đã đưa webhook số %d vào hàng gửi lại ngay (thử lại trong 24 giờ tới).", id))
}
