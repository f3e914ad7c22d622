package server

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
	"github.com/go-chi/httprate"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// The public receipt check, GET /verify/{template}/{series}/{number}: the
// address in every receipt's QR code (receipts.VerifyURL; issue 4, item 6).
// Anyone may open it, without a login. With the receipt's lookup code
// (?c=CODE, printed on the receipt and carried in its QR code; issue 13,
// item 8) it shows what identifies the receipt and whether it holds: the
// collecting organisation's name and tax code, the delegate that issued it
// on the organisation's behalf, template, series, number, date of issue,
// the fee lines, total, status (valid or replaced, Circular 91/2026/TT-BTC
// Art. 20), the hash chain of its series and the signature, and a link to
// its signed XML (…/xml?c=CODE). Never the payer (name, ID number,
// address), the dossier or the card on the page. Without the code, or with
// a wrong one, it answers only that the receipt exists (or 404 that it does
// not), with a field to type the code: walking the numbers 1, 2, 3… lists
// no date, amount or organisation. Both answers read one receipt row and
// nothing else, so they take the same time. A browser gets a Vietnamese
// page; a client sending "Accept: application/json" or "?format=json" gets
// JSON.

// Rate limit of the public check, per client IP (IPv6 per /64), counted by
// httprate's sliding window. A citizen scanning a QR code makes one request;
// 30 a minute leaves room for a counter checking a pile of receipts and
// stops anyone enumerating numbers (each request may read the database).
// The client IP is the TCP peer: behind a reverse proxy every client shares
// the proxy's bucket, so such a deployment needs middleware.ClientIPFromXFF
// with the proxy's prefixes instead of ClientIPFromRemoteAddr below.
const (
	VerifyRequestsPerWindow = 30
	VerifyWindow            = time.Minute
)

// verifyLimit is VerifyRequestsPerWindow; tests lower it before New.
var verifyLimit = VerifyRequestsPerWindow

//go:embed templates/verify.html.tmpl
var verifyFS embed.FS

var verifyTmpl = template.Must(template.ParseFS(verifyFS, "templates/verify.html.tmpl"))

// verifier serves /verify. It is built once per Server; chains keeps the
// chain walks (verify_chain.go).
type verifier struct {
	db     *sqlite.DB
	log    *slog.Logger
	trust  atomic.Pointer[receipts.Trust] // nil: the zero Trust
	chains *chainChecker
}

// verifyRoutes is mounted at /verify.
func (s *Server) verifyRoutes() http.Handler {
	v := &verifier{db: s.db, log: s.log, chains: newChainChecker(s.db, s.log)}
	s.verify = v
	r := chi.NewRouter()
	r.Use(noStore)
	r.Use(middleware.ClientIPFromRemoteAddr)
	r.Use(httprate.LimitBy(verifyLimit, VerifyWindow, clientIPKey, httprate.WithLimitHandler(v.tooMany)))
	r.Get("/{template}/{series}/{number}", v.handle)
	r.Get("/{template}/{series}/{number}/xml", v.handleXML)
	r.Get("/", v.badPath)
	r.Get("/*", v.badPath)
	return r
}

func clientIPKey(r *http.Request) (string, error) {
	if ip := middleware.GetClientIP(r.Context()); ip != "" {
		return httprate.CanonicalizeIP(ip), nil
	}
	return r.RemoteAddr, nil
}

// noStore: a receipt's status changes when it is replaced, so no page of
// it is kept by a browser or proxy. The page loads nothing from elsewhere
// and runs no script.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "no-store")
		h.Set("Vary", "Accept")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
		next.ServeHTTP(w, r)
	})
}

// Chain states, as JSON says them.
const (
	chainIntact  = "intact"
	chainBroken  = "broken"
	chainUnknown = "unknown" // not checked: the walk failed or stopped at another series
)

// Signature states, as JSON says them: the stored signed XML holds (by a
// trusted certificate, and says what the stored receipt says), does not,
// or there is none (the receipt was issued unsigned).
const (
	signatureValid    = "valid"
	signatureInvalid  = "invalid"
	signatureUnsigned = "unsigned"
)

