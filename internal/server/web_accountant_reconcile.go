package server

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/endofday"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/reconcile"
	"github.com/feepos/feepos/reconcile/importers"
)

// The reconciliation page: upload settlement files and bank statements
// (endofday.Closer.Import, each file whole or not at all), run a day
// (Closer.Run, a dry run or a commit), read the stored report
// (Closer.Report), resolve the open exceptions (Closer.Resolve) and
// confirm the in-doubt payments the run offers (Closer.Confirm).

// acctMaxUpload bounds one upload (all its files): a day's settlement
// file of a busy center is a few MB; a million lines is ~150 MB.
const acctMaxUpload = 256 << 20

// acctReconcileData is the reconciliation page's data.
type acctReconcileData struct {
	Date     string
	Formats  []string
	Profiles []string
	Format   string
	Profile  string

	Imported []string       // what the upload imported, one line per file
	Refused  []acctFileFail // the files refused, with their bad rows

	HasReport bool
	DryRun    bool
	Report    reconcile.Report
	RunInfo   string // who ran it when
	Postings  []endofday.PostingResult
	Offers    []reconcile.Match
	DayExc    []acctExc // the report's exceptions
	Matches   []reconcile.Match
	Pager     acctPager

	Open       []acctExc // open exceptions, every day, with their ids
	OpenPager  acctPager
	OpenTotal  int
	ReviewOpen int // payments in needs_review
}

// acctFileFail is a refused file.
type acctFileFail struct {
	File    string
	Message string
	Rows    []acctRowErr
	More    int // rows not shown
}

type acctRowErr struct {
	Line   int
	Column string
	Reason string
	Detail string // the importer's own words when Reason translates them
}

// acctExc is an exception as the page shows it.
type acctExc struct {
	ID               int64
	Kind             string // in Vietnamese
	KindCode         string
	Carried          bool
	Since            string
	AgeDays          int
	PaymentID        string
	SettlementID     string
	BankID           string
	TerminalID       string
	TraceNo          int64
	LedgerAmount     *int64
	SettlementAmount *int64
	BankAmount       *int64
	Detail           string
}

// acctPager is one page of a list.
type acctPager struct {
	Page, Pages, Total, From, To int
	PrevURL, NextURL             string
}

func newPager(total, page int, link func(int) string) acctPager {
	p := acctPager{Total: total, Pages: (total + acctPerPage - 1) / acctPerPage}
	if p.Pages == 0 {
		p.Pages = 1
	}
	p.Page = min(max(page, 1), p.Pages)
	p.From = (p.Page - 1) * acctPerPage
	p.To = min(p.From+acctPerPage, total)
	if p.Page > 1 {
		p.PrevURL = link(p.Page - 1)
	}
	if p.Page < p.Pages {
		p.NextURL = link(p.Page + 1)
	}
	return p
}

// kindVI names an exception kind as the accountant's pages do.
func kindVI(k reconcile.ExceptionKind) string {
	switch k {
	case reconcile.MissingInSettlement:
		return "Thiếu trong sao kê"
	case reconcile.MissingInLedger:
		return "Thiếu trong sổ"
	case reconcile.AmountMismatch:
		return "Lệch số tiền"
	case reconcile.DuplicateInSettlement:
		return "Trùng trong sao kê"
	case reconcile.TerminalTotalMismatch:
		return "Lệch tổng máy POS"
	case reconcile.BankCreditMismatch:
		return "Lệch tiền báo có ngân hàng"
	case reconcile.BalanceMismatch:
		return "Lệch số dư ngân hàng"
	case reconcile.CarriedOver:
		return "Tồn từ ngày trước"
	}
	return string(k)
}

