package importers

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/feepos/feepos/reconcile"
)

// ReadCSV reads a settlement CSV by a profile (nil: generic): every line,
// or a *FileError listing every bad row. name is the file's name for the
// error. The lines' Source is left for the caller (the file's SHA-256).
func ReadCSV(r io.Reader, name string, p *Profile) ([]reconcile.SettlementLine, error) {
	var lines []reconcile.SettlementLine
	err := ReadCSVFunc(r, name, p, func(l reconcile.SettlementLine) error {
		lines = append(lines, l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return lines, nil
}

// ReadCSVFunc is ReadCSV without holding the lines: it calls fn for each
// good line as it reads, record by record, in bounded memory (a map of
// 16-byte line-id hashes for the duplicate check aside). Once a bad row
// is found fn is not called again, the rest of the file is still read
// for its other bad rows, and the *FileError comes at the end: the
// caller writes inside one transaction and rolls back on any error. An
// error fn returns stops the reading and is returned as it is.
func ReadCSVFunc(r io.Reader, name string, p *Profile, fn func(reconcile.SettlementLine) error) error {
	if p == nil {
		p = Generic()
	}
	c := newCollector(name, "csv/"+p.Name)
	text, err := decode(r, p)
	if err != nil {
		c.add(0, "", err.Error())
		return c.err()
	}
	cr := csv.NewReader(text)
	cr.Comma = p.comma()
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	hf := headerFinder{p: p}
	var m *mapper
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) && !errors.Is(pe.Err, io.ErrUnexpectedEOF) && isSyntax(pe.Err) {
				c.add(pe.Line, "", fmt.Sprintf("not valid CSV: %v (column %d)", pe.Err, pe.Column))
				if m == nil {
					return c.err() // no header yet: nothing more to say
				}
				continue
			}
			c.add(0, "", fmt.Sprintf("cannot read the file: %v", err))
			return c.err()
		}
		line, _ := cr.FieldPos(0)
		if m == nil {
			if bad := headerText(rec); bad != "" {
				c.add(line, "", bad)
				return c.err()
			}
			if m = hf.try(line, rec, c); m == nil && hf.rows >= headerScan {
				hf.fail(c)
				return c.err()
			}
			continue
		}
		if m.end(rec) {
			break
		}
		l, ok := m.row(line, rec, nil)
		if ok && !c.bad() {
			if err := fn(l); err != nil {
				return err
			}
		}
	}
	if m == nil {
		hf.fail(c)
	}
	return c.err()
}

func isSyntax(err error) bool {
	return errors.Is(err, csv.ErrQuote) || errors.Is(err, csv.ErrBareQuote) || errors.Is(err, csv.ErrFieldCount) || errors.Is(err, csv.ErrTrailingComma)
}

// headerText refuses a header row that is not UTF-8 after decoding: the
// file's real encoding differs from the profile's.
func headerText(rec []string) string {
	for _, h := range rec {
		if bad := validText(h); bad != "" {
			return "the header row is " + bad
		}
	}
	return ""
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// decode turns the file into UTF-8 text by the profile's encoding.
func decode(r io.Reader, p *Profile) (io.Reader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(3)
	utf16BOM := bytes.HasPrefix(head, bomUTF16LE) || bytes.HasPrefix(head, bomUTF16BE)
	switch strings.ToLower(p.Encoding) {
	case "utf-16", "utf16":
		if !utf16BOM {
			return nil, fmt.Errorf("profile %s expects UTF-16 with a byte order mark and the file has none: save it as \"Unicode text\" or use a UTF-8 profile", p.Name)
		}
		return transform.NewReader(br, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()), nil
	case "windows-1258", "cp1258":
		if utf16BOM || bytes.HasPrefix(head, bomUTF8) {
			return nil, fmt.Errorf("profile %s expects Windows-1258 and the file is Unicode (it starts with a byte order mark): use a UTF-8 or UTF-16 profile", p.Name)
		}
		return transform.NewReader(br, charmap.Windows1258.NewDecoder()), nil
	}
	if utf16BOM {
		return nil, fmt.Errorf("the file is UTF-16 and profile %s expects UTF-8: save it as CSV UTF-8, or use a profile with encoding = \"utf-16\"", p.Name)
	}
	if bytes.HasPrefix(head, bomUTF8) {
		_, _ = br.Discard(3)
	}
	return br, nil
}
