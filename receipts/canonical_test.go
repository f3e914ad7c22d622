package receipts_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/feepos/feepos/receipts"
)

// goldenReceipt is the receipt whose canonical bytes are pinned below. The
// payer's address has characters JSON encoders like to escape.
func goldenReceipt() receipts.Receipt {
	nr := cardReceipt()
	nr.Payer.Address = `12 "Hẻm" <B> & C, Quận 3`
	return receipts.Receipt{
		ID:         1,
		Ref:        receipts.Ref{Template: receipts.Template, Series: "26TAA", Number: 1},
		IssuedAt:   "2026-07-01T02:00:00Z",
		Org:        goodSeries().Organisation(),
		NewReceipt: nr.Normalize(),
		Currency:   receipts.Currency,
	}
}

// The canonical form is a contract (every stored hash depends on it): a
// change here means old receipts no longer verify. Bump "v" instead.
const goldenCanonical = `{"v":1,` +
	`"org":{"code":"UBND-Q1","name":"UBND Quận 1","tax_code":"0301234567","address":"45-47 Lê Duẩn, Phường Sài Gòn, TP. Hồ Chí Minh"},` +
	`"payer":{"name":"Nguyễn Văn An","address":"12 \"Hẻm\" <B> & C, Quận 3","id_number":"079090001234"},` +
	`"lines":[{"name":"Lệ phí đăng ký khai sinh","kind":"le_phi","fee_code":"LP-HT","amount":8000},` +
	`{"name":"Phí sao y bản chính","kind":"phi","fee_code":"P-SY","amount":42000}],` +
	`"total":50000,"currency":"VND","total_in_words":"Năm mươi nghìn đồng","method":"card","dossier":"HS-2026-000123",` +
	`"card":{"terminal_id":"T1","trace_no":"000412","approval_code":"A1B2C3","pan_masked":"411111******1111"},` +
	`"replaces":{"template":"","series":"","number":0}}`

// Computed outside Go: printf '%s' "$goldenCanonical" | sha256sum.
const goldenContentHash = "d0229c04aa4a854f66312b770ee70d7287974dd97ff2f97c22b42d0406db68a1"

// Computed outside Go: printf 'feepos-receipt-v1\n1\nEBL01\n26TAA\n1\n2026-07-01T02:00:00Z\n%s\n%s\n' CONTENT GENESIS | sha256sum.
const goldenChainHash = "6b0e14e12017d028280d57d48c193244dd87cb615407ac7f186d7de0bb5b1241"

func TestCanonicalGolden(t *testing.T) {
	require.True(t, norm.NFC.IsNormalString(goldenCanonical), "the golden literal itself must be NFC")
	r := goldenReceipt()
	assert.Equal(t, goldenCanonical, string(r.Canonical()))
	assert.Equal(t, goldenContentHash, r.ComputeContentHash())
	assert.Equal(t, goldenChainHash, receipts.ChainHash(1, receipts.Template, "26TAA", 1, "2026-07-01T02:00:00Z", goldenContentHash, receipts.GenesisHash))
}