func excOf(e reconcile.Exception) acctExc {
	x := acctExc{Kind: kindVI(e.Kind), KindCode: string(e.Kind), Since: e.Since, AgeDays: e.AgeDays, PaymentID: e.PaymentID,
		SettlementID: e.SettlementID, BankID: e.BankID, TerminalID: e.TerminalID, TraceNo: e.TraceNo, LedgerAmount: e.LedgerAmount,
		SettlementAmount: e.SettlementAmount, BankAmount: e.BankAmount, Detail: e.Detail}
	if e.Kind == reconcile.CarriedOver {
		x.Carried = true
		if e.OriginKind != "" {
			x.Kind = "Tồn từ ngày trước: " + kindVI(e.OriginKind)
		}
	}
	return x
}

// storedExc is a stored open exception as seen on date: one first seen
// before it is carried over, with its age.
func storedExc(e sqlite.StoredException, date string) acctExc {
	x := excOf(e.Exception)
	x.ID = e.ID
	if e.FirstSeen < date && e.Kind != reconcile.CarriedOver {
		x.Carried, x.Since = true, e.FirstSeen
		x.AgeDays = acctDaysBetween(e.FirstSeen, date)
		x.Kind = "Tồn từ ngày trước: " + kindVI(e.Kind)
	} else if x.Since == "" {
		x.Since = e.FirstSeen
	}
	return x
}

func acctDaysBetween(from, to string) int {
	a, err1 := parseDay(from)
	b, err2 := parseDay(to)
	if err1 != nil || err2 != nil {
		return 0
	}
	return int(b.Sub(a).Hours() / 24)
}

func (s *Server) handleAcctReconcile(w http.ResponseWriter, r *http.Request) {
	date, msg := s.acctDate(r)
	d := acctReconcileData{Date: date}
	status := http.StatusOK
	if msg != "" {
		status = http.StatusUnprocessableEntity
	}
	s.renderReconcile(w, r, status, msg, &d, nil)
}

// renderReconcile fills what d leaves empty (the stored report of d.Date
// unless run is a dry run's result, the open exceptions) and renders the
// page.
func (s *Server) renderReconcile(w http.ResponseWriter, r *http.Request, status int, errMsg string, d *acctReconcileData, run *endofday.RunResult) {
	ctx := r.Context()
	c := s.closer()
	d.Formats, d.Profiles = endofday.Formats, importers.ProfileNames()
	if d.Format == "" {
		d.Format = "auto"
	}
	if run != nil {
		d.HasReport, d.DryRun, d.Report, d.Postings, d.Offers = true, run.DryRun, run.Report, run.Postings, run.Offers
	} else {
		stored, ok, err := s.db.LatestReconcileRun(ctx, d.Date)
		if err != nil {
			s.webErr(w, r, err)
			return
		}
		if ok {
			d.HasReport, d.Report = true, stored.Report
			d.RunInfo = fmt.Sprintf("Lần đối soát lưu gần nhất: %s, bởi %s.", webTime(stored.RunAt, "02/01/2006 15:04"), stored.Actor)
			for _, m := range stored.Report.Matches {
				if m.Offer {
					d.Offers = append(d.Offers, m)
				}
			}
		}
	}
	if d.HasReport {
		for _, e := range d.Report.Exceptions {
			d.DayExc = append(d.DayExc, excOf(e))
		}
		q := url.Values{"date": {d.Date}}
		d.Pager = newPager(len(d.Report.Matches), acctPage(r, "page"), func(n int) string {
			q.Set("page", strconv.Itoa(n))
			return "/accountant/reconcile?" + q.Encode() + "#matches"
		})
		d.Matches = d.Report.Matches[d.Pager.From:d.Pager.To]
	}
	open, err := c.Exceptions(ctx, true)
	if err != nil {
		s.webErr(w, r, err)
		return
	}
	d.OpenTotal = len(open)
	d.OpenPager = newPager(len(open), acctPage(r, "open"), func(n int) string {
		return "/accountant/reconcile?" + url.Values{"date": {d.Date}, "open": {strconv.Itoa(n)}}.Encode() + "#open"
	})
	for _, e := range open[d.OpenPager.From:d.OpenPager.To] {
		d.Open = append(d.Open, storedExc(e, s.acctToday()))
	}
	if d.ReviewOpen, err = s.db.CountPaymentsInReview(ctx); err != nil {
		s.webErr(w, r, err)
		return
	}
	s.renderWeb(w, r, status, "accountant_reconcile", webPage{Title: "Đối soát ngày " + dayVN(d.Date), Error: errMsg, Data: d})
}

