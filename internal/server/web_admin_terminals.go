package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/endofday"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/receipts"
)

// The administrator's terminals page (docs/WEB.md "Admin"): each
// terminal's state as the manager sees it, a test (the manager's recovery
// pass, run in the terminal's turn: it opens and registers a terminal that
// is offline, and settles its attempts in doubt from the terminal's own
// records), the end of day as POST /api/v1/terminals/{id}/end-of-day does
// it (the totals stored for reconciliation), and the wire tap kept with
// the last attempts, decoded. The wire is shown as decoded fields only:
// no hex, no expiry date, no TLV — never card data.

// adminAttemptsShown is how many of a terminal's last attempts the page
// shows with their wire.
const adminAttemptsShown = 5

type adminTerminalsData struct {
	NoManager bool
	Terminals []adminTerminal
	Result    *adminTerminalResult
}

type adminTerminal struct {
	ID, Protocol, Counter, Link string
	TerminalID                  string
	Status                      terminals.Status
	StatusLabel, StatusClass    string
	Ready                       bool
	LastSeen                    time.Time
	Queue, InDoubt              int
	LastError                   string
	CanEndOfDay                 bool
	Attempts                    []adminAttempt
	AttemptsError               string
}

type adminAttempt struct {
	ID                     string
	Kind                   string
	Amount                 int64
	StartedAt              time.Time
	State                  string
	StateLabel, StateClass string
	Wire                   []adminWireLine
	WireLost               uint64
}

type adminWireLine struct {
	At        time.Time
	Direction string // "Máy tính → POS" or "POS → Máy tính"
	Message   string // the decoded message, its safe fields only
	Error     string
}

// Clock is the unit's time to the millisecond, in Vietnam's zone: the
// units of one exchange are milliseconds apart.
func (l adminWireLine) Clock() string { return l.At.In(ledger.Zone).Format("15:04:05.000") }

// adminTerminalResult is the answer of a test or an end of day, shown
// above the terminals.
type adminTerminalResult struct {
	Terminal string
	Action   string // "Kiểm tra" or "Chốt ca cuối ngày"
	OK       bool
	Lines    []string
	EOD      *pos.EndOfDay
}

var terminalStatusVI = map[terminals.Status][2]string{
	terminals.StatusOffline:        {"Mất kết nối", "bad"},
	terminals.StatusIdle:           {"Sẵn sàng", "ok"},
	terminals.StatusInTransaction:  {"Đang giao dịch", "warn"},
	terminals.StatusAwaitingRecord: {"Đang ghi nhận kết quả", "warn"},
	terminals.StatusInDoubt:        {"Có giao dịch chưa rõ kết quả", "bad"},
}

var attemptStateVI = map[terminals.State][2]string{
	terminals.StatePrepared:          {"Đã chuẩn bị", "warn"},
	terminals.StateSent:              {"Đã gửi", "warn"},
	terminals.StateHeld:              {"Đang giữ kết quả", "warn"},
	terminals.StateRecorded:          {"Đã ghi nhận", "warn"},
	terminals.StateConfirmed:         {"Thành công", "ok"},
	terminals.StateRejected:          {"Đã từ chối (không trừ tiền)", ""},
	terminals.StateExpired:           {"Quá hạn (không trừ tiền)", ""},
	terminals.StateReversed:          {"Đã hoàn (không trừ tiền)", ""},
	terminals.StateDeclined:          {"Bị từ chối", ""},
	terminals.StateAborted:           {"Đã huỷ", ""},
	terminals.StateFailed:            {"Không thực hiện", ""},
	terminals.StateInDoubt:           {"Chưa rõ kết quả", "bad"},
	terminals.StateSettledCharged:    {"Đã xác định: đã trừ tiền", "ok"},
	terminals.StateSettledNotCharged: {"Đã xác định: không trừ tiền", ""},
}

var outcomeVI = map[pos.Outcome]string{
	pos.Approved:       "thành công",
	pos.Declined:       "bị từ chối",
	pos.Aborted:        "đã huỷ",
	pos.CardError:      "lỗi thẻ",
	pos.Busy:           "máy đang bận",
	pos.TransportError: "không liên lạc được với máy",
	pos.Unknown:        "chưa rõ kết quả",
}

var attemptKindVI = map[string]string{pos.KindPay: "Thanh toán", pos.KindRefund: "Hoàn tiền", pos.KindReverse: "Huỷ giao dịch"}

func (s *Server) handleAdminTerminals(w http.ResponseWriter, r *http.Request) {
	s.renderAdminTerminals(w, r, http.StatusOK, nil)
}