func TestContentHashCoversContentOnly(t *testing.T) {
	base := goldenReceipt()
	notContent := map[string]func(*receipts.Receipt){
		"id":          func(r *receipts.Receipt) { r.ID = 9 },
		"number":      func(r *receipts.Receipt) { r.Number = 9 },
		"series":      func(r *receipts.Receipt) { r.Series = "27TAA" },
		"issued at":   func(r *receipts.Receipt) { r.IssuedAt = "2026-07-01T02:00:01Z" },
		"status":      func(r *receipts.Receipt) { r.Status = receipts.Replaced },
		"replaced by": func(r *receipts.Receipt) { r.ReplacedBy = &receipts.Ref{Series: "26TAA", Number: 2} },
	}
	for name, change := range notContent {
		r := goldenReceipt()
		change(&r)
		assert.Equal(t, base.ComputeContentHash(), r.ComputeContentHash(), "%s is not content", name)
	}

	content := map[string]func(*receipts.Receipt){
		"org name":       func(r *receipts.Receipt) { r.Org.Name = "UBND Quận 3" },
		"org tax code":   func(r *receipts.Receipt) { r.Org.TaxCode = "0301234568" },
		"org address":    func(r *receipts.Receipt) { r.Org.Address += "." },
		"org code":       func(r *receipts.Receipt) { r.Org.Code = "UBND-Q3" },
		"payer name":     func(r *receipts.Receipt) { r.Payer.Name = "Nguyễn Văn Ân" },
		"payer address":  func(r *receipts.Receipt) { r.Payer.Address = "" },
		"payer id":       func(r *receipts.Receipt) { r.Payer.IDNumber = "079090001235" },
		"line amount":    func(r *receipts.Receipt) { r.Lines[0].Amount++ },
		"line name":      func(r *receipts.Receipt) { r.Lines[0].Name = "Lệ phí" },
		"line kind":      func(r *receipts.Receipt) { r.Lines[0].Kind = receipts.Phi },
		"fee code":       func(r *receipts.Receipt) { r.Lines[1].FeeCode = "P-SY2" },
		"line order":     func(r *receipts.Receipt) { r.Lines[0], r.Lines[1] = r.Lines[1], r.Lines[0] },
		"total":          func(r *receipts.Receipt) { r.Total++ },
		"total in words": func(r *receipts.Receipt) { r.TotalInWords = "Năm mươi nghìn đồng chẵn" },
		"method":         func(r *receipts.Receipt) { r.Method = receipts.Transfer },
		"dossier":        func(r *receipts.Receipt) { r.DossierCode = "HS-2026-000124" },
		"terminal":       func(r *receipts.Receipt) { r.Card.TerminalID = "T2" },
		"trace":          func(r *receipts.Receipt) { r.Card.TraceNo = "000413" },
		"approval":       func(r *receipts.Receipt) { r.Card.ApprovalCode = "A1B2C4" },
		"pan":            func(r *receipts.Receipt) { r.Card.PANMasked = "411111******1112" },
		"no card":        func(r *receipts.Receipt) { r.Card = nil },
		"replaces": func(r *receipts.Receipt) {
			r.Replaces = &receipts.Ref{Template: receipts.Template, Series: "26TAA", Number: 1}
		},
		"currency":        func(r *receipts.Receipt) { r.Currency = "USD" },
		"value moved":     func(r *receipts.Receipt) { r.Payer.Address, r.Payer.IDNumber = r.Payer.IDNumber, r.Payer.Address },
		"trace/approval":  func(r *receipts.Receipt) { r.Card.TraceNo, r.Card.ApprovalCode = r.Card.ApprovalCode, r.Card.TraceNo },
		"one line merged": func(r *receipts.Receipt) { r.Lines = r.Lines[:1]; r.Lines[0].Amount = 50_000 },
	}
	seen := map[string]string{base.ComputeContentHash(): "base"}
	for name, change := range content {
		r := goldenReceipt()
		c := *r.Card
		r.Card = &c
		r.Lines = append([]receipts.Line(nil), r.Lines...)
		change(&r)
		h := r.ComputeContentHash()
		if prev, dup := seen[h]; dup {
			t.Errorf("changing %s gives the same content hash as %s", name, prev)
		}
		seen[h] = name
	}
}

