package sqlite_test

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/soak"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/receipts"
)

// The receipts crash test runs this test binary again as a child that
// issues receipts until it is killed with SIGKILL.
const (
	receiptCrashEnvDB    = "FEEPOS_RECEIPT_CRASH_DB"
	receiptCrashEnvRound = "FEEPOS_RECEIPT_CRASH_ROUND"
	receiptCrashEnvKeys  = "FEEPOS_RECEIPT_CRASH_KEYS" // folder of the two organisations' PEM keys
	receiptCrashPrefix   = "issued "
	receiptCrashRounds   = 15
	receiptCrashMaxBatch = 2 // receipts in one transaction
)

// TestReceiptCrashChild is the child of TestReceiptCrash. Run alone it does
// nothing. It issues signed receipts whose dossier code is rcrash-ROUND-N
// (N counting up): cash receipts alone (through the group commit), or a
// card payment's ledger entry (key = the district receipt's dossier) with
// one receipt per organisation in one transaction, each signed with its
// organisation's key. It prints "issued DOSSIER SERIES NUMBER" only once
// the transaction has committed.
func TestReceiptCrashChild(t *testing.T) {
	db, die, ok := openChild(receiptCrashEnvDB, "receipt crash child")
	if !ok {
		return
	}
	round := os.Getenv(receiptCrashEnvRound)
	ctx := context.Background()
	for _, s := range []receipts.Series{districtSeries, policeSeries} {
		if _, err := db.CreateSeries(ctx, s); err != nil {
			die(err)
		}
	}
	keys := receipts.NewKeyring(nil)
	for _, s := range []receipts.Series{districtSeries, policeSeries} {
		dir := os.Getenv(receiptCrashEnvKeys)
		k, err := receipts.LoadPEM(filepath.Join(dir, s.OrgCode+".key"), filepath.Join(dir, s.OrgCode+".crt"))
		if err != nil {
			die(err)
		}
		if err := keys.Add(s.OrgCode, k); err != nil {
			die(err)
		}
	}
	r := rand.New(rand.NewSource(time.Now().UnixNano()))
	n := 0
	nextDossier := func() string {
		d := "rcrash-" + round + "-" + strconv.Itoa(n)
		n++
		return d
	}
	report := func(rs ...receipts.Receipt) {
		for _, x := range rs {
			if _, err := fmt.Fprintf(os.Stdout, "%s%s %s %d\n", receiptCrashPrefix, x.DossierCode, x.Series, x.Number); err != nil {
				os.Exit(4)
			}
		}
	}
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		if r.Intn(2) == 0 {
			x, _, err := db.IssueSignedReceipt(ctx, cashReceipt(nextDossier(), int64(1000+r.Intn(100_000))), keys)
			if err != nil {
				die(err)
			}
			report(x)
			continue
		}
		var issued []receipts.Receipt
		district, police := nextDossier(), nextDossier()
		a, b := int64(1000+r.Intn(50_000)), int64(1000+r.Intn(50_000))
		err := db.WithTx(ctx, func(tx *sqlite.Tx) error {
			issued = issued[:0]
			if _, err := tx.PostEntry(ctx, cardPayment(ledger.BusinessDate(tx.Now), a+b, district)); err != nil {
				return err
			}
			for _, nr := range []receipts.NewReceipt{
				cardReceiptFor(districtSeries.OrgCode, district, a),
				cardReceiptFor(policeSeries.OrgCode, police, b),
			} {
				x, err := tx.IssueSignedReceipt(ctx, nr, keys)
				if err != nil {
					return err
				}
				issued = append(issued, x)
			}
			return nil
		})
		if err != nil {
			die(err)
		}
		report(issued...)
	}
	db.Close()
}

type crashReceipt struct {
	dossier string
	series  string
	number  int64
}

// runReceiptCrashChild starts the child on path, kills it with SIGKILL
// delay after its first commit and returns the receipts it reported.
func runReceiptCrashChild(t *testing.T, path, keys string, round int, delay time.Duration) []crashReceipt {
	t.Helper()
	lines := killChild(t, "TestReceiptCrashChild", []string{receiptCrashEnvDB + "=" + path,
		receiptCrashEnvRound + "=" + strconv.Itoa(round), receiptCrashEnvKeys + "=" + keys}, receiptCrashPrefix, round, delay)
	out := make([]crashReceipt, 0, len(lines))
	for _, l := range lines {
		f := strings.Fields(l)
		require.Len(t, f, 3, l)
		num, err := strconv.ParseInt(f[2], 10, 64)
		require.NoError(t, err, l)
		out = append(out, crashReceipt{f[0], f[1], num})
	}
	return out
}

