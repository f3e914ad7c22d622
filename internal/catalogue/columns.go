package catalogue

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// The columns of a catalogue file (docs/CATALOGUE.md). One row per fee;
// the procedure's columns repeat on each fee of the procedure. Exports
// write these names, in this order; imports also take the Vietnamese
// aliases, in any order.
const (
	ColFeeCode         = "fee_code"
	ColName            = "name"
	ColKind            = "kind"
	ColProcedureCode   = "procedure_code"
	ColProcedureName   = "procedure_name"
	ColProcedureLevel  = "procedure_level"
	ColProcedureAgency = "procedure_agency"
	ColOrgCode         = "org_code"
	ColAgencyCode      = "agency_code"
	ColUnitAmount      = "unit_amount"
	ColUnit            = "unit"
	ColLegalBasis      = "legal_basis"
	ColActive          = "active"
	ColPayerIDRequired = "payer_id_required"
)

// Columns are the column names, in the order exports write them.
var Columns = []string{
	ColFeeCode, ColName, ColKind, ColProcedureCode, ColProcedureName, ColProcedureLevel, ColProcedureAgency,
	ColOrgCode, ColAgencyCode, ColUnitAmount, ColUnit, ColLegalBasis, ColActive, ColPayerIDRequired,
}

// RequiredColumns must be in every file's header; the others may be left
// out (their cells are then empty, and active is 1).
var RequiredColumns = []string{ColFeeCode, ColName, ColKind, ColOrgCode}

// ColumnAliases are the Vietnamese headers an import accepts for each
// column. Headers are compared without case, diacritics, or repeated
// spaces, so "MÃ PHÍ", "Mã phí" and "ma phi" are the same header.
var ColumnAliases = map[string][]string{
	ColFeeCode:         {"Mã phí", "Mã phí, lệ phí", "Mã khoản thu"},
	ColName:            {"Tên phí", "Tên phí, lệ phí", "Tên khoản thu", "Tên"},
	ColKind:            {"Loại", "Loại phí", "Phí/lệ phí", "Loại khoản thu"},
	ColProcedureCode:   {"Mã thủ tục", "Mã TTHC", "Mã thủ tục hành chính"},
	ColProcedureName:   {"Tên thủ tục", "Tên TTHC", "Tên thủ tục hành chính"},
	ColProcedureLevel:  {"Cấp", "Cấp thực hiện", "Cấp thủ tục"},
	ColProcedureAgency: {"Cơ quan giải quyết", "Cơ quan thực hiện"},
	ColOrgCode:         {"Đơn vị thu", "Mã đơn vị thu", "Tổ chức thu"},
	ColAgencyCode:      {"Cơ quan hưởng", "Mã cơ quan hưởng", "Cơ quan thụ hưởng"},
	ColUnitAmount:      {"Mức thu", "Đơn giá", "Số tiền"},
	ColUnit:            {"Đơn vị tính", "ĐVT"},
	ColLegalBasis:      {"Căn cứ pháp lý", "Căn cứ", "Văn bản quy định"},
	ColActive:          {"Hiệu lực", "Đang áp dụng", "Còn hiệu lực"},
	ColPayerIDRequired: {"In số định danh", "In CCCD", "Cần số định danh", "In số CCCD"},
}

// headerIndex maps every folded name and alias to its column.
var headerIndex = func() map[string]string {
	m := map[string]string{}
	for _, c := range Columns {
		m[fold(c)] = c
		for _, a := range ColumnAliases[c] {
			m[fold(a)] = c
		}
	}
	return m
}()

// ColumnOf is the column a header names ("" for none).
func ColumnOf(header string) string { return headerIndex[fold(header)] }

// fold makes a header or a value comparable: NFC, lower case, no
// diacritics (đ is d), "_" as a space, spaces collapsed. Spreadsheets
// typed on different keyboards (precomposed or combining diacritics, with
// or without accents) then agree.
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	out = strings.NewReplacer("đ", "d", "Đ", "d", "_", " ", "\u00a0", " ").Replace(strings.ToLower(out))
	return strings.Join(strings.Fields(out), " ")
}