// verifyResult is the JSON answer.
type verifyResult struct {
	Template     string        `json:"template"`
	Exists       bool          `json:"exists"`
	Series       string        `json:"series"`
	Number       int64         `json:"number"`
	Date         string        `json:"date"`  // date of issue in Vietnam, YYYY-MM-DD
	Total        int64         `json:"total"` // whole đồng
	Currency     string        `json:"currency"`
	Organisation verifyOrg     `json:"organisation"`
	Status       string        `json:"status"` // valid | replaced
	ReplacedBy   *receipts.Ref `json:"replaced_by,omitempty"`
	Replaces     *receipts.Ref `json:"replaces,omitempty"`
	ChainOK      bool          `json:"chain_ok"`
	Chain        string        `json:"chain"`     // intact | broken | unknown
	Signature    string        `json:"signature"` // valid | invalid | unsigned
	// Added with the lookup code (issue 13): the fee lines, the delegate
	// and where the signed XML is.
	Lines    []verifyLine       `json:"lines"`
	Delegate *receipts.Delegate `json:"delegate,omitempty"`
	XMLURL   string             `json:"xml_url,omitempty"` // path of the signed XML, with the code
}

type verifyLine struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`   // phi | le_phi
	Amount int64  `json:"amount"` // whole đồng
}

// verifyExists is the JSON answer without the lookup code (or with a
// wrong one): the receipt exists, and nothing else about it.
type verifyExists struct {
	Template   string `json:"template"`
	Series     string `json:"series"`
	Number     int64  `json:"number"`
	Exists     bool   `json:"exists"`
	LookupCode string `json:"lookup_code"` // missing | wrong
}

type verifyOrg struct {
	Name    string `json:"name"`
	TaxCode string `json:"tax_code"`
}

// verifyPage is what the template shows.
type verifyPage struct {
	Title   string
	Heading string
	Status  int

	// An error page.
	Problems []string

	// A receipt that exists, asked without its lookup code (or a wrong
	// one): its identity and the form to type the code.
	ExistsOnly bool
	WrongCode  bool
	RefWords   string
	FormAction string

	// A receipt.
	Receipt     bool
	Delegate    *receipts.Delegate
	Lines       []verifyPageLine
	XMLHref     string
	OrgName     string
	TaxCode     string
	Template    string
	Series      string
	Number      string
	Date        string
	Total       string
	Replaced    bool
	ReplacedBy  refLink
	Replaces    *refLink
	Chain       string
	ChainNote   string
	ChainBroken bool
	Signature   string
	SigNote     string
	SigBad      bool
}

type refLink struct{ Words, Href string }

type verifyPageLine struct{ No, Name, Kind, Amount string }

func newRefLink(ref receipts.Ref) refLink {
	n := receipts.PrintedNumber(ref.Number)
	return refLink{
		Words: "ký hiệu mẫu " + ref.Template + ", ký hiệu " + ref.Series + ", số " + n,
		Href:  "/verify/" + ref.Template + "/" + ref.Series + "/" + n,
	}
}

func (v *verifier) handle(w http.ResponseWriter, r *http.Request) {
	ref, problems := parseVerifyRef(chi.URLParam(r, "template"), chi.URLParam(r, "series"), chi.URLParam(r, "number"))
	if len(problems) > 0 {
		v.fail(w, r, http.StatusBadRequest, apperr.Invalid, "Đường dẫn tra cứu không đúng", problems)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	rc, err := v.db.Receipt(ctx, ref.Template, ref.Series, ref.Number)
	if err != nil {
		switch code := apperr.Code(err); code {
		case apperr.NotFound:
			v.fail(w, r, http.StatusNotFound, code, "Không tìm thấy biên lai", []string{
				"Không có biên lai " + newRefLink(ref).Words + ". Kiểm tra lại mã QR hoặc đường dẫn, hoặc liên hệ đơn vị thu."})
		case apperr.Invalid:
			v.fail(w, r, http.StatusBadRequest, code, "Đường dẫn tra cứu không đúng", []string{err.Error()})
		default:
			v.log.Error("verify: read receipt", "receipt", ref.String(), "err", err)
			v.unavailable(w, r)
		}
		return
	}
	code := r.URL.Query().Get("c")
	if !receipts.LookupCodeMatches(rc, code) {
		v.existsOnly(w, r, rc.Ref, code != "")
		return
	}
	chain, bad := v.chainOf(ctx, rc)
	sig, err := v.signatureOf(ctx, rc)
	if err != nil {
		v.log.Error("verify: read signed XML", "receipt", rc.Ref.String(), "err", err)
		v.unavailable(w, r)
		return
	}

	res := verifyResult{
		Template: rc.Template, Series: rc.Series, Number: rc.Number,
		Total: rc.Total, Currency: rc.Currency,
		Organisation: verifyOrg{Name: rc.Org.Name, TaxCode: rc.Org.TaxCode},
		Status:       string(rc.Status),
		ReplacedBy:   rc.ReplacedBy,
		Replaces:     rc.Replaces,
		ChainOK:      chain == chainIntact,
		Chain:        chain,
		Signature:    sig.state,
		Exists:       true,
		Delegate:     rc.Delegate,
		Lines:        make([]verifyLine, len(rc.Lines)),
	}
	for i, l := range rc.Lines {
		res.Lines[i] = verifyLine{Name: l.Name, Kind: string(l.Kind), Amount: l.Amount}
	}
	if sig.state != signatureUnsigned {
		res.XMLURL = xmlPath(rc)
	}
	if t, err := rc.IssuedTime(); err == nil {
		res.Date = t.Format(time.DateOnly)
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, res)
		return
	}

	p := verifyPage{
		Title: "Tra cứu biên lai " + rc.Ref.String(), Heading: receipts.Title, Status: http.StatusOK,
		Receipt: true, OrgName: rc.Org.Name, TaxCode: rc.Org.TaxCode,
		Template: rc.Template, Series: rc.Series, Number: receipts.PrintedNumber(rc.Number),
		Date: rc.IssueDate(), Total: receipts.FormatDong(rc.Total),
		Signature: sig.words, SigNote: sig.note, SigBad: sig.state == signatureInvalid,
		Delegate: rc.Delegate, XMLHref: res.XMLURL,
	}
	for i, l := range rc.Lines {
		p.Lines = append(p.Lines, verifyPageLine{No: strconv.Itoa(i + 1), Name: l.Name, Kind: kindWords(l.Kind), Amount: receipts.FormatDong(l.Amount)})
	}
	if rc.Status == receipts.Replaced && rc.ReplacedBy != nil {
		p.Replaced, p.ReplacedBy = true, newRefLink(*rc.ReplacedBy)
	}
	if rc.Replaces != nil {
		l := newRefLink(*rc.Replaces)
		p.Replaces = &l
	}
	p.Chain, p.ChainNote = chainWords(chain, bad)
	p.ChainBroken = chain == chainBroken
	v.render(w, http.StatusOK, p)
}

// xmlPath is where the holder of rc's code downloads its signed XML.
func xmlPath(rc receipts.Receipt) string {
	return "/verify/" + rc.Template + "/" + rc.Series + "/" + receipts.PrintedNumber(rc.Number) + "/xml?c=" + rc.LookupCode
}

func kindWords(k receipts.FeeKind) string {
	if k == receipts.Phi {
		return "Phí"
	}
	return "Lệ phí"
}

// existsOnly answers for a receipt that exists, asked without its code or
// with a wrong one: that it exists, and nothing else.
func (v *verifier) existsOnly(w http.ResponseWriter, r *http.Request, ref receipts.Ref, wrong bool) {
	if wantsJSON(r) {
		res := verifyExists{Template: ref.Template, Series: ref.Series, Number: ref.Number, Exists: true, LookupCode: "missing"}
		if wrong {
			res.LookupCode = "wrong"
		}
		writeJSON(w, http.StatusOK, res)
		return
	}
	link := newRefLink(ref)
	v.render(w, http.StatusOK, verifyPage{Title: "Tra cứu biên lai " + ref.String(), Heading: receipts.Title, Status: http.StatusOK,
		ExistsOnly: true, WrongCode: wrong, RefWords: link.Words, FormAction: link.Href})
}

// handleXML gives the holder of a receipt's lookup code its signed XML,
// the document the organisation signed (with the payer's details: it is
// the receipt itself). Without the right code: 403, and nothing of it.
func (v *verifier) handleXML(w http.ResponseWriter, r *http.Request) {
	ref, problems := parseVerifyRef(chi.URLParam(r, "template"), chi.URLParam(r, "series"), chi.URLParam(r, "number"))
	if len(problems) > 0 {
		v.fail(w, r, http.StatusBadRequest, apperr.Invalid, "Đường dẫn tra cứu không đúng", problems)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	rc, err := v.db.Receipt(ctx, ref.Template, ref.Series, ref.Number)
	if err == nil && !receipts.LookupCodeMatches(rc, r.URL.Query().Get("c")) {
		v.fail(w, r, http.StatusForbidden, "forbidden", "Cần mã tra cứu", []string{
			"Tệp biên lai điện tử chỉ tải được với mã tra cứu in trên biên lai (hoặc bằng cách quét mã QR trên biên lai)."})
		return
	}
	var doc []byte
	if err == nil {
		doc, err = v.db.SignedReceiptXML(ctx, rc.Template, rc.Series, rc.Number)
		if apperr.Code(err) == apperr.NotFound {
			v.fail(w, r, http.StatusNotFound, apperr.NotFound, "Biên lai chưa được ký số", []string{
				"Biên lai " + newRefLink(ref).Words + " được lập không kèm chữ ký số: không có tệp XML đã ký để tải. Liên hệ đơn vị thu."})
			return
		}
	}
	if err != nil {
		switch code := apperr.Code(err); code {
		case apperr.NotFound:
			v.fail(w, r, http.StatusNotFound, code, "Không tìm thấy biên lai", []string{
				"Không có biên lai " + newRefLink(ref).Words + ". Kiểm tra lại mã QR hoặc đường dẫn, hoặc liên hệ đơn vị thu."})
		default:
			v.log.Error("verify: read signed XML", "receipt", ref.String(), "err", err)
			v.unavailable(w, r)
		}
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+receipts.Template+"_"+rc.Series+"_"+receipts.PrintedNumber(rc.Number)+`.xml"`)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(doc)
}

