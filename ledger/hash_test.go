package ledger_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"

	"github.com/feepos/feepos/ledger"
)

// goldenEntry is the entry whose canonical bytes are pinned below. Its
// description has characters that JSON encoders like to escape (<, >, &,
// quotes) and Vietnamese letters that must stay UTF-8.
func goldenEntry() ledger.NewEntry {
	e := fee(50_000)
	e.Description = `Thu lệ phí <HS> & "khẩn"`
	e.IdempotencyKey = "pay-1" // not content: must not appear in the canonical form
	return e.Normalize()
}

// The canonical form is a contract (every stored hash depends on it): a
// change here means old entries no longer verify. Bump "v" instead.
const goldenCanonical = `{"v":1,"date":"2026-03-05","description":"Thu lệ phí <HS> & \"khẩn\"","reverses":0,"lines":[` +
	`{"account":"113","side":"D","amount":50000,"currency":"VND","agency":"","fee_code":"","terminal":"T1","counter":"3","cashier":"thu.nguyen","dossier":""},` +
	`{"account":"3373","side":"C","amount":50000,"currency":"VND","agency":"UBND-Q1","fee_code":"LP-HT","terminal":"","counter":"","cashier":"","dossier":"HS-2026-001"}]}`

// Computed outside Go: printf '%s' "$goldenCanonical" | sha256sum.
const goldenContentHash = "b46f6fbdc4c68e198385ee27e70b7968c33b697084b05ec900be5f606bc407e4"

// Computed outside Go: printf 'feepos-ledger-v1\n1\n2026-03-05T02:00:00Z\npay-1\n%s\n%s\n' CONTENT GENESIS | sha256sum.
const goldenChainHash = "34ff3bb9b79eb1347e70b555c50306c00a858aa3565e620a412a81689bd032df"

func TestCanonicalGolden(t *testing.T) {
	require.True(t, norm.NFC.IsNormalString(goldenCanonical), "the golden literal itself must be NFC")
	e := goldenEntry()
	assert.Equal(t, goldenCanonical, string(e.Canonical()))
	assert.Equal(t, goldenContentHash, e.ContentHash())
	assert.Equal(t, goldenChainHash, ledger.ChainHash(1, "2026-03-05T02:00:00Z", "pay-1", goldenContentHash, ledger.GenesisHash))
}

func TestContentHashIgnoresKeyButCoversContent(t *testing.T) {
	base := goldenEntry()
	other := base
	other.IdempotencyKey = "another-key"
	assert.Equal(t, base.ContentHash(), other.ContentHash(), "the key is not content")

	changes := map[string]func(*ledger.NewEntry){
		"date":        func(e *ledger.NewEntry) { e.Date = "2026-03-06" },
		"description": func(e *ledger.NewEntry) { e.Description += "." },
		"reverses":    func(e *ledger.NewEntry) { e.Reverses = 1 },
		"amount":      func(e *ledger.NewEntry) { e.Lines[0].Amount++ },
		"account":     func(e *ledger.NewEntry) { e.Lines[0].Account = "111" },
		"side":        func(e *ledger.NewEntry) { e.Lines[0].Side = ledger.Credit },
		"currency":    func(e *ledger.NewEntry) { e.Lines[1].Currency = "USD" },
		"agency":      func(e *ledger.NewEntry) { e.Lines[1].Agency = "UBND-Q3" },
		"fee code":    func(e *ledger.NewEntry) { e.Lines[1].FeeCode = "LP-HT2" },
		"terminal":    func(e *ledger.NewEntry) { e.Lines[0].Terminal = "T2" },
		"counter":     func(e *ledger.NewEntry) { e.Lines[0].Counter = "4" },
		"cashier":     func(e *ledger.NewEntry) { e.Lines[0].Cashier = "lan.tran" },
		"dossier":     func(e *ledger.NewEntry) { e.Lines[1].Dossier = "HS-2026-002" },
		"line order":  func(e *ledger.NewEntry) { e.Lines[0], e.Lines[1] = e.Lines[1], e.Lines[0] },
		// A value moved from one dimension to the next must not collide.
		"dimension shifted": func(e *ledger.NewEntry) { e.Lines[0].Terminal, e.Lines[0].Counter = "", "T1" },
	}
	seen := map[string]string{base.ContentHash(): "base"}
	for name, change := range changes {
		e := goldenEntry()
		change(&e)
		h := e.ContentHash()
		if prev, dup := seen[h]; dup {
			t.Errorf("changing %s gives the same content hash as %s", name, prev)
		}
		seen[h] = name
	}
}