func (s *Server) renderAdminTerminals(w http.ResponseWriter, r *http.Request, status int, res *adminTerminalResult) {
	d := adminTerminalsData{Result: res}
	if s.terminals == nil {
		d.NoManager = true
		s.renderPage(w, r, status, "admin_terminals", "Thiết bị thanh toán thẻ", d)
		return
	}
	st := map[string]terminals.TerminalStatus{}
	for _, t := range s.terminals.Status() {
		st[t.ID] = t
	}
	for _, info := range s.terminals.Terminals() {
		t := st[info.ID]
		label := terminalStatusVI[t.Status]
		at := adminTerminal{ID: info.ID, Protocol: string(info.Protocol), Counter: info.Counter, Link: info.Link,
			TerminalID: t.TerminalID, Status: t.Status, StatusLabel: label[0], StatusClass: label[1], Ready: t.Ready,
			LastSeen: t.LastSeen, Queue: t.Queue, InDoubt: t.InDoubt, LastError: t.LastError,
			CanEndOfDay: terminals.Unsupported(info.Protocol, terminals.OpEndOfDay) == nil}
		if at.StatusLabel == "" {
			at.StatusLabel = string(t.Status)
		}
		recs, err := s.db.RecentAttempts(r.Context(), info.ID, adminAttemptsShown)
		if err != nil {
			s.log.Error("admin terminals: read the recent attempts", "terminal", info.ID, "err", err)
			at.AttemptsError = "Không đọc được các giao dịch gần đây của máy này; xem nhật ký hệ thống."
		}
		for _, rec := range recs {
			at.Attempts = append(at.Attempts, adminAttemptView(rec))
		}
		d.Terminals = append(d.Terminals, at)
	}
	s.renderPage(w, r, status, "admin_terminals", "Thiết bị thanh toán thẻ", d)
}

func adminAttemptView(rec terminals.AttemptRecord) adminAttempt {
	label := attemptStateVI[rec.State]
	a := adminAttempt{ID: rec.ID, Kind: attemptKindVI[rec.Kind], Amount: rec.Amount, StartedAt: rec.StartedAt,
		State: string(rec.State), StateLabel: label[0], StateClass: label[1]}
	if a.Kind == "" {
		a.Kind = rec.Kind
	}
	if a.StateLabel == "" {
		a.StateLabel = string(rec.State)
	}
	for _, e := range rec.Evidence {
		if e.Source != terminals.EvidenceWire {
			continue
		}
		a.WireLost += e.WireLost
		for _, u := range e.Wire {
			a.Wire = append(a.Wire, adminWireView(u))
		}
	}
	return a
}

func adminWireView(e terminals.TapEntry) adminWireLine {
	l := adminWireLine{At: e.At, Message: wireSummary(e.Message), Error: e.Error}
	switch e.Direction {
	case "ecr_to_pt":
		l.Direction = "Máy tính → POS"
	case "pt_to_ecr":
		l.Direction = "POS → Máy tính"
	default:
		l.Direction = e.Direction
	}
	return l
}

// wireSummary writes a decoded message's fields a technician needs, and
// only those: the masked card number at most, never the expiry date, the
// TLV, the unknown fields or the raw bytes.
func wireSummary(m pos.Message) string {
	parts := []string{m.Kind}
	add := func(label, v string) {
		if v != "" {
			parts = append(parts, label+" "+v)
		}
	}
	num := func(p *int64) string {
		if p == nil {
			return ""
		}
		return fmt.Sprint(*p)
	}
	add("mã kết quả", m.ResultCode)
	if m.AmountMinor != nil {
		add("số tiền", receipts.FormatDong(*m.AmountMinor))
	}
	add("số trace", num(m.TraceNo))
	add("trace gốc", num(m.OriginalTraceNo))
	add("số biên nhận", num(m.ReceiptNo))
	add("mã máy", m.TerminalID)
	add("mã chuẩn chi", m.ApprovalCode)
	add("thẻ", m.PANMasked)
	add("loại thẻ", m.CardName)
	add("nội dung", m.Text)
	return strings.Join(parts, " · ")
}

func (s *Server) adminTerminalID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := chi.URLParam(r, "id")
	if s.terminals == nil {
		s.webError(w, r, http.StatusNotFound, "Hệ thống này chưa cấu hình máy POS nào ([[terminals]] trong tệp cấu hình).")
		return "", false
	}
	for _, t := range s.terminals.Terminals() {
		if t.ID == id {
			return id, true
		}
	}
	s.webError(w, r, http.StatusNotFound, "Không có máy POS "+id+" trong cấu hình.")
	return "", false
}

// adminTerminalWait bounds how long a test or an end of day waits for the
// terminal's turn and answer; what it runs goes on after.
const adminTerminalWait = 2 * time.Minute