// chainWords says a chain state on the page.
func chainWords(chain, bad string) (words, note string) {
	switch chain {
	case chainIntact:
		return "toàn vẹn", "Không phát hiện biên lai nào cùng ký hiệu bị sửa, xóa, thêm hay đảo thứ tự."
	case chainBroken:
		note = "Dữ liệu biên lai cùng ký hiệu đã bị thay đổi"
		if bad != "" {
			note += " (phát hiện tại biên lai " + bad + ")"
		}
		return "không toàn vẹn", note + ". Không dựa vào biên lai này; liên hệ đơn vị thu."
	default:
		return "chưa kiểm tra được", "Không kiểm tra được chuỗi băm lúc này; vui lòng thử lại sau."
	}
}

// sigResult is what the page and JSON say of a receipt's signature.
type sigResult struct {
	state string // valid | invalid | unsigned
	words string // "hợp lệ (đơn vị ký: …)", "không hợp lệ: …", "biên lai chưa được ký số"
	note  string
}

func (v *verifier) setTrust(t receipts.Trust) {
	if t.IsZero() {
		v.trust.Store(nil)
		return
	}
	v.trust.Store(&t)
}

// signatureOf checks rc's stored signed XML with receipts.CheckSignedReceipt:
// a signature by a trusted certificate, over content equal to the stored
// receipt. The error is only a failure to read the database.
func (v *verifier) signatureOf(ctx context.Context, rc receipts.Receipt) (sigResult, error) {
	doc, err := v.db.SignedReceiptXML(ctx, rc.Template, rc.Series, rc.Number)
	switch {
	case apperr.Code(err) == apperr.NotFound:
		return sigResult{state: signatureUnsigned, words: "biên lai chưa được ký số",
			note: "Biên lai được lập không kèm chữ ký số của đơn vị thu."}, nil
	case err != nil:
		return sigResult{}, err
	}
	var trust receipts.Trust
	if t := v.trust.Load(); t != nil {
		trust = *t
	}
	if err := receipts.CheckSignedReceipt(doc, rc, trust); err != nil {
		v.log.Warn("verify: receipt signature does not hold", "receipt", rc.Ref.String(), "err", err)
		return sigResult{state: signatureInvalid, words: "không hợp lệ: " + signatureReason(err),
			note: "Không dựa vào biên lai này; liên hệ đơn vị thu."}, nil
	}
	res := sigResult{state: signatureValid, words: "hợp lệ"}
	if cert, err := receipts.SigningCertificate(doc); err == nil {
		name := cert.Subject.CommonName
		if name == "" {
			name = cert.Subject.String()
		}
		res.words += " (đơn vị ký: " + name + ")"
	}
	if trust.IsZero() {
		res.note = "Nội dung không bị thay đổi sau khi ký; chứng thư số chưa được đối chiếu với chứng thư đã đăng ký của đơn vị thu."
	}
	return res, nil
}

