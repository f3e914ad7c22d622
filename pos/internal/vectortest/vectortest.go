// Package vectortest reads the ECR test-vector files the protocol
// packages keep under their testdata/ (copies of the shared
// ECR-VECTORS.md sections). Each line is "ID VALUE"; blank lines and
// lines starting with '#' are skipped.
package vectortest

import (
	"bufio"
	"fmt"
	"os"
	"strings"

	"github.com/feepos/feepos/pos"
)

// Hex reads a file whose values are hex as pos.ParseHex reads it
// ("A1 10 02 05 01 …"): the ZVT vectors.
func Hex(path string) (map[string][]byte, error) {
	return load(path, pos.ParseHex)
}

// Tagged reads a file whose values say their form: "hex:…" or "ascii:…"
// (the Concert vectors, whose message texts are ASCII). A value with
// neither prefix is an error.
func Tagged(path string) (map[string][]byte, error) {
	return load(path, func(val string) ([]byte, error) {
		if h, ok := strings.CutPrefix(val, "hex:"); ok {
			return pos.ParseHex(h)
		}
		if a, ok := strings.CutPrefix(val, "ascii:"); ok {
			return []byte(a), nil
		}
		return nil, fmt.Errorf("unknown value %q: want hex:… or ascii:…", val)
	})
}

func load(path string, parse func(string) ([]byte, error)) (map[string][]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	out := map[string][]byte{}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, val, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("%s line %d: %q is not \"ID VALUE\"", path, n, line)
		}
		b, err := parse(val)
		if err != nil {
			return nil, fmt.Errorf("%s line %d: vector %s: %w", path, n, id, err)
		}
		out[id] = b
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out, nil
}
