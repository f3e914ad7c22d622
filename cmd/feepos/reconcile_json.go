package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"

	"github.com/feepos/feepos/reconcile"
)

// printReport writes rep as printJSON would (the same bytes: two-space
// indentation, HTML left unescaped) but one field, and one match or
// exception, at a time: a million-line day's report is never held whole
// as one encoded buffer (it was ~500 MiB of the run's peak and seconds of
// indenting).
func (a *app) printReport(rep reconcile.Report) error {
	w := bufio.NewWriterSize(a.stdout, 256<<10)
	if err := writeReport(w, rep); err != nil {
		return err
	}
	return w.Flush()
}

// writeReport writes the report's fields in the contract's order: date,
// sources, summary, matches, exceptions.
func writeReport(w io.Writer, rep reconcile.Report) error {
	s := &reportStream{w: w}
	s.enc = json.NewEncoder(&s.buf)
	s.enc.SetEscapeHTML(false)
	s.str("{\n")
	s.field("date", rep.Date, "  ", false)
	s.field("sources", rep.Sources, "  ", false)
	s.field("summary", rep.Summary, "  ", false)
	if rep.Matches == nil {
		s.field("matches", rep.Matches, "  ", false)
	} else {
		s.str(`  "matches": `)
		s.list(len(rep.Matches), func(i int) any { return &rep.Matches[i] })
		s.str(",\n")
	}
	if rep.Exceptions == nil {
		s.field("exceptions", rep.Exceptions, "  ", true)
	} else {
		s.str(`  "exceptions": `)
		s.list(len(rep.Exceptions), func(i int) any { return &rep.Exceptions[i] })
		s.str("\n")
	}
	s.str("}\n")
	return s.err
}

// reportStream writes encoded values to w, keeping the first error.
type reportStream struct {
	w   io.Writer
	buf bytes.Buffer
	enc *json.Encoder
	err error
}

func (s *reportStream) str(t string) {
	if s.err == nil {
		_, s.err = io.WriteString(s.w, t)
	}
}

// value writes v indented as at the depth prefix is the indentation of,
// without the encoder's trailing newline.
func (s *reportStream) value(v any, prefix string) {
	if s.err != nil {
		return
	}
	s.buf.Reset()
	s.enc.SetIndent(prefix, "  ")
	if s.err = s.enc.Encode(v); s.err != nil {
		return
	}
	_, s.err = s.w.Write(bytes.TrimSuffix(s.buf.Bytes(), []byte("\n")))
}

// field writes `"name": value` at the report's top level.
func (s *reportStream) field(name string, v any, prefix string, last bool) {
	s.str(prefix + `"` + name + `": `)
	s.value(v, prefix)
	if last {
		s.str("\n")
	} else {
		s.str(",\n")
	}
}

// list writes a non-nil top-level array of n elements, element i being
// at(i), as the indented encoder writes it ("[]" when empty).
func (s *reportStream) list(n int, at func(i int) any) {
	if n == 0 {
		s.str("[]")
		return
	}
	s.str("[\n")
	for i := 0; i < n && s.err == nil; i++ {
		s.str("    ")
		s.value(at(i), "    ")
		if i < n-1 {
			s.str(",\n")
		} else {
			s.str("\n")
		}
	}
	s.str("  ]")
}