// signatureReason says in Vietnamese why a signature does not hold, from
// the English problem receipts.SignatureError names.
func signatureReason(err error) string {
	var se *receipts.SignatureError
	if !errors.As(err, &se) {
		return "không kiểm tra được chữ ký số"
	}
	p := se.Problem
	has := func(s string) bool { return strings.Contains(p, s) }
	switch {
	case has("not well-formed XML"), has("no root element"):
		return "dữ liệu biên lai đã ký bị hỏng, không đọc được"
	case has("not signed"):
		return "dữ liệu đã lưu không có chữ ký số"
	case has("signatures where one is expected"), has("is not the last element"), has("signature method"), has("does not reference the whole document"):
		return "chữ ký số không đúng cấu trúc quy định"
	case has("KeyInfo"), has("carries no certificate"):
		return "không đọc được chứng thư số kèm theo chữ ký"
	case has("tax code (MST)"):
		return "chứng thư số đã ký không phải của đơn vị thu (mã số thuế trên chứng thư khác mã số thuế của đơn vị thu)"
	case has("not the trusted certificate"), has("does not chain to a trusted CA"):
		return "chữ ký không phải của chứng thư số đã đăng ký của đơn vị thu"
	case has("was not valid when the document was signed"):
		return "chứng thư số không còn hiệu lực tại thời điểm ký"
	case has("changed after signing"):
		return "nội dung biên lai đã bị thay đổi sau khi ký"
	case has("signature value does not match"):
		return "giá trị chữ ký không khớp (chữ ký bị sửa hoặc do khóa khác tạo)"
	case has("no longer matches"):
		return "nội dung đã ký không khớp với biên lai đang lưu"
	case has("cannot be written as XML"):
		return "không dựng lại được biên lai đang lưu để đối chiếu"
	}
	return "chữ ký số không kiểm tra được"
}

