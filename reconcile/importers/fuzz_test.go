package importers

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/feepos/feepos/reconcile"
)

// checkRead is what every settlement reader promises, whatever the
// input: no panic; an error is a *FileError with at least one row; the
// lines of an accepted file keep the invariants the engine relies on.
func checkRead(t *testing.T, lines []reconcile.SettlementLine, err error) {
	if err != nil {
		var fe *FileError
		if !errors.As(err, &fe) || len(fe.Rows) == 0 {
			t.Fatalf("error %v (%T) is not a *FileError with rows", err, err)
		}
		if lines != nil {
			t.Fatalf("lines with an error")
		}
		return
	}
	ids := map[string]bool{}
	prev := 0
	for _, l := range lines {
		switch {
		case l.ID == "" || ids[l.ID]:
			t.Fatalf("line %d: id %q empty or repeated", l.Line, l.ID)
		case l.Line <= prev:
			t.Fatalf("line %d after %d", l.Line, prev)
		case l.Amount <= 0 || l.Fee < 0 || l.Fee > l.Amount || l.Net < 0:
			t.Fatalf("line %d: amount %d fee %d net %d", l.Line, l.Amount, l.Fee, l.Net)
		case l.Type == reconcile.Sale && l.Net != l.Amount-l.Fee:
			t.Fatalf("line %d: sale net %d ≠ %d − %d", l.Line, l.Net, l.Amount, l.Fee)
		case l.Type != reconcile.Sale && l.Type != reconcile.Void && l.Type != reconcile.Refund:
			t.Fatalf("line %d: type %q", l.Line, l.Type)
		case l.Currency != "VND":
			t.Fatalf("line %d: currency %q", l.Line, l.Currency)
		case fullPAN(l.PANMasked):
			t.Fatalf("line %d: a full PAN", l.Line)
		}
		if _, err := time.Parse(time.DateOnly, l.SettlementDate); err != nil {
			t.Fatalf("line %d: settlement date %q", l.Line, l.SettlementDate)
		}
		ids[l.ID] = true
		prev = l.Line
	}
}

func seed(f *testing.F, names ...string) {
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join("testdata/settlement", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

func FuzzReadCSV(f *testing.F) {
	seed(f, "generic.csv", "generic-bad.csv", "generic-bom-reordered.csv", "vn-bank-pos.csv", "vn-bank-pos-1258.csv", "adyen-style.csv")
	profiles := []*Profile{Generic(), builtin["vn-bank-pos"], builtin["adyen-settlement-detail"]}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range profiles {
			lines, err := ReadCSV(bytes.NewReader(data), "fuzz.csv", p)
			checkRead(t, lines, err)
		}
	})
}

func FuzzReadNAPAS(f *testing.F) {
	seed(f, "napas.txt")
	f.Add([]byte(napasRec("HR[DATE]20260101") + "\n" + napasRec("TR[NOT]0[TOT]0") + "\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, err := ReadNAPAS(bytes.NewReader(data), "fuzz.txt")
		checkRead(t, lines, err)
	})
}
