package importers

import (
	"bytes"
	"errors"
	"testing"
)

// Fuzz targets: a reader never panics, refuses with a *FileError only,
// and what it accepts satisfies the invariants the engine relies on.
// Seeds: the fixtures here plus testdata/fuzz/Fuzz{Camt,MT940}.

func FuzzCamt(f *testing.F) {
	for _, name := range []string{"camt053.v2.minimal.xml", "camt054.v2.xml", "camt053-vnd-v08.xml", "camt054-vnd-v04.xml"} {
		f.Add(fixture(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		stmts, err := ReadCamt("f.xml", bytes.NewReader(data), "", BankOptions{})
		checkBankRead(t, stmts, err)
	})
}

func FuzzMT940(f *testing.F) {
	for _, name := range []string{"mt940-abnamro.sta", "mt940-vnd.sta"} {
		f.Add(fixture(f, name))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		stmts, err := ReadMT940("f.sta", bytes.NewReader(data), BankOptions{})
		checkBankRead(t, stmts, err)
	})
}

func checkBankRead(t *testing.T, stmts []BankStatement, err error) {
	if err != nil {
		var fe *FileError
		if !errors.As(err, &fe) || len(fe.Rows) == 0 {
			t.Fatalf("want a *FileError with rows, got %T %v", err, err)
		}
		if stmts != nil {
			t.Fatal("statements returned with an error")
		}
		return
	}
	if len(stmts) == 0 {
		t.Fatal("no statement and no error")
	}
	ids := map[string]bool{}
	for _, st := range stmts {
		if st.Account == "" || len(st.Source) != 64 || st.Format == "" {
			t.Fatalf("statement without account, source or format: %+v", st)
		}
		for _, e := range st.Entries {
			if e.ID == "" || ids[st.Account+"\x00"+e.ID] {
				t.Fatalf("entry id %q empty or repeated", e.ID)
			}
			ids[st.Account+"\x00"+e.ID] = true
			if !isoDate(e.BookingDate) || (e.ValueDate != "" && !isoDate(e.ValueDate)) {
				t.Fatalf("bad dates %q %q", e.BookingDate, e.ValueDate)
			}
			if !validCurrency(e.Amount.Currency) {
				t.Fatalf("bad currency %q", e.Amount.Currency)
			}
			switch e.Mark {
			case "C", "RD":
				if e.Amount.Minor < 0 {
					t.Fatalf("credit %s with a negative amount %v", e.Mark, e.Amount)
				}
			case "D", "RC":
				if e.Amount.Minor > 0 {
					t.Fatalf("debit %s with a positive amount %v", e.Mark, e.Amount)
				}
			default:
				t.Fatalf("mark %q", e.Mark)
			}
			if e.Reversal != (e.Mark[0] == 'R') {
				t.Fatalf("reversal %v with mark %s", e.Reversal, e.Mark)
			}
		}
		for _, b := range st.Balances {
			if !isoDate(b.Date) || !validCurrency(b.Amount.Currency) {
				t.Fatalf("bad balance %+v", b)
			}
		}
		// the checked reading means: opening + entries = closing
		var rows rowCollector
		checkBalances(&st, &rows, []string{"OPBD", "PRCD", "ITBD", "60F", "60M"}, []string{"CLBD", "ITBD", "62F", "62M"}, func(string) string { return "" })
		if len(rows.rows) > 0 {
			t.Fatalf("accepted a statement that does not add up: %v", rows.rows)
		}
		f, err := ToFacts(st, "VND")
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("ToFacts: %T %v", err, err)
			}
			continue
		}
		if len(f.Entries) != len(st.Entries) {
			t.Fatal("ToFacts lost entries")
		}
		for i, e := range f.Entries {
			if e.Amount != st.Entries[i].Amount.Minor || e.Currency != "VND" {
				t.Fatalf("ToFacts changed an amount: %d vs %v", e.Amount, st.Entries[i].Amount)
			}
		}
	}
}