// handleAcctImport imports the uploaded files: the field "settlement"
// (settlement files, format from the field "format", auto by default,
// profile "profile") and the field "bank" (bank statements, detected),
// each several times if wanted. A file refused is listed with its bad
// rows and nothing of it is written; the others are imported.
func (s *Server) handleAcctImport(w http.ResponseWriter, r *http.Request) {
	date, msg := s.acctDate(r)
	d := acctReconcileData{Date: date, Format: r.FormValue("format"), Profile: r.FormValue("profile")}
	if msg != "" {
		s.renderReconcile(w, r, http.StatusUnprocessableEntity, msg, &d, nil)
		return
	}
	if r.MultipartForm == nil {
		s.renderReconcile(w, r, http.StatusBadRequest, "Hãy chọn tệp quyết toán hoặc sao kê ngân hàng để tải lên.", &d, nil)
		return
	}
	format := d.Format
	if format == "" {
		format = "auto"
	}
	known := false
	for _, f := range endofday.Formats {
		known = known || f == format
	}
	if !known {
		s.renderReconcile(w, r, http.StatusUnprocessableEntity, "Định dạng tệp “"+format+"” không được hỗ trợ.", &d, nil)
		return
	}
	type upload struct {
		fh     *multipart.FileHeader
		format string
	}
	var files []upload
	for _, fh := range r.MultipartForm.File["settlement"] {
		files = append(files, upload{fh, settlementFormatOf(format)})
	}
	for _, fh := range r.MultipartForm.File["bank"] {
		files = append(files, upload{fh, bankFormatOf(format)})
	}
	if len(files) == 0 {
		s.renderReconcile(w, r, http.StatusUnprocessableEntity, "Hãy chọn tệp quyết toán hoặc sao kê ngân hàng để tải lên.", &d, nil)
		return
	}
	c := s.closer()
	actor := webCtxFrom(r).actor()
	status := http.StatusOK
	for _, f := range files {
		if f.fh.Size == 0 {
			d.Refused = append(d.Refused, acctFileFail{File: f.fh.Filename, Message: "Tệp rỗng: không ghi gì."})
			status = http.StatusUnprocessableEntity
			continue
		}
		data, err := readUpload(f.fh)
		if err != nil {
			s.webErr(w, r, err)
			return
		}
		res, err := c.Import(r.Context(), actor, endofday.File{Name: f.fh.Filename, Data: data, Format: f.format, Profile: d.Profile})
		var fe *importers.FileError
		switch {
		case errors.As(err, &fe):
			d.Refused = append(d.Refused, fileFail(f.fh.Filename, fe))
			status = http.StatusUnprocessableEntity
		case err != nil && apperr.Code(err) != apperr.Internal:
			_, m := s.acctErrText(r, err)
			d.Refused = append(d.Refused, acctFileFail{File: f.fh.Filename, Message: m})
			status = http.StatusUnprocessableEntity
		case err != nil:
			s.webErr(w, r, err)
			return
		default:
			line := res.Message()
			if len(res.Dates) > 0 {
				ds := make([]string, len(res.Dates))
				for i, x := range res.Dates {
					ds[i] = dayVN(x)
				}
				line += " Ngày của dữ liệu: " + strings.Join(ds, ", ") + "."
			}
			d.Imported = append(d.Imported, line)
		}
	}
	errMsg := ""
	if len(d.Refused) > 0 {
		errMsg = "Có tệp không được nhập (không ghi gì từ tệp đó): xem danh sách lỗi bên dưới, sửa tệp rồi tải lên lại."
	}
	s.renderReconcile(w, r, status, errMsg, &d, nil)
}