// chainOf says whether the hash chain of rc's series holds, and which
// receipt of the series broke it, from the background walk and an
// incremental check (verify_chain.go). The walker starts with the first
// request if Server.Run has not started it (a Server used as a plain
// http.Handler, as in tests).
func (v *verifier) chainOf(ctx context.Context, rc receipts.Receipt) (state, bad string) {
	v.chains.start()
	return v.chains.state(ctx, rc)
}

// chainState reads rc's chain state from a full walk's report. The walk
// stops at the first problem, so its report answers for rc's series when
// it is OK and covers rc, or when the receipt it names is of rc's series
// (its letters; the chain goes on across years). A problem in another
// series stops the walk before the rest is checked: unknown.
func chainState(rep receipts.VerifyReport, rc receipts.Receipt) (state, bad string) {
	_, letters, err := receipts.ParseSeries(rc.Series)
	if err != nil {
		return chainUnknown, ""
	}
	if rep.OK {
		if covers(rep, rc) {
			return chainIntact, ""
		}
		return chainUnknown, ""
	}
	series, _, found := strings.Cut(rep.Bad, "-")
	if !found {
		return chainUnknown, ""
	}
	if _, badLetters, err := receipts.ParseSeries(series); err == nil && badLetters == letters {
		return chainBroken, rep.Bad
	}
	return chainUnknown, ""
}

