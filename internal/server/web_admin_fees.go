package server

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"strings"

	"github.com/feepos/feepos/internal/catalogue"
	"github.com/feepos/feepos/internal/sqlite"
)

// The administrator's fee catalogue page (docs/WEB.md "Admin"): the
// catalogue, paged and searchable; its export as `feepos fees export`
// writes it (CSV, every fee, inactive ones too); and the import of a
// file as `feepos fees import` reads it — catalogue.Read, then
// sqlite.DB.ImportCatalogue (one transaction, audited with the admin), or
// PlanImport for a check that writes nothing. A file with any wrong row
// imports nothing; its problems are listed per line, in Vietnamese.

const adminFeesPerPage = 50

// adminFeesMaxFile is the largest catalogue file taken (a catalogue of a
// few thousand fees is well under a megabyte).
const adminFeesMaxFile = 10 << 20

type adminFeesData struct {
	Search      string
	Fees        []catalogue.Fee
	Total       int
	Page, Pages int
	PrevURL     string
	NextURL     string
	Import      *adminImportResult
}

// adminImportResult is what an import did, would do (DryRun), or why it
// wrote nothing (Problems).
type adminImportResult struct {
	Source   string
	DryRun   bool
	Fees     int
	Changes  catalogue.Changes
	Problems []adminImportProblem
}

type adminImportProblem struct {
	Line    int
	FeeCode string
	Column  string
	Reason  string
}

func (s *Server) handleAdminFees(w http.ResponseWriter, r *http.Request) {
	s.renderAdminFees(w, r, http.StatusOK, "", nil)
}

func (s *Server) renderAdminFees(w http.ResponseWriter, r *http.Request, status int, errMsg string, imp *adminImportResult) {
	d := adminFeesData{Search: strings.TrimSpace(r.URL.Query().Get("q")), Page: pageParam(r), Import: imp}
	fees, total, err := s.db.FeesPage(r.Context(), sqlite.FeeQuery{Search: d.Search, Offset: (d.Page - 1) * adminFeesPerPage, Limit: adminFeesPerPage})
	if err != nil {
		s.webErr(w, r, err)
		return
	}
	d.Fees, d.Total = fees, total
	d.Pages = max(1, (total+adminFeesPerPage-1)/adminFeesPerPage)
	link := func(page int) string {
		q := r.URL.Query()
		q.Set("trang", strconv.Itoa(page))
		if d.Search == "" {
			q.Del("q")
		}
		return "/admin/fees?" + q.Encode()
	}
	if d.Page > 1 {
		d.PrevURL = link(d.Page - 1)
	}
	if d.Page < d.Pages {
		d.NextURL = link(d.Page + 1)
	}
	s.renderWeb(w, r, status, "admin_fees", webPage{Title: "Danh mục phí, lệ phí", Error: errMsg, Data: d})
}