// settlementFormatOf and bankFormatOf are the CLI's rules for --format
// with --settlement and --bank (cmd/feepos/reconcile.go): a bank format
// applies to the bank files only; the others are detected.
func settlementFormatOf(format string) string {
	if bankFormatOf(format) != "auto" {
		return "auto"
	}
	return format
}

func bankFormatOf(format string) string {
	switch format {
	case "camt053", "camt054", "mt940":
		return format
	}
	return "auto"
}

func readUpload(fh *multipart.FileHeader) ([]byte, error) {
	if fh.Size > acctMaxUpload {
		return nil, acctRefusal(fmt.Sprintf("tệp %s lớn hơn %d MB", fh.Filename, acctMaxUpload>>20))
	}
	f, err := fh.Open()
	if err != nil {
		return nil, fmt.Errorf("read the uploaded file %s: %w", fh.Filename, err)
	}
	defer f.Close()
	return io.ReadAll(f)
}

// acctMaxRowErrs bounds the bad rows a page lists (a file of a million
// bad lines is refused all the same).
const acctMaxRowErrs = 200

func fileFail(name string, fe *importers.FileError) acctFileFail {
	out := acctFileFail{File: name, Message: fmt.Sprintf("Tệp %s (%s) không được nhập, không ghi gì: %d lỗi.", name, fe.Format, len(fe.Rows))}
	for i, row := range fe.Rows {
		if i == acctMaxRowErrs {
			out.More = len(fe.Rows) - i
			break
		}
		vi, ok := reasonVI(row.Reason)
		e := acctRowErr{Line: row.Line, Column: row.Column, Reason: vi}
		if ok {
			e.Detail = row.Reason
		}
		out.Rows = append(out.Rows, e)
	}
	return out
}

// handleAcctRun runs a day: the button "dry_run" previews (nothing
// stored or posted), "commit" stores the run and posts the settled
// batches, then shows the stored report.
func (s *Server) handleAcctRun(w http.ResponseWriter, r *http.Request) {
	date, msg := s.acctDate(r)
	d := acctReconcileData{Date: date}
	if msg != "" || strings.TrimSpace(r.FormValue("date")) == "" {
		if msg == "" {
			msg = "Hãy chọn ngày cần đối soát."
		}
		s.renderReconcile(w, r, http.StatusUnprocessableEntity, msg, &d, nil)
		return
	}
	dry := r.FormValue("mode") != "commit"
	res, err := s.closer().Run(r.Context(), webCtxFrom(r).actor(), date, dry)
	if err != nil {
		st, m := s.acctErrText(r, err)
		s.renderReconcile(w, r, st, m, &d, nil)
		return
	}
	if dry {
		s.renderReconcile(w, r, http.StatusOK, "", &d, &res)
		return
	}
	s.redirectFlash(w, r, "/accountant/reconcile?date="+url.QueryEscape(date),
		fmt.Sprintf("Đã đối soát và lưu ngày %s: %d giao dịch khớp, %d ngoại lệ, %d lô được hạch toán.",
			dayVN(date), res.Report.Summary.MatchedCount, len(res.Report.Exceptions), len(res.Postings)))
}