func TestChainHashChangesWithEveryInput(t *testing.T) {
	type args struct {
		id                                int64
		createdAt, key, content, prevHash string
	}
	base := args{1, "2026-03-05T02:00:00Z", "pay-1", goldenContentHash, ledger.GenesisHash}
	hash := func(a args) string { return ledger.ChainHash(a.id, a.createdAt, a.key, a.content, a.prevHash) }

	variants := map[string]args{
		"base":               base,
		"id":                 {2, base.createdAt, base.key, base.content, base.prevHash},
		"created at":         {1, "2026-03-05T02:00:01Z", base.key, base.content, base.prevHash},
		"key":                {1, base.createdAt, "pay-2", base.content, base.prevHash},
		"no key":             {1, base.createdAt, "", base.content, base.prevHash},
		"content hash":       {1, base.createdAt, base.key, goldenEntry().ContentHash()[:63] + "0", base.prevHash},
		"prev hash":          {1, base.createdAt, base.key, base.content, goldenContentHash},
		"boundary moved":     {1, base.createdAt + "p", "ay-1", base.content, base.prevHash},
		"key and time moved": {1, base.createdAt[:19], "Zpay-1", base.content, base.prevHash},
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
	assert.Equal(t, hash(base), hash(base), "deterministic")
}

func sealed(t *testing.T) ledger.Entry {
	t.Helper()
	e := ledger.Entry{ID: 3, NewEntry: goldenEntry(), CreatedAt: "2026-03-05T02:00:00.123456789Z"}
	prev := ledger.ChainHash(2, "2026-03-05T01:00:00Z", "", goldenContentHash, ledger.GenesisHash)
	e.Seal(prev)
	require.Equal(t, prev, e.PrevHash)
	require.Equal(t, e.NewEntry.ContentHash(), e.ContentHash)
	require.Equal(t, "", e.CheckSeal(prev))
	return e
}

func TestCheckSeal(t *testing.T) {
	tests := []struct {
		name    string
		change  func(e *ledger.Entry, wantPrev *string)
		problem string
	}{
		{"amount of one line", func(e *ledger.Entry, _ *string) { e.Lines[0].Amount = 50_001 }, "breaks a ledger rule"},
		{"amount of both lines", func(e *ledger.Entry, _ *string) { e.Lines[0].Amount, e.Lines[1].Amount = 5_000, 5_000 }, "content does not match"},
		{"account", func(e *ledger.Entry, _ *string) { e.Lines[1].Account = "3378" }, "content does not match"},
		{"description", func(e *ledger.Entry, _ *string) { e.Description = "Thu phí" }, "content does not match"},
		{"date", func(e *ledger.Entry, _ *string) { e.Date = "2026-03-04" }, "content does not match"},
		{"dimension", func(e *ledger.Entry, _ *string) { e.Lines[1].Agency = "UBND-Q3" }, "content does not match"},
		{"line added", func(e *ledger.Entry, _ *string) {
			e.Lines = append(e.Lines, e.Lines[0])
			e.Lines[2].Side = ledger.Credit
			e.Lines[0].Amount *= 2
		}, "content does not match"},
		{"stored prev hash", func(e *ledger.Entry, _ *string) { e.PrevHash = ledger.GenesisHash }, "previous-hash link"},
		{"previous entry's hash", func(_ *ledger.Entry, want *string) { *want = goldenChainHash }, "previous-hash link"},
		{"key", func(e *ledger.Entry, _ *string) { e.IdempotencyKey = "pay-2" }, "chain hash does not match"},
		{"key removed", func(e *ledger.Entry, _ *string) { e.IdempotencyKey = "" }, "chain hash does not match"},
		{"id", func(e *ledger.Entry, _ *string) { e.ID = 4 }, "chain hash does not match"},
		{"created at", func(e *ledger.Entry, _ *string) { e.CreatedAt = "2026-03-05T02:00:00Z" }, "chain hash does not match"},
		{"stored hash", func(e *ledger.Entry, _ *string) { e.Hash = goldenChainHash }, "chain hash does not match"},
		{"content and content hash rewritten together", func(e *ledger.Entry, _ *string) {
			e.Description = "Thu phí"
			e.ContentHash = e.NewEntry.ContentHash()
		}, "chain hash does not match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := sealed(t)
			want := e.PrevHash
			e.Lines = append([]ledger.Line(nil), e.Lines...) // do not share with other cases
			tc.change(&e, &want)
			assert.Contains(t, e.CheckSeal(want), tc.problem)
		})
	}
}