// handleAdminFeesExport writes the whole catalogue as CSV, as `feepos
// fees export FILE.csv` does.
func (s *Server) handleAdminFeesExport(w http.ResponseWriter, r *http.Request) {
	c, err := s.db.Catalogue(r.Context())
	if err != nil {
		s.webErr(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := catalogue.Write(&buf, c, catalogue.CSV); err != nil {
		s.webErr(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="danh-muc-phi.csv"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = buf.WriteTo(w)
}

// handleAdminFeesImport imports an uploaded catalogue file (field "file";
// "dry_run" checks it only; "deactivate_missing" as the CLI's flag).
func (s *Server) handleAdminFeesImport(w http.ResponseWriter, r *http.Request) {
	bad := func(msg string) { s.renderAdminFees(w, r, http.StatusUnprocessableEntity, msg, nil) }
	if r.MultipartForm == nil {
		if err := r.ParseMultipartForm(adminFeesMaxFile); err != nil {
			bad("Hãy chọn tệp danh mục (CSV hoặc XLSX) để nhập.")
			return
		}
	}
	file, hdr, err := r.FormFile("file")
	if err != nil {
		bad("Hãy chọn tệp danh mục (CSV hoặc XLSX) để nhập.")
		return
	}
	defer file.Close()
	source := path.Base(strings.ReplaceAll(hdr.Filename, `\`, "/"))
	format, err := catalogue.FormatOf(source)
	if err != nil {
		bad("Tệp “" + source + "” không phải CSV hoặc XLSX: lưu tệp với đuôi .csv hoặc .xlsx.")
		return
	}
	data, err := io.ReadAll(io.LimitReader(file, adminFeesMaxFile+1))
	if err != nil {
		s.webErr(w, r, err)
		return
	}
	if len(data) > adminFeesMaxFile {
		bad("Tệp quá lớn (tối đa 10 MB): kiểm tra lại tệp danh mục.")
		return
	}
	res := &adminImportResult{Source: source, DryRun: r.PostFormValue("dry_run") != ""}
	opt := catalogue.ImportOptions{DeactivateMissing: r.PostFormValue("deactivate_missing") != "", Source: source + " (trang quản trị)"}
	c, err := catalogue.Read(bytes.NewReader(data), format, source)
	if err == nil {
		res.Fees = len(c.Fees)
		if res.DryRun {
			res.Changes, err = s.db.PlanImport(r.Context(), c, opt)
		} else {
			res.Changes, err = s.db.ImportCatalogue(r.Context(), c, opt, adminActor(r))
		}
	}
	var ie *catalogue.ImportError
	switch {
	case errors.As(err, &ie):
		for _, p := range ie.Rows {
			res.Problems = append(res.Problems, adminImportProblem{Line: p.Line, FeeCode: p.FeeCode, Column: columnVI(p.Column), Reason: catalogueReasonVI(p.Reason)})
		}
		s.renderAdminFees(w, r, http.StatusUnprocessableEntity, "", res)
		return
	case err != nil:
		s.webErr(w, r, err)
		return
	}
	if !res.DryRun {
		s.log.Info("catalogue imported", "source", source, "fees", res.Fees, "actor", adminActor(r).String(),
			"added", len(res.Changes.Added), "updated", len(res.Changes.Updated), "deactivated", len(res.Changes.Deactivated))
	}
	s.renderAdminFees(w, r, http.StatusOK, "", res)
}

// columnVI names a column as the Vietnamese header does ("Mức thu
// (unit_amount)").
func columnVI(col string) string {
	if a := catalogue.ColumnAliases[col]; len(a) > 0 {
		return a[0] + " (" + col + ")"
	}
	return col
}

// catalogueReasons turn the catalogue's reasons (internal/catalogue,
// English for the CLI and the logs) into what the page says; a reason
// none matches is shown as it is.
var catalogueReasons = []struct {
	re *regexp.Regexp
	vi string // $1… are the reason's groups
}{
	{regexp.MustCompile(`^the fee code is required$`), "Thiếu mã phí."},
	{regexp.MustCompile(`^("[^"]*") is not an? (fee|procedure|organisation|agency) code: `), "$1 không phải mã hợp lệ: mã gồm 1–64 chữ cái không dấu, chữ số, '.', '_', '/' hoặc '-', bắt đầu bằng chữ hoặc số."},
	{regexp.MustCompile(`^the fee's name`), "Thiếu tên phí, lệ phí (tên in trên biên lai)."},
	{regexp.MustCompile(`^the kind is required`), "Thiếu loại: phí (phi) hoặc lệ phí (le_phi)."},
	{regexp.MustCompile(`^the kind ("[^"]*") is not`), "Loại $1 không phải phí (phi) hoặc lệ phí (le_phi)."},
	{regexp.MustCompile(`^the collecting organisation`), "Thiếu đơn vị thu (mã đơn vị của sê-ri biên lai)."},
	{regexp.MustCompile(`^the unit amount (-?[0-9]+) must be`), "Mức thu $1 phải là số đồng lớn hơn 0 (để trống nếu cơ quan tính theo từng hồ sơ)."},
	{regexp.MustCompile(`^("[^"]*") is not an amount in whole đồng`), "$1 không phải số tiền hợp lệ: ghi số đồng lớn hơn 0, ví dụ 100000 hoặc 100.000, hoặc để trống nếu cơ quan tính theo từng hồ sơ."},
	{regexp.MustCompile(`^a fee with a unit amount needs its unit`), "Khoản có mức thu cần đơn vị tính, ví dụ hồ sơ, bản, trang."},
	{regexp.MustCompile(`^("[^"]*") is not 1 \(in use\)`), "$1 không phải 1 (đang thu) hoặc 0 (ngừng thu)."},
	{regexp.MustCompile(`^the level ("[^"]*") is not`), "Cấp $1 không phải cấp huyện (district) hoặc ngành dọc (vertical)."},
	{regexp.MustCompile(`^the fee code is on line ([0-9]+) already`), "Mã phí này đã có ở dòng $1."},
	{regexp.MustCompile(`^the fee code is listed twice`), "Mã phí bị trùng."},
	{regexp.MustCompile(`^the procedure (\S+) is listed twice`), "Thủ tục $1 bị trùng."},
	{regexp.MustCompile(`^the procedure (\S+) is not in the catalogue`), "Thủ tục $1 không có trong tệp."},
	{regexp.MustCompile(`^the procedure (\S+) (needs its name|has no name)`), "Thủ tục $1 chưa có tên: ghi tên thủ tục ở ít nhất một dòng."},
	{regexp.MustCompile(`^the procedure (\S+) is named ("[^"]*") on line ([0-9]+)`), "Thủ tục $1 đã mang tên $2 ở dòng $3: mỗi thủ tục một tên."},
	{regexp.MustCompile(`^the procedure (\S+) is (\S+) on line ([0-9]+)`), "Thủ tục $1 đã có cấp $2 ở dòng $3."},
	{regexp.MustCompile(`^the procedure (\S+) is handled by (\S+) on line ([0-9]+)`), "Thủ tục $1 đã do $2 giải quyết ở dòng $3."},
	{regexp.MustCompile(`^a procedure name without its code`), "Có tên thủ tục nhưng thiếu mã thủ tục."},
	{regexp.MustCompile(`^unknown column`), "Cột không nhận ra: dùng tên cột của tệp xuất ra (fee_code, name, …) hoặc tên tiếng Việt (Mã phí, Tên phí, …)."},
	{regexp.MustCompile(`^a second column for`), "Cột này có hai lần: giữ một."},
	{regexp.MustCompile(`^this required column is missing`), "Dòng tiêu đề thiếu cột bắt buộc này."},
	{regexp.MustCompile(`^a value under no header`), "Có giá trị nằm dưới cột không có tiêu đề: đặt tên cột hoặc xoá giá trị."},
	{regexp.MustCompile(`^the file has a header but no fee`), "Tệp chỉ có dòng tiêu đề, không có khoản phí nào: không nhập danh mục rỗng."},
	{regexp.MustCompile(`^not valid CSV`), "Không phải tệp CSV hợp lệ (kiểm tra dấu ngoặc kép và dấu phẩy)."},
	{regexp.MustCompile(`^the (file|sheet \S+) is empty`), "Tệp rỗng: cần dòng tiêu đề và mỗi khoản phí một dòng."},
	{regexp.MustCompile(`^not an XLSX workbook`), "Không phải tệp XLSX: lưu lại từ bảng tính dưới dạng .xlsx, hoặc xuất CSV."},
	{regexp.MustCompile(`^the workbook has no sheet`), "Tệp XLSX không có trang tính nào."},
}

func catalogueReasonVI(reason string) string {
	for _, c := range catalogueReasons {
		if m := c.re.FindStringSubmatchIndex(reason); m != nil {
			return string(c.re.ExpandString(nil, c.vi, reason, m))
		}
	}
	return reason
}