// handleAcctResolve resolves exception {id}: "action" match, write_off
// or unmatch, "reason" required, "payment" and "line" for a match
// (default: the exception's own).
func (s *Server) handleAcctResolve(w http.ResponseWriter, r *http.Request) {
	date, _ := s.acctDate(r)
	back := "/accountant/reconcile?date=" + url.QueryEscape(date) + "#open"
	d := acctReconcileData{Date: date}
	raw := chi.URLParam(r, "id")
	if raw == "" {
		raw = strings.TrimSpace(r.FormValue("id")) // the unmatch form names it in a field
	}
	id, err := strconv.ParseInt(strings.TrimPrefix(raw, "#"), 10, 64)
	if err != nil || id <= 0 {
		s.renderReconcile(w, r, http.StatusNotFound, "Không có ngoại lệ số “"+raw+"”.", &d, nil)
		return
	}
	action := r.FormValue("action")
	switch action {
	case endofday.ActionMatch, endofday.ActionWriteOff, endofday.ActionUnmatch:
	default:
		s.renderReconcile(w, r, http.StatusUnprocessableEntity, "Hãy chọn cách xử lý: đối chiếu thủ công, chấp nhận chênh lệch, hoặc hoàn tác.", &d, nil)
		return
	}
	reason := strings.TrimSpace(r.FormValue("reason"))
	if reason == "" {
		s.renderReconcile(w, r, http.StatusUnprocessableEntity,
			fmt.Sprintf("Ngoại lệ #%d chưa được xử lý: hãy ghi lý do (căn cứ: thư của ngân hàng, số tham chiếu, biên bản…). Lý do được lưu vào nhật ký kiểm toán.", id), &d, nil)
		return
	}
	e, err := s.closer().Resolve(r.Context(), webCtxFrom(r).actor(), id, endofday.ResolveInput{Action: action, Reason: reason,
		PaymentID: strings.TrimSpace(r.FormValue("payment")), LineID: strings.TrimSpace(r.FormValue("line"))})
	if err != nil {
		var ne *sqlite.ErrNoException
		if errors.As(err, &ne) {
			s.renderReconcile(w, r, http.StatusNotFound, fmt.Sprintf("Không có ngoại lệ số #%d.", id), &d, nil)
			return
		}
		st, m := s.acctErrText(r, err)
		s.renderReconcile(w, r, st, m, &d, nil)
		return
	}
	msg := fmt.Sprintf("Ngoại lệ #%d đã được xử lý (%s).", e.ID, actionVI(action))
	if e.Open {
		msg = fmt.Sprintf("Đã hoàn tác: ngoại lệ #%d mở lại.", e.ID)
	}
	s.redirectFlash(w, r, back, msg)
}

func actionVI(a string) string {
	switch a {
	case endofday.ActionMatch:
		return "đối chiếu thủ công"
	case endofday.ActionWriteOff:
		return "chấp nhận chênh lệch"
	case endofday.ActionUnmatch:
		return "hoàn tác"
	case "auto":
		return "tự động"
	}
	return a
}

// handleAcctConfirm confirms as charged a payment in review that a run
// offered, with the settlement line "line" as evidence and a reason.
func (s *Server) handleAcctConfirm(w http.ResponseWriter, r *http.Request) {
	date, _ := s.acctDate(r)
	d := acctReconcileData{Date: date}
	id := chi.URLParam(r, "id")
	line, reason := strings.TrimSpace(r.FormValue("line")), strings.TrimSpace(r.FormValue("reason"))
	if line == "" || reason == "" {
		s.renderReconcile(w, r, http.StatusUnprocessableEntity,
			"Để xác nhận giao dịch treo "+id+", cần dòng quyết toán làm căn cứ và lý do (điều đã kiểm tra, ví dụ hóa đơn máy POS).", &d, nil)
		return
	}
	if s.payments == nil && s.acctCloser == nil {
		s.renderReconcile(w, r, http.StatusServiceUnavailable, "Chức năng thanh toán chưa chạy trên máy chủ này: không xác nhận được.", &d, nil)
		return
	}
	p, err := s.closer().Confirm(r.Context(), webCtxFrom(r).actor(), id, line, reason)
	if err != nil {
		st, m := s.acctErrText(r, err)
		s.renderReconcile(w, r, st, m, &d, nil)
		return
	}
	s.redirectFlash(w, r, "/accountant/reconcile?date="+url.QueryEscape(date),
		fmt.Sprintf("Đã xác nhận thanh toán %s (%s): đã thu, biên lai đã phát hành.", p.ID, webMoney(p.Amount)))
}
