package server

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/endofday"
	"github.com/feepos/feepos/receipts"
)

// The accountant's downloads: the reconciliation report of a day as CSV,
// XLSX or the self-contained HTML report (endofday's exports, as
// `feepos reconcile report --csv|--xlsx|--html`), and the daily summary
// 01/TH-BLĐT of an organisation (receipts' XML or XLSX, as
// `feepos receipts summary`).

const (
	ctCSV  = "text/csv; charset=utf-8"
	ctXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	ctHTML = "text/html; charset=utf-8"
	ctXML  = "application/xml; charset=utf-8"
)

// SetReceiptKeys hands the server the organisations' signing keys (the
// keyring serve loads; nil: receipts are not signed): the accountant's
// daily summary signs its XML with them, the admin's receipts page shows
// their certificates and expiry. Call it before serving.
func (s *Server) SetReceiptKeys(k *receipts.Keyring) { s.keys = k }

// sendFile answers with a download.
func sendFile(w http.ResponseWriter, contentType, name string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"; filename*=UTF-8''%s`, name, url.PathEscape(name)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// handleAcctReportFile sends the stored report of ?date= as report.csv,
// report.xlsx or report.html.
func (s *Server) handleAcctReportFile(w http.ResponseWriter, r *http.Request) {
	date, msg := s.acctDate(r)
	if msg != "" {
		s.webError(w, r, http.StatusUnprocessableEntity, msg)
		return
	}
	c := s.closer()
	rep, err := c.Report(r.Context(), date)
	if err != nil {
		if st, m := s.acctErrText(r, err); st == http.StatusNotFound {
			s.webError(w, r, st, "Ngày "+dayVN(date)+" chưa được đối soát và lưu: hãy chạy đối soát ngày này trước khi tải báo cáo.")
		} else {
			s.webError(w, r, st, m)
		}
		return
	}
	var buf bytes.Buffer
	base := "doi-soat-" + date
	switch chi.URLParam(r, "ext") {
	case "csv":
		err = endofday.WriteCSV(&buf, rep)
		if err == nil {
			sendFile(w, ctCSV, base+".csv", buf.Bytes())
		}
	case "xlsx":
		err = endofday.WriteXLSX(&buf, rep)
		if err == nil {
			sendFile(w, ctXLSX, base+".xlsx", buf.Bytes())
		}
	case "html":
		chart, cerr := c.Chart(r.Context(), date, 14)
		if err = cerr; err == nil {
			err = endofday.WriteHTML(&buf, rep, chart)
		}
		if err == nil {
			sendFile(w, ctHTML, base+".html", buf.Bytes())
		}
	default:
		s.webError(w, r, http.StatusNotFound, "")
		return
	}
	if err != nil {
		s.webErr(w, r, err)
	}
}

type acctSummaryData struct {
	Date   string
	Orgs   []receipts.Series
	Signed bool // the server holds signing keys
}

// handleAcctSummaryPage lists the organisations with the daily summary's
// downloads for ?date=.
func (s *Server) handleAcctSummaryPage(w http.ResponseWriter, r *http.Request) {
	date, msg := s.acctDate(r)
	orgs, err := s.db.SeriesList(r.Context())
	if err != nil {
		s.webErr(w, r, err)
		return
	}
	status := http.StatusOK
	if msg != "" {
		status = http.StatusUnprocessableEntity
	}
	s.renderWeb(w, r, status, "accountant_summary", webPage{Title: "Bảng tổng hợp biên lai 01/TH-BLĐT", Error: msg,
		Data: acctSummaryData{Date: date, Orgs: orgs, Signed: s.keys != nil}})
}

// handleAcctSummaryFile sends the daily summary of ?org= on ?date= as
// ?format=xml (signed with the organisation's key when the server holds
// it, unless ?unsigned=1) or xlsx.
func (s *Server) handleAcctSummaryFile(w http.ResponseWriter, r *http.Request) {
	date, msg := s.acctDate(r)
	if msg != "" {
		s.webError(w, r, http.StatusUnprocessableEntity, msg)
		return
	}
	org := strings.TrimSpace(r.FormValue("org"))
	if org == "" {
		s.webError(w, r, http.StatusUnprocessableEntity, "Hãy chọn đơn vị thu.")
		return
	}
	format := r.FormValue("format")
	if format != "xml" && format != "xlsx" {
		s.webError(w, r, http.StatusUnprocessableEntity, "Định dạng “"+format+"”: chọn XML hoặc XLSX.")
		return
	}
	sum, err := s.db.DailySummary(r.Context(), org, date)
	if err != nil {
		st, m := s.acctErrText(r, err)
		s.webError(w, r, st, m)
		return
	}
	var body []byte
	if format == "xlsx" {
		body, err = receipts.SummaryXLSX(sum)
		if err == nil {
			sendFile(w, ctXLSX, sum.FileName("xlsx"), body)
		}
	} else {
		body, err = receipts.SummaryXML(sum)
		if err == nil && s.keys != nil && r.FormValue("unsigned") == "" {
			body, err = s.signSummary(sum.Org, body)
		}
		if err == nil {
			sendFile(w, ctXML, sum.FileName("xml"), body)
		}
	}
	if err != nil {
		st, m := s.acctErrText(r, err)
		s.webError(w, r, st, m)
	}
}

// signSummary signs the summary's XML with org's own key, refusing a key
// whose certificate carries another tax code, as the CLI does
// (cmd/feepos/receipts_taxsign.go).
func (s *Server) signSummary(org receipts.Organisation, doc []byte) ([]byte, error) {
	signer, err := s.keys.SignerFor(org.Code)
	if err != nil {
		return nil, acctRefusal("Không có khóa ký số của " + org.Code + ": tải bản XML chưa ký (để nhà cung cấp ký) hoặc cấu hình khóa cho đơn vị này.")
	}
	if ok, _ := receipts.CertificateOfTaxCode(signer.Certificate(), org.TaxCode); !ok {
		return nil, acctRefusal("Khóa ký số hiện có không mang mã số thuế " + org.TaxCode + " của " + org.Code +
			": mỗi đơn vị ký bằng chứng thư của chính mình. Tải bản XML chưa ký hoặc cấu hình khóa cho đơn vị này.")
	}
	return signer.SignXML(doc)
}
