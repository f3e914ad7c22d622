package receipts_test

import (
	"encoding/json"
	"testing"

	"github.com/feepos/feepos/receipts"
)

// FuzzNewReceipt: whatever a caller sends as a receipt, Normalize and
// Validate never panic, and what Validate accepts can be issued all the
// way: its canonical form and chain hash, its XML, the HTML, the PDF and
// the thermal printer's raster are written without error (nor panic). A receipt accepted but impossible to
// write as XML would be numbered and then never signed. CI runs the seeds;
// explore with
//
//	go test -run '^$' -fuzz FuzzNewReceipt -fuzztime 60s ./receipts/
func FuzzNewReceipt(f *testing.F) {
	seed, err := json.Marshal(cardReceipt())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"org_code":"UBND-Q1","payer":{"name":"A\u0000"},"lines":[{"name":"x","kind":"le_phi","amount":1}],"total":1,"total_in_words":"Một đồng","method":"cash","dossier_code":"H"}`))
	f.Add([]byte(`{"org_code":"X","payer":{"name":"Nguyễn\uFFFE"},"lines":[],"total":0,"method":"card"}`))
	base := renderedReceipt()
	f.Fuzz(func(t *testing.T, data []byte) {
		var nr receipts.NewReceipt
		if err := json.Unmarshal(data, &nr); err != nil {
			return
		}
		nr = nr.Normalize()
		if nr.Validate() != nil {
			return
		}
		r := base
		r.NewReceipt = nr
		r.Seal(receipts.GenesisHash)
		if _, err := receipts.ReceiptXML(r); err != nil {
			t.Fatalf("a valid receipt cannot be written as XML: %v\n%s", err, data)
		}
		var out discard
		if err := receipts.RenderHTML(&out, r, receipts.HTMLOptions{VerifyBase: testVerifyBase}); err != nil {
			t.Fatalf("a valid receipt cannot be rendered as HTML: %v\n%s", err, data)
		}
		if err := receipts.RenderPDF(&out, r, receipts.PDFOptions{VerifyBase: testVerifyBase}); err != nil {
			t.Fatalf("a valid receipt cannot be rendered as PDF: %v\n%s", err, data)
		}
		if err := receipts.RenderESCPOS(&out, r, receipts.ESCPOSOptions{VerifyBase: testVerifyBase}); err != nil {
			t.Fatalf("a valid receipt cannot be rendered for the printer: %v\n%s", err, data)
		}
	})
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
