package server

import (
	"bytes"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/receipts"
)

// GET /api/v1/receipts/{template}/{series}/{number}[.pdf|.html|.xml]
// (docs/API.md "Receipts"): a stored receipt as JSON, or as the
// PDF and HTML the payer is given (the same renderers as
// `feepos receipts render`), or its stored signed XML. Unlike /verify it
// shows the whole receipt (payer, fees, card reference), so it needs a
// token. Template (EBL01) and series (26TAA) never hold a slash
// (receipts.Ref.Validate), so the three path segments are the reference.

func (s *Server) receiptRoutes(r chi.Router) {
	r.With(s.api(auth.RoleDossierSystem, auth.RoleCashier, auth.RoleAccountant)).
		Get("/receipts/{template}/{series}/{number}", s.handleReceipt)
}

// receiptJSON is the JSON form: the stored receipt as issued, its public
// check address and whether its signature holds.
type receiptJSON struct {
	receipts.Receipt
	VerifyURL string `json:"verify_url"`
	Signature string `json:"signature"`           // valid | invalid | unsigned
	SignedBy  string `json:"signed_by,omitempty"` // the signing certificate's name, when valid
}

// receiptFormats: the suffix of the number segment and the answer's type.
var receiptFormats = map[string]string{
	"":     "application/json; charset=utf-8",
	"pdf":  "application/pdf",
	"html": "text/html; charset=utf-8",
	"xml":  "application/xml; charset=utf-8",
}

func (s *Server) handleReceipt(w http.ResponseWriter, r *http.Request) {
	number, format, _ := strings.Cut(chi.URLParam(r, "number"), ".")
	format = strings.ToLower(format)
	if _, ok := receiptFormats[format]; !ok {
		writeError(w, http.StatusNotFound, apperr.NotFound, "a receipt is served as JSON (no suffix), .pdf, .html or .xml; not ."+format)
		return
	}
	ref, problems := parseVerifyRef(chi.URLParam(r, "template"), chi.URLParam(r, "series"), number)
	if len(problems) > 0 {
		writeError(w, http.StatusBadRequest, apperr.Invalid, "the receipt's address is /api/v1/receipts/"+receipts.Template+"/26TAA/00000123: "+strings.Join(problems, " "))
		return
	}
	ctx := r.Context()
	rc, err := s.db.Receipt(ctx, ref.Template, ref.Series, ref.Number)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	sig, signedBy, doc, err := s.receiptSignature(r, rc)
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	base := s.publicBase(r)
	w.Header().Set("Cache-Control", "no-store") // its status changes when it is replaced
	var out bytes.Buffer
	switch format {
	case "":
		writeJSON(w, http.StatusOK, receiptJSON{Receipt: rc, VerifyURL: receipts.VerifyURL(base, rc), Signature: sig, SignedBy: signedBy})
		return
	case "pdf":
		err = receipts.RenderPDF(&out, rc, receipts.PDFOptions{VerifyBase: base, SignedBy: signedBy})
	case "html":
		paper := receipts.PaperA5
		if strings.EqualFold(r.URL.Query().Get("paper"), "80mm") {
			paper = receipts.Paper80mm
		}
		err = receipts.RenderHTML(&out, rc, receipts.HTMLOptions{Paper: paper, VerifyBase: base, SignedBy: signedBy})
	case "xml":
		if doc == nil {
			writeError(w, http.StatusNotFound, apperr.NotFound, "receipt "+rc.Ref.String()+" was issued without a signature, so there is no signed XML: ask for its JSON, .html or .pdf form")
			return
		}
		out.Write(doc)
	}
	if err != nil {
		s.writeErr(w, r, err)
		return
	}
	w.Header().Set("Content-Type", receiptFormats[format])
	if format == "pdf" || format == "xml" {
		w.Header().Set("Content-Disposition", `inline; filename="`+rc.Template+"-"+rc.Ref.String()+"."+format+`"`)
	}
	_, _ = w.Write(out.Bytes())
}

// receiptSignature checks rc's stored signed XML as /verify does: the
// state (valid, invalid, unsigned), the signer's name when it holds (the
// receipt then prints it), and the stored document (nil: unsigned).
func (s *Server) receiptSignature(r *http.Request, rc receipts.Receipt) (state, signedBy string, doc []byte, err error) {
	doc, err = s.db.SignedReceiptXML(r.Context(), rc.Template, rc.Series, rc.Number)
	switch {
	case apperr.Code(err) == apperr.NotFound:
		return signatureUnsigned, "", nil, nil
	case err != nil:
		return "", "", nil, err
	}
	var trust receipts.Trust
	if t := s.verify.trust.Load(); t != nil {
		trust = *t
	}
	if err := receipts.CheckSignedReceipt(doc, rc, trust); err != nil {
		s.log.Warn("receipt signature does not hold", "receipt", rc.Ref.String(), "err", err)
		return signatureInvalid, "", doc, nil
	}
	if cert, err := receipts.SigningCertificate(doc); err == nil {
		signedBy = cert.Subject.CommonName
	}
	return signatureValid, signedBy, doc, nil
}

// SetVerifyBase sets the public address (e.g. https://bienlai.example.gov.vn)
// that receipts' QR codes and verify_url name ([receipts] verify_base).
// Without it they name the address the request came to. Call it before
// serving.
func (s *Server) SetVerifyBase(base string) { s.verifyBase = strings.TrimRight(base, "/") }

// publicBase is the verify base, else the scheme and host the client
// used.
func (s *Server) publicBase(r *http.Request) string {
	if s.verifyBase != "" {
		return s.verifyBase
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