// covers: an OK report walked rc's series at least up to rc.
func covers(rep receipts.VerifyReport, rc receipts.Receipt) bool {
	year, letters, err := receipts.ParseSeries(rc.Series)
	if err != nil {
		return false
	}
	for _, c := range rep.Chains {
		if c.Template != rc.Template || c.Letters != letters {
			continue
		}
		headYear, _, err := receipts.ParseSeries(c.Series)
		if err != nil {
			return false
		}
		return headYear > year || (headYear == year && c.Number >= rc.Number)
	}
	return false
}

// parseVerifyRef checks the three parts of the address and says, in
// Vietnamese, what is wrong with each. Letters may come in lower case
// (typed by hand); numbers with or without their leading zeros.
func parseVerifyRef(tmpl, series, number string) (receipts.Ref, []string) {
	var problems []string
	tmpl, series = strings.ToUpper(tmpl), strings.ToUpper(series)
	if tmpl != receipts.Template {
		problems = append(problems, "Ký hiệu mẫu “"+clip(tmpl)+"” không đúng: biên lai thu phí, lệ phí điện tử có ký hiệu mẫu "+receipts.Template+".")
	}
	if _, _, err := receipts.ParseSeries(series); err != nil {
		problems = append(problems, "Ký hiệu “"+clip(series)+"” không đúng: ký hiệu có 5 ký tự, gồm 2 số cuối của năm, chữ T và 2 chữ cái trong A B C D E G H K L M N P Q R S T U V X Y, ví dụ 26TAA.")
	}
	n, err := strconv.ParseInt(number, 10, 64)
	if err != nil || number == "" || len(number) > 8 || strings.TrimLeft(number, "0123456789") != "" || n < 1 {
		problems = append(problems, "Số “"+clip(number)+"” không đúng: số biên lai gồm tối đa 8 chữ số, từ 00000001 đến 99999999.")
	}
	return receipts.Ref{Template: tmpl, Series: series, Number: n}, problems
}

// clip keeps an echoed path part short.
func clip(s string) string {
	if r := []rune(s); len(r) > 20 {
		return string(r[:20]) + "…"
	}
	return s
}

func (v *verifier) badPath(w http.ResponseWriter, r *http.Request) {
	v.fail(w, r, http.StatusBadRequest, apperr.Invalid, "Đường dẫn tra cứu không đúng", []string{
		"Đường dẫn tra cứu có dạng /verify/" + receipts.Template + "/26TAA/00000123: ký hiệu mẫu, ký hiệu và số biên lai (in dưới mã QR trên biên lai)."})
}

func (v *verifier) tooMany(w http.ResponseWriter, r *http.Request) {
	v.fail(w, r, http.StatusTooManyRequests, "rate_limited", "Quá nhiều lượt tra cứu", []string{
		"Mỗi địa chỉ mạng được tra cứu tối đa " + strconv.Itoa(verifyLimit) + " lần mỗi phút. Vui lòng đợi một phút rồi thử lại."})
}

func (v *verifier) unavailable(w http.ResponseWriter, r *http.Request) {
	v.fail(w, r, http.StatusServiceUnavailable, apperr.Unavailable, "Chưa tra cứu được", []string{
		"Hệ thống tạm thời không đọc được dữ liệu biên lai. Vui lòng thử lại sau ít phút."})
}

// fail answers an error: {error:{code, message}} for JSON, a page otherwise.
func (v *verifier) fail(w http.ResponseWriter, r *http.Request, status int, code, heading string, problems []string) {
	if wantsJSON(r) {
		writeJSON(w, status, map[string]any{"error": map[string]string{
			"code": code, "message": heading + ": " + strings.Join(problems, " "),
		}})
		return
	}
	v.render(w, status, verifyPage{Title: heading, Heading: heading, Status: status, Problems: problems})
}

func (v *verifier) render(w http.ResponseWriter, status int, p verifyPage) {
	var b strings.Builder
	if err := verifyTmpl.Execute(&b, p); err != nil {
		v.log.Error("verify: render page", "err", err)
		http.Error(w, "Lỗi hiển thị trang tra cứu", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(b.String()))
}

// wantsJSON: "?format=json", or an Accept header naming application/json
// (a browser's does not).
func wantsJSON(r *http.Request) bool {
	if f := r.URL.Query().Get("format"); f != "" {
		return f == "json"
	}
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}