func (s *Server) handleAdminTerminalTest(w http.ResponseWriter, r *http.Request) {
	id, ok := s.adminTerminalID(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), adminTerminalWait)
	defer cancel()
	rep, err := s.terminals.Recover(ctx, id)
	res := &adminTerminalResult{Terminal: id, Action: "Kiểm tra"}
	if err != nil {
		res.Lines = append(res.Lines, "Máy không nhận lệnh kiểm tra: "+terminalErrVI(err))
		s.renderAdminTerminals(w, r, http.StatusOK, res)
		return
	}
	var st terminals.TerminalStatus
	for _, t := range s.terminals.Status() {
		if t.ID == id {
			st = t
		}
	}
	label := terminalStatusVI[st.Status][0]
	res.OK = st.Status != terminals.StatusOffline
	if res.OK {
		res.Lines = append(res.Lines, "Máy POS "+id+" đã trả lời. Trạng thái: "+label+".")
	} else {
		res.Lines = append(res.Lines, "Máy POS "+id+" không trả lời (trạng thái: "+label+"). Kiểm tra nguồn điện, cáp và cổng kết nối rồi thử lại.")
		if st.LastError != "" {
			res.Lines = append(res.Lines, "Lỗi gần nhất: "+st.LastError)
		}
	}
	for _, st := range rep.Settled {
		res.Lines = append(res.Lines, fmt.Sprintf("Đã xác định giao dịch %s: %s.", st.AttemptID, attemptStateVI[st.State][0]))
	}
	if n := len(rep.InDoubt); n > 0 {
		res.OK = false
		res.Lines = append(res.Lines, fmt.Sprintf("Còn %d giao dịch chưa rõ kết quả (%s): đối chiếu với nhật ký của máy POS trước khi thu lại tiền.",
			n, strings.Join(rep.InDoubt, ", ")))
	}
	s.log.Info("terminal test", "terminal", id, "actor", adminActor(r).String(), "status", st.Status, "settled", len(rep.Settled), "in_doubt", len(rep.InDoubt))
	s.renderAdminTerminals(w, r, http.StatusOK, res)
}

func (s *Server) handleAdminEndOfDay(w http.ResponseWriter, r *http.Request) {
	id, ok := s.adminTerminalID(w, r)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), adminTerminalWait)
	defer cancel()
	res := &adminTerminalResult{Terminal: id, Action: "Chốt ca cuối ngày"}
	eod, err := s.terminals.EndOfDay(ctx, id)
	if err != nil {
		if errors.Is(err, terminals.ErrUnknownTerminal) {
			s.webError(w, r, http.StatusNotFound, "Không có máy POS "+id+" trong cấu hình.")
			return
		}
		res.Lines = append(res.Lines, "Không chốt được ca cuối ngày: "+terminalErrVI(err))
		s.renderAdminTerminals(w, r, http.StatusOK, res)
		return
	}
	actor := adminActor(r)
	s.log.Info("terminal end of day", "terminal", id, "actor", actor.String(), "status", eod.Outcome, "total", eod.Total)
	res.EOD = &eod
	if eod.Outcome != pos.Approved {
		res.Lines = append(res.Lines, "Máy POS trả lời: "+outcomeVI[eod.Outcome]+". Lô giao dịch chưa được chốt.")
		if eod.Text != "" {
			res.Lines = append(res.Lines, "Nội dung: "+eod.Text)
		}
		s.renderAdminTerminals(w, r, http.StatusOK, res)
		return
	}
	// As the API's route: the batch is closed whether or not its totals
	// could be stored, so a failure is shown and logged, not undone.
	msg := fmt.Sprintf("Đã chốt lô giao dịch của máy %s: %d giao dịch, tổng %s", id, eodCount(eod), receipts.FormatDong(eod.Total))
	var brands []string
	for i, b := range eod.Totals {
		if i == 8 { // the flash cookie is short
			brands = append(brands, "…")
			break
		}
		brands = append(brands, fmt.Sprintf("%s: %d giao dịch, %s", b.Brand, b.Count, receipts.FormatDong(b.Amount)))
	}
	if len(brands) > 0 {
		msg += " (" + strings.Join(brands, "; ") + ")"
	}
	msg += "."
	if _, err := endofday.New(s.db, endofday.Options{}).StoreEndOfDay(r.Context(), actor, id, s.db.Now(), eod); err != nil {
		s.log.Error("store the terminal's end-of-day totals", "terminal", id, "err", err)
		res.Lines = append(res.Lines, msg, "Không lưu được tổng của máy để đối soát: kế toán cần nhập tổng theo phiếu in của máy POS.")
		s.renderAdminTerminals(w, r, http.StatusOK, res)
		return
	}
	// Redirected (post, redirect, get): reloading the page must not close
	// the batch again.
	s.redirectFlash(w, r, "/admin/terminals", msg+" Đã lưu tổng của máy để đối soát cuối ngày.")
}

func eodCount(eod pos.EndOfDay) int {
	n := 0
	for _, b := range eod.Totals {
		n += b.Count
	}
	return n
}

// terminalErrVI is a terminal error for the page: the manager's own
// Vietnamese message when it has one.
func terminalErrVI(err error) string {
	if m := terminals.MessageVI(err); m != "" {
		return m
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "máy không trả lời kịp; lệnh vẫn tiếp tục trên máy, tải lại trang sau ít phút."
	}
	return err.Error()
}
