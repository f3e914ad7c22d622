package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/catalogue"
	"github.com/feepos/feepos/internal/sqlite"
)

const feesCSV = "\ufeffMã phí,Tên phí,Loại,Đơn vị thu,Mức thu,Đơn vị tính,Mã thủ tục,Tên thủ tục,Căn cứ pháp lý\n" +
	"LP-HKD,Lệ phí đăng ký hộ kinh doanh,lệ phí,UBND-DEMO,100.000,hồ sơ,HKD,Đăng ký hộ kinh doanh,Thông tư 85/2019/TT-BTC\n" +
	"P-TD,Phí thẩm định hồ sơ,phí,UBND-DEMO,,hồ sơ,,,Thông tư 106/2021/TT-BTC\n"

func writeTemp(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	return path
}

func TestFeesImportListExport(t *testing.T) {
	db := newDatabase(t)
	file := writeTemp(t, "phi.csv", feesCSV)

	// A dry run writes nothing.
	r := feepos(t, "", "--db", db, "fees", "import", file, "--dry-run")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Chưa ghi gì (--dry-run)")
	assert.Contains(t, r.stdout, "Thêm mới (2): LP-HKD, P-TD")
	r = feepos(t, "", "--db", db, "fees", "list", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, "[]\n", r.stdout)

	r = feepos(t, "", "--db", db, "fees", "import", file, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var ch struct {
		DryRun bool `json:"dry_run"`
		catalogue.Changes
	}
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &ch))
	assert.Equal(t, []string{"LP-HKD", "P-TD"}, ch.Added)
	assert.Equal(t, []string{"HKD"}, ch.ProceduresAdded)

	r = feepos(t, "", "--db", db, "fees", "list", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var fees []map[string]any
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &fees))
	require.Len(t, fees, 2)
	assert.Equal(t, map[string]any{"fee_code": "LP-HKD", "name": "Lệ phí đăng ký hộ kinh doanh", "kind": "le_phi", "org_code": "UBND-DEMO",
		"agency_code": "UBND-DEMO", "unit_amount": 100000.0, "unit": "hồ sơ", "legal_basis": "Thông tư 85/2019/TT-BTC", "procedure_code": "HKD"}, fees[0])
	assert.Nil(t, fees[1]["unit_amount"])
	assert.Contains(t, fees[1], "unit_amount")

	r = feepos(t, "", "--db", db, "fees", "list")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "100.000 đ")
	assert.Contains(t, r.stdout, "theo hồ sơ")

	// The audit line names the OS user.
	sdb, err := sqlite.OpenReadOnly(context.Background(), db)
	require.NoError(t, err)
	log, err := sdb.AuditLog(context.Background(), sqlite.AuditFilter{Action: "catalogue.import"})
	require.NoError(t, err)
	sdb.Close()
	require.Len(t, log, 1)
	assert.Equal(t, osActor(), log[0].Actor)
	assert.Equal(t, auth.KindCLI, log[0].Actor.Kind)

	// Export to CSV and XLSX, and to stdout; each reads back the same.
	dir := t.TempDir()
	for _, name := range []string{"out.csv", "out.xlsx"} {
		out := filepath.Join(dir, name)
		r = feepos(t, "", "--db", db, "fees", "export", out)
		require.Equal(t, 0, r.code, r.stderr)
		assert.Contains(t, r.stdout, "Đã xuất 2 khoản phí, lệ phí và 1 thủ tục")
		r = feepos(t, "", "--db", db, "fees", "import", out, "--dry-run", "--deactivate-missing", "--json")
		require.Equal(t, 0, r.code, r.stderr)
		require.NoError(t, json.Unmarshal([]byte(r.stdout), &ch))
		assert.True(t, ch.DryRun)
		assert.Equal(t, []string{"LP-HKD", "P-TD"}, ch.Unchanged, name)
		assert.Empty(t, ch.Added)
		assert.Empty(t, ch.Updated)
	}
	r = feepos(t, "", "--db", db, "fees", "export", "-")
	require.Equal(t, 0, r.code, r.stderr)
	assert.True(t, strings.HasPrefix(r.stdout, strings.Join(catalogue.Columns, ",")+"\n"))

	// A file of one fee keeps the other, unless --deactivate-missing.
	r = feepos(t, strings.Split(r.stdout, "\n")[0]+"\n"+strings.Split(r.stdout, "\n")[1]+"\n", "--db", db, "fees", "import", "-")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Không đổi: 1")
	r = feepos(t, "", "--db", db, "fees", "list", "--json")
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &fees))
	assert.Len(t, fees, 2)

	one := writeTemp(t, "one.csv", "fee_code,name,kind,org_code\nP-TD,Phí thẩm định hồ sơ (mới),phi,UBND-DEMO\n")
	r = feepos(t, "", "--db", db, "fees", "import", one, "--deactivate-missing")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "Cập nhật (1): P-TD")
	assert.Contains(t, r.stdout, "Ngừng thu (1): LP-HKD")
	r = feepos(t, "", "--db", db, "fees", "list", "--json")
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &fees))
	require.Len(t, fees, 1)
	r = feepos(t, "", "--db", db, "fees", "list", "--all")
	assert.Contains(t, r.stdout, "(ngừng thu)")
}