func TestReceiptCrash(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "feepos.db")
	r := rand.New(rand.NewSource(propSeed(t)))
	keys := t.TempDir()
	for _, s := range []receipts.Series{districtSeries, policeSeries} {
		require.NoError(t, seriesSigner(t, s).WritePEM(filepath.Join(keys, s.OrgCode+".key"), filepath.Join(keys, s.OrgCode+".crt")))
	}

	var before int64
	rounds := soak.Pick(receiptCrashRounds, 4*receiptCrashRounds)
	for round := 0; round < rounds; round++ {
		delay := time.Duration(20+r.Intn(131)) * time.Millisecond
		reported := runReceiptCrashChild(t, path, keys, round, delay)
		require.NotEmpty(t, reported)

		db, err := sqlite.Open(ctx, path)
		require.NoError(t, err, "round %d: open after the kill", round)
		// No gap, no duplicate, chain intact: verify walks every number.
		rep, err := db.VerifyReceipts(ctx)
		require.NoError(t, err)
		require.True(t, rep.OK, "round %d: %+v", round, rep)
		require.GreaterOrEqual(t, rep.Receipts, before+int64(len(reported)), "round %d: earlier receipts are all still there", round)
		// Every receipt has its signature, committed with it.
		var unsigned int64
		require.NoError(t, db.SQL().Get(&unsigned, `SELECT COUNT(*) FROM receipts r
			LEFT JOIN receipt_signatures s ON s.receipt_id = r.id WHERE s.receipt_id IS NULL`))
		require.Zero(t, unsigned, "round %d: receipts without a signature", round)
		// Each signature verifies, by its own organisation's key. Rows are
		// append-only, so a bad one stays and the last round's check of all
		// of them finds it; checking all of them every round made the test
		// quadratic (FEEPOS_SOAK=1 still does).
		if round == rounds-1 || soak.Enabled() {
			srep := verifySignatures(t, db)
			require.True(t, srep.OK, "round %d: %+v", round, srep)
			require.Equal(t, rep.Receipts, srep.Signed, "round %d: every receipt is signed", round)
		}
		lrep, err := db.Verify(ctx)
		require.NoError(t, err)
		require.True(t, lrep.OK, "round %d: ledger %+v", round, lrep)

		prefix := "rcrash-" + strconv.Itoa(round) + "-"
		var stored []struct {
			Dossier string `db:"dossier_code"`
			Series  string `db:"series"`
			Number  int64  `db:"number"`
			Method  string `db:"method"`
			OrgCode string `db:"org_code"`
		}
		require.NoError(t, db.SQL().Select(&stored, `SELECT dossier_code, series, number, method, org_code FROM receipts WHERE dossier_code LIKE ?`, prefix+"%"))
		byDossier := map[string]crashReceipt{}
		for _, s := range stored {
			byDossier[s.Dossier] = crashReceipt{s.Dossier, s.Series, s.Number}
		}
		// Every receipt the child reported is stored under its number.
		maxReported := -1
		for _, c := range reported {
			require.Equal(t, c, byDossier[c.dossier], "round %d: %s was reported issued", round, c.dossier)
			maxReported = max(maxReported, dossierSeq(t, c.dossier))
		}
		// The stored dossiers are 0..M-1 with no hole (a later commit never
		// survives an earlier one), and only the last transaction may be
		// unreported.
		for i := 0; i < len(stored); i++ {
			_, ok := byDossier[prefix+strconv.Itoa(i)]
			require.True(t, ok, "round %d: %s%d is missing but a later receipt is stored", round, prefix, i)
		}
		require.LessOrEqual(t, len(stored)-1-maxReported, receiptCrashMaxBatch, "round %d", round)

		// A card payment's ledger entry and its receipts are all there or
		// none is.
		var keys []string
		require.NoError(t, db.SQL().Select(&keys, `SELECT idempotency_key FROM ledger_entries WHERE idempotency_key LIKE ?`, prefix+"%"))
		paid := map[string]bool{}
		for _, k := range keys {
			paid[k] = true
			_, ok := byDossier[k]
			require.True(t, ok, "round %d: ledger entry %s has no receipt", round, k)
			police := prefix + strconv.Itoa(dossierSeq(t, k)+1)
			_, ok = byDossier[police]
			require.True(t, ok, "round %d: ledger entry %s has no second receipt %s", round, k, police)
		}
		for _, s := range stored {
			if s.Method == string(receipts.Card) && s.OrgCode == districtSeries.OrgCode {
				require.True(t, paid[s.Dossier], "round %d: card receipt %s without its ledger entry", round, s.Dossier)
			}
		}
		before = rep.Receipts
		require.NoError(t, db.Close())
	}
	t.Logf("%d rounds, %d receipts", rounds, before)
}

func dossierSeq(t *testing.T, d string) int {
	t.Helper()
	i := strings.LastIndexByte(d, '-')
	n, err := strconv.Atoi(d[i+1:])
	require.NoError(t, err, d)
	return n
}
