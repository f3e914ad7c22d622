package endofday

import (
	"bytes"
	"strings"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/reconcile"
	"github.com/feepos/feepos/reconcile/importers"
)

// Formats are the --format values.
var Formats = []string{"auto", "csv", "xlsx", "napas", "camt053", "camt054", "mt940"}

// ReadFile is the default Reader: it resolves "auto" by the file's name
// and first bytes (importers.Detect) and calls the importer of the
// format with the named settlement profile (default: generic).
func ReadFile(name string, data []byte, format, profile string) (Parsed, error) {
	format = strings.ToLower(format)
	if format == "" || format == "auto" {
		head := data
		if len(head) > 8192 {
			head = head[:8192]
		}
		format = importers.Detect(name, head)
		if format == "" {
			return Parsed{}, invalidf("%s: cannot tell its format: give --format (one of %s)", name, strings.Join(Formats[1:], ", "))
		}
	}
	prof := importers.Generic()
	if profile != "" {
		p, err := importers.LookupProfile(profile)
		if err != nil {
			return Parsed{}, invalidf("%v", err)
		}
		prof = p
	}
	out := Parsed{Kind: sqlite.FileSettlement, Format: format}
	var err error
	switch format {
	case "csv":
		// Sized once by the file's line count: a million lines appended
		// to a growing slice would be copied over and over.
		lines := make([]reconcile.SettlementLine, 0, bytes.Count(data, []byte{'\n'})+1)
		err = importers.ReadCSVFunc(bytes.NewReader(data), name, prof, func(l reconcile.SettlementLine) error {
			lines = append(lines, l)
			return nil
		})
		if err == nil {
			out.Settlement = lines
		}
	case "xlsx":
		out.Settlement, err = importers.ReadXLSX(bytes.NewReader(data), name, prof)
	case "napas":
		out.Settlement, err = importers.ReadNAPAS(bytes.NewReader(data), name)
	case "camt053", "camt054", "mt940":
		out.Kind = sqlite.FileBank
		out.Statements, err = importers.ReadBankFacts(name, bytes.NewReader(data), format, importers.BankOptions{})
	default:
		return Parsed{}, invalidf("%s: format %q is not known: use one of %s", name, format, strings.Join(Formats, ", "))
	}
	return out, err
}