func TestFeesImportRefusesAWrongFile(t *testing.T) {
	db := newDatabase(t)
	bad := writeTemp(t, "sai.csv", "fee_code,name,kind,org_code,unit_amount,unit\n"+
		"A,Phí A,phi,ORG,1000,bản\n"+
		"B,Phí B,phí?,ORG,0,bản\n")
	r := feepos(t, "", "--db", db, "fees", "import", bad)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "sai.csv: 2 problems wrong, nothing was imported")
	assert.Contains(t, r.stderr, "line 3 (fee B), column kind:")
	assert.Contains(t, r.stderr, "line 3 (fee B), column unit_amount:")
	r = feepos(t, "", "--db", db, "fees", "list", "--json")
	assert.Equal(t, "[]\n", r.stdout, "nothing imported, not even line 2")

	r = feepos(t, "", "--db", db, "fees", "import", bad, "--json")
	assert.Equal(t, 1, r.code)
	var e struct {
		Error struct{ Code, Message string }
	}
	require.NoError(t, json.Unmarshal([]byte(r.stderr), &e))
	assert.Equal(t, "invalid", e.Error.Code)
}

func TestFeesUsage(t *testing.T) {
	db := newDatabase(t)
	for _, args := range [][]string{
		{"fees"},
		{"fees", "import"},
		{"fees", "import", "x.txt"},
		{"fees", "import", "x.csv", "--format", "ods"},
		{"fees", "export", "x.pdf"},
		{"fees", "list", "extra"},
	} {
		r := feepos(t, "", append([]string{"--db", db}, args...)...)
		assert.Equal(t, 2, r.code, "%v: %s", args, r.stderr)
	}
	r := feepos(t, "", "--db", db, "fees", "import", filepath.Join(t.TempDir(), "none.csv"))
	assert.Equal(t, 1, r.code)
}

// An XLSX export read back by the importer (and a file written to stdout
// with --format xlsx) holds the same catalogue.
func TestFeesExportXLSXToStdout(t *testing.T) {
	db := newDatabase(t)
	require.Equal(t, 0, feepos(t, feesCSV, "--db", db, "fees", "import", "-").code)
	r := feepos(t, "", "--db", db, "fees", "export", "-", "--format", "xlsx")
	require.Equal(t, 0, r.code, r.stderr)
	c, err := catalogue.ReadXLSX(bytes.NewReader([]byte(r.stdout)), "stdout")
	require.NoError(t, err)
	assert.Len(t, c.Fees, 2)
}
