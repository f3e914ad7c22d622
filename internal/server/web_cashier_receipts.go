package server

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/receipts"
)

// GET /cashier/receipts/{template}/{series}/{number}.pdf | .html[?size=80mm]:
// a stored receipt to print, rendered as GET /api/v1/receipts/… and
// `feepos receipts render` do (receipts.RenderPDF, A5; RenderHTML, A5 or
// 80 mm thermal). A reprint is the same address later: the renderers have
// no "Bản in lại" mark yet, so a reprint is identical to the first print.

func (s *Server) handleCashierReceipt(w http.ResponseWriter, r *http.Request) {
	number, format, _ := strings.Cut(chi.URLParam(r, "number"), ".")
	format = strings.ToLower(format)
	if format != "pdf" && format != "html" {
		s.webError(w, r, http.StatusNotFound, "Biên lai được in dưới dạng .pdf (khổ A5) hoặc .html (khổ A5 hoặc 80 mm).")
		return
	}
	ref, problems := parseVerifyRef(chi.URLParam(r, "template"), chi.URLParam(r, "series"), number)
	if len(problems) > 0 {
		s.webError(w, r, http.StatusBadRequest, strings.Join(problems, " "))
		return
	}
	rc, err := s.db.Receipt(r.Context(), ref.Template, ref.Series, ref.Number)
	if err != nil {
		s.webErr(w, r, err)
		return
	}
	_, signedBy, _, err := s.receiptSignature(r, rc)
	if err != nil {
		s.webErr(w, r, err)
		return
	}
	base := s.publicBase(r)
	var out bytes.Buffer
	if format == "pdf" {
		err = receipts.RenderPDF(&out, rc, receipts.PDFOptions{VerifyBase: base, SignedBy: signedBy})
	} else {
		paper := receipts.PaperA5
		q := r.URL.Query()
		if strings.EqualFold(q.Get("size"), "80mm") || strings.EqualFold(q.Get("paper"), "80mm") {
			paper = receipts.Paper80mm
		}
		err = receipts.RenderHTML(&out, rc, receipts.HTMLOptions{Paper: paper, VerifyBase: base, SignedBy: signedBy})
	}
	if err != nil {
		s.webErr(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Type", receiptFormats[format])
	if format == "pdf" {
		w.Header().Set("Content-Disposition", `inline; filename="`+rc.Template+"-"+rc.Ref.String()+`.pdf"`)
	}
	_, _ = w.Write(out.Bytes())
}