func TestChainHashChangesWithEveryInput(t *testing.T) {
	type args struct {
		id                              int64
		template, series                string
		number                          int64
		issuedAt, contentHash, prevHash string
	}
	base := args{1, receipts.Template, "26TAA", 1, "2026-07-01T02:00:00Z", goldenContentHash, receipts.GenesisHash}
	hash := func(a args) string {
		return receipts.ChainHash(a.id, a.template, a.series, a.number, a.issuedAt, a.contentHash, a.prevHash)
	}
	variants := map[string]args{
		"base":           base,
		"id":             {2, base.template, base.series, 1, base.issuedAt, base.contentHash, base.prevHash},
		"template":       {1, "EBL02", base.series, 1, base.issuedAt, base.contentHash, base.prevHash},
		"series":         {1, base.template, "26TAB", 1, base.issuedAt, base.contentHash, base.prevHash},
		"number":         {1, base.template, base.series, 2, base.issuedAt, base.contentHash, base.prevHash},
		"issued at":      {1, base.template, base.series, 1, "2026-07-01T02:00:01Z", base.contentHash, base.prevHash},
		"content":        {1, base.template, base.series, 1, base.issuedAt, receipts.GenesisHash, base.prevHash},
		"prev":           {1, base.template, base.series, 1, base.issuedAt, base.contentHash, goldenContentHash},
		"boundary moved": {1, base.template, "26TAA1", 0, base.issuedAt, base.contentHash, base.prevHash},
	}
	seen := map[string]string{}
	for name, a := range variants {
		h := hash(a)
		assert.Len(t, h, 64)
		if prev, dup := seen[h]; dup {
			t.Errorf("%s and %s give the same chain hash", name, prev)
		}
		seen[h] = name
	}
}

func sealed(t *testing.T) receipts.Receipt {
	t.Helper()
	r := goldenReceipt()
	r.ID, r.Number = 3, 3
	prev := receipts.ChainHash(2, receipts.Template, "26TAA", 2, "2026-07-01T01:00:00Z", goldenContentHash, receipts.GenesisHash)
	r.Seal(prev)
	require.Equal(t, "", r.CheckSeal(prev))
	return r
}

func TestCheckSeal(t *testing.T) {
	tests := []struct {
		name    string
		change  func(r *receipts.Receipt, wantPrev *string)
		problem string
	}{
		{"line amount", func(r *receipts.Receipt, _ *string) { r.Lines[0].Amount = 9_000 }, "content changed after issue"},
		{"line amount and total", func(r *receipts.Receipt, _ *string) { r.Lines[0].Amount, r.Total = 9_000, 51_000 }, "content changed after issue"},
		{"payer", func(r *receipts.Receipt, _ *string) { r.Payer.Name = "Trần Thị Bình" }, "content changed after issue"},
		{"stored prev hash", func(r *receipts.Receipt, _ *string) { r.PrevHash = receipts.GenesisHash }, "link to the previous receipt is broken"},
		{"previous receipt's hash", func(_ *receipts.Receipt, want *string) { *want = goldenChainHash }, "link to the previous receipt is broken"},
		{"number", func(r *receipts.Receipt, _ *string) { r.Number = 4 }, "chain hash does not match"},
		{"series", func(r *receipts.Receipt, _ *string) { r.Series = "26TAB" }, "chain hash does not match"},
		{"issued at", func(r *receipts.Receipt, _ *string) { r.IssuedAt = "2026-07-01T02:00:01Z" }, "chain hash does not match"},
		{"id", func(r *receipts.Receipt, _ *string) { r.ID = 4 }, "chain hash does not match"},
		{"content and content hash rewritten together", func(r *receipts.Receipt, _ *string) {
			r.Payer.Name = "Trần Thị Bình"
			r.ContentHash = r.ComputeContentHash()
		}, "chain hash does not match"},
		{"everything recomputed over a broken rule", func(r *receipts.Receipt, want *string) {
			r.Total = 1
			r.Seal(*want)
		}, "breaks a receipt rule: total 1 is not the sum"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := sealed(t)
			want := r.PrevHash
			r.Lines = append([]receipts.Line(nil), r.Lines...)
			tc.change(&r, &want)
			assert.Contains(t, r.CheckSeal(want), tc.problem)
		})
	}
}

