package server

import (
	"flag"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/feepos/feepos/internal/server/apispec"
)

// The description's coverage by the tests: every answer checkAPI checked
// is counted by operation and status, and when the whole package ran
// (no -run, no -short) TestMain fails if a described success status was
// never answered, so an operation cannot be described without a test
// that gets its success answer through the checker.

var coverage = struct {
	sync.Mutex
	seen map[apispec.Op]map[int]bool
}{seen: map[apispec.Op]map[int]bool{}}

func answered(op apispec.Op, status int) {
	coverage.Lock()
	defer coverage.Unlock()
	if coverage.seen[op] == nil {
		coverage.seen[op] = map[int]bool{}
	}
	coverage.seen[op][status] = true
}

// notAnsweredOnPurpose are success statuses no test can get today, and
// why.
var notAnsweredOnPurpose = map[string]string{
	"POST /api/v1/payments/{id}/refund 200": "every refund is refused with 422 until docs/RECEIPTS.md settles the receipt of a full refund",
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && !testing.Short() {
		if missing := unanswered(); len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "openapi.json: no test got these described success answers through checkAPI:\n  %s\n", strings.Join(missing, "\n  "))
			code = 1
		}
	}
	os.Exit(code)
}

// unanswered lists the described 2xx answers (operation and status) no
// checked test answer had.
func unanswered() []string {
	spec, err := apispec.Load()
	if err != nil {
		return []string{err.Error()}
	}
	coverage.Lock()
	defer coverage.Unlock()
	var out []string
	for _, op := range spec.Operations() {
		for _, st := range spec.Statuses(op) {
			n, err := strconv.Atoi(st)
			if err != nil || n < 200 || n > 299 {
				continue
			}
			name := op.String() + " " + st
			if coverage.seen[op][n] || notAnsweredOnPurpose[name] != "" {
				continue
			}
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}
