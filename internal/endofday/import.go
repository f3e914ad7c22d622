package endofday

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/reconcile"
	"github.com/feepos/feepos/reconcile/importers"
)

// Parsed is what a reader made of a file.
type Parsed struct {
	Kind       string // sqlite.FileSettlement or sqlite.FileBank
	Format     string // the format read (auto resolved)
	Settlement []reconcile.SettlementLine
	Statements []reconcile.Statement
}

// rows counts the facts of a file.
func (p Parsed) rows() int {
	n := len(p.Settlement)
	for _, s := range p.Statements {
		n += len(s.Entries) + len(s.Balances)
	}
	return n
}

// Reader reads a file's bytes in format ("auto": by its name and
// content) and profile; it returns every fact or a *importers.FileError
// listing every bad row.
type Reader func(name string, data []byte, format, profile string) (Parsed, error)

// File is a file to import.
type File struct {
	Name    string // as the user named it (its base name is kept)
	Data    []byte
	Format  string // auto, csv, xlsx, napas, camt053, camt054, mt940
	Profile string
}

// ImportResult says what an import did.
type ImportResult struct {
	File sqlite.ImportedFile `json:"file"`
	// Already is set when the same bytes were imported before: nothing
	// was written, File is the earlier import.
	Already bool `json:"already_imported"`
	// Dates are the business dates the file's facts fall on.
	Dates []string `json:"dates"`

	// lines are the settlement lines this import stored, as parsed: the
	// run of the same command (RunAfterImport) takes them from memory
	// instead of reading a million of them back.
	lines []reconcile.SettlementLine
}

// Message says it for a person, in Vietnamese.
func (r ImportResult) Message() string {
	f := r.File
	if r.Already {
		return fmt.Sprintf("Tệp này đã được nhập ngày %s lúc %s với tên %s (%s, %d dòng): không ghi gì thêm.",
			f.ImportedAt.In(vnZone()).Format("02/01/2006"), f.ImportedAt.In(vnZone()).Format("15:04"), f.Name, f.Format, f.Rows)
	}
	return fmt.Sprintf("Đã nhập %s (%s, %d dòng, SHA-256 %s…).", f.Name, f.Format, f.Rows, f.ID[:12])
}

// AlreadyText is the English line of an import that was a no-op.
func (r ImportResult) AlreadyText() string {
	f := r.File
	return fmt.Sprintf("already imported on %s as %s (%s, %d rows): nothing written", f.ImportedAt.UTC().Format("2006-01-02 15:04 UTC"), f.Name, f.Format, f.Rows)
}

// Import reads f and stores it whole in one transaction, or nothing: a
// bad file returns the reader's *importers.FileError (every bad row);
// the same bytes again return the earlier import with Already set.
func (c *Closer) Import(ctx context.Context, actor auth.Actor, f File) (ImportResult, error) {
	sum := sha256.Sum256(f.Data)
	id := hex.EncodeToString(sum[:])
	if prev, ok, err := c.db.ImportedFile(ctx, id); err != nil || ok {
		return ImportResult{File: prev, Already: ok}, err
	}
	name := filepath.Base(f.Name)
	format := f.Format
	if format == "" {
		format = "auto"
	}
	p, err := c.opt.Reader(name, f.Data, format, f.Profile)
	if err != nil {
		return ImportResult{}, err
	}
	if err := check(name, p, id); err != nil {
		return ImportResult{}, err
	}
	rec := sqlite.ImportedFile{ID: id, Name: name, Format: p.Format, Profile: f.Profile, Kind: p.Kind, Rows: p.rows(), Actor: actor.String()}
	var out ImportResult
	err = c.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		if prev, ok, err := tx.ImportedFile(ctx, id); err != nil || ok {
			out = ImportResult{File: prev, Already: ok}
			return err
		}
		if err := tx.InsertImportedFile(ctx, rec); err != nil {
			return err
		}
		switch p.Kind {
		case sqlite.FileSettlement:
			err = tx.InsertSettlementLines(ctx, id, p.Settlement)
		case sqlite.FileBank:
			err = tx.InsertStatements(ctx, id, p.Statements)
		default:
			err = fmt.Errorf("reader returned a file of kind %q", p.Kind)
		}
		if err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"sha256": id, "name": name, "format": p.Format, "profile": f.Profile, "rows": rec.Rows})
		if err := tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "reconcile.import", Object: "reconcile_file:" + id, Detail: detail}); err != nil {
			return err
		}
		stored, _, err := tx.ImportedFile(ctx, id)
		out = ImportResult{File: stored}
		return err
	})
	if err != nil {
		return ImportResult{}, err
	}
	if !out.Already {
		out.Dates = p.dates()
		out.lines = p.Settlement
	}
	return out, nil
}

// dates lists the business dates of the file's facts.
func (p Parsed) dates() []string {
	set := map[string]bool{}
	for _, l := range p.Settlement {
		set[l.SettlementDate] = true
	}
	for _, s := range p.Statements {
		for _, e := range s.Entries {
			set[e.BookingDate] = true
		}
	}
	out := make([]string, 0, len(set))
	for d := range set {
		out = append(out, d)
	}
	sort.Strings(out)
	return out
}

// check refuses, listing every one, the rows the store would refuse: an
// id twice in the file, a currency other than VND, a missing date. The
// source of every fact becomes the file's id.
func check(name string, p Parsed, id string) error {
	fe := &importers.FileError{File: name, Format: p.Format}
	seen := make(map[string]int, len(p.Settlement)) // sized once: a million ids must not rehash as it grows
	for i := range p.Settlement {
		l := &p.Settlement[i]
		l.Source = id
		if l.ID == "" {
			fe.Rows = append(fe.Rows, importers.RowError{Line: l.Line, Reason: "the line has no id"})
		} else if first, dup := seen[l.ID]; dup {
			fe.Rows = append(fe.Rows, importers.RowError{Line: l.Line, Reason: fmt.Sprintf("the same line as line %d (id %s)", first, l.ID)})
		} else {
			seen[l.ID] = l.Line
		}
		if l.SettlementDate == "" {
			fe.Rows = append(fe.Rows, importers.RowError{Line: l.Line, Column: "settlement_date", Reason: "missing"})
		}
		if l.Currency != "" && l.Currency != "VND" {
			fe.Rows = append(fe.Rows, importers.RowError{Line: l.Line, Column: "currency", Reason: l.Currency + " is not VND: feepos reconciles đồng only"})
		}
	}
	entries := map[string]int{}
	for si := range p.Statements {
		s := &p.Statements[si]
		for i := range s.Entries {
			e := &s.Entries[i]
			e.Source = id
			if e.Account == "" {
				e.Account = s.Account
			}
			k := e.Account + "\x00" + e.ID
			if e.ID == "" {
				fe.Rows = append(fe.Rows, importers.RowError{Line: e.Line, Reason: "the entry has no id"})
			} else if first, dup := entries[k]; dup {
				fe.Rows = append(fe.Rows, importers.RowError{Line: e.Line, Reason: fmt.Sprintf("the same entry as line %d (id %s)", first, e.ID)})
			} else {
				entries[k] = e.Line
			}
			if e.BookingDate == "" {
				fe.Rows = append(fe.Rows, importers.RowError{Line: e.Line, Reason: "the entry has no booking date"})
			}
		}
	}
	if len(fe.Rows) > 0 {
		return fe
	}
	return nil
}