// Format 2 (issue 13, items 7, 9 and 10): the content has the payer's
// id_printed and tax_code and names the delegate ("v":2, the delegate last), and the chain hash has no row id, so it is
// recomputed from the XML alone (tools/checkchain).
const goldenCanonicalV2 = `{"v":2,` +
	`"org":{"code":"UBND-Q1","name":"UBND Quận 1","tax_code":"0301234567","address":"45-47 Lê Duẩn, Phường Sài Gòn, TP. Hồ Chí Minh"},` +
	`"payer":{"name":"Nguyễn Văn An","address":"12 \"Hẻm\" <B> & C, Quận 3","id_number":"079090001234","id_printed":false,"tax_code":""},` +
	`"lines":[{"name":"Lệ phí đăng ký khai sinh","kind":"le_phi","fee_code":"LP-HT","amount":8000},` +
	`{"name":"Phí sao y bản chính","kind":"phi","fee_code":"P-SY","amount":42000}],` +
	`"total":50000,"currency":"VND","total_in_words":"Năm mươi nghìn đồng","method":"card","dossier":"HS-2026-000123",` +
	`"card":{"terminal_id":"T1","trace_no":"000412","approval_code":"A1B2C3","pan_masked":"411111******1111"},` +
	`"replaces":{"template":"","series":"","number":0},` +
	`"delegate":{"name":"Trung tâm Phục vụ hành chính công Quận 1","tax_code":"0301234567-001"}}`

// Computed outside Go: printf '%s' "$goldenCanonicalV2" | sha256sum.
const goldenContentHashV2 = "7d640a93a38179079a790edb95d835bd2421e008baef51de7025e0206b3dd9a8"

// Computed outside Go: printf 'feepos-receipt-v2\nEBL01\n26TAA\n1\n2026-07-01T02:00:00Z\n%s\n%s\n' CONTENT GENESIS | sha256sum.
const goldenChainHashV2 = "b6200d19f06c440669d53c16674d9acb701e6e29ce744079875fcacd702713f8"

func TestCanonicalGoldenV2(t *testing.T) {
	r := goldenReceipt()
	r.FormatVersion = 2
	r.LookupCode = "7K3M9QX2TB"
	r.Delegate = &receipts.Delegate{Name: "Trung tâm Phục vụ hành chính công Quận 1", TaxCode: "0301234567-001"}
	assert.Equal(t, goldenCanonicalV2, string(r.Canonical()))
	r.Seal(receipts.GenesisHash)
	assert.Equal(t, goldenContentHashV2, r.ContentHash)
	assert.Equal(t, goldenChainHashV2, r.Hash)
	assert.Empty(t, r.CheckSeal(receipts.GenesisHash))

	// The row id is not an input any more; the lookup code is not either
	// (the signed XML carries it).
	moved := r
	moved.ID, moved.LookupCode = 99, "0000000000"
	moved.Seal(receipts.GenesisHash)
	assert.Equal(t, r.Hash, moved.Hash)
	// Format 1 still covers the id, and still verifies as before.
	v1 := goldenReceipt()
	v1.Seal(receipts.GenesisHash)
	assert.Equal(t, goldenChainHash, v1.Hash)
	v1.ID = 2
	assert.Contains(t, v1.CheckSeal(receipts.GenesisHash), "chain hash does not match")
}

func TestLookupCode(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		c, err := receipts.NewLookupCode()
		require.NoError(t, err)
		require.NoError(t, receipts.CheckLookupCode(c))
		require.False(t, seen[c])
		seen[c] = true
	}
	r := receipts.Receipt{LookupCode: "7K3M9QX2TB"}
	assert.True(t, receipts.LookupCodeMatches(r, "7k3m-9qx2-tb"))
	assert.True(t, receipts.LookupCodeMatches(receipts.Receipt{LookupCode: "1000000000"}, "iOoOoooooo"))
	assert.False(t, receipts.LookupCodeMatches(r, "7K3M9QX2TC"))
	assert.False(t, receipts.LookupCodeMatches(r, ""))
	assert.False(t, receipts.LookupCodeMatches(receipts.Receipt{}, ""))
	assert.Error(t, receipts.CheckLookupCode("7K3M9QX2TU"), "U is not in the alphabet")
}
