package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/signing"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
	"github.com/feepos/feepos/receipts"
)

// Demo receipts: serve --demo on a database whose district series has no
// receipt this year issues two demo payments the way the payment workflow
// will, so that the verification page, printing, the daily summary and
// receipts verify have something to show from the first start:
//
//   - a dossier whose fees belong to the district and to the police, paid
//     by card: one ledger entry and two receipts, one per organisation,
//     each in its series and signed with its own key, in one transaction;
//   - a cash payment of one charge to the district.

// demoPayment is one demo payment: its fee lines per organisation and how
// it was paid.
type demoPayment struct {
	dossier string
	payer   receipts.Payer
	card    *receipts.CardPayment // nil: cash
	fees    []demoFee
}

type demoFee struct {
	org  string // series OrgCode
	line receipts.Line
}

func demoPayments(day string) []demoPayment {
	return []demoPayment{{
		dossier: demoDossierPrefix + day + "-0001",
		payer:   receipts.Payer{Name: "Nguyễn Văn An", Address: "Số 12 đường Trần Hưng Đạo, thị trấn Demo", IDNumber: "001090001234"},
		card:    &receipts.CardPayment{TerminalID: "DEMO-T1", TraceNo: "000001", ApprovalCode: "A1B2C3", PANMasked: "411111******1111"},
		fees: []demoFee{
			{org: signing.DemoOrgs[0].Series.OrgCode, line: receipts.Line{Name: "Lệ phí cấp giấy chứng nhận đăng ký hộ kinh doanh", Kind: receipts.LePhi, FeeCode: "LP-HKD", Amount: 100_000}},
			{org: signing.DemoOrgs[1].Series.OrgCode, line: receipts.Line{Name: "Lệ phí đăng ký cư trú", Kind: receipts.LePhi, FeeCode: "LP-CT", Amount: 20_000}},
		},
	}, {
		dossier: demoDossierPrefix + day + "-0002",
		payer:   receipts.Payer{Name: "Trần Thị Bình"},
		fees: []demoFee{
			{org: signing.DemoOrgs[0].Series.OrgCode, line: receipts.Line{Name: "Phí chứng thực bản sao từ bản chính (3 bản)", Kind: receipts.Phi, FeeCode: "P-CTBS", Amount: 6_000}},
		},
	}}
}

// seedDemoReceipts issues the demo payments when the district's series has
// no receipt in the current year, and returns the receipts issued (none on
// a database that has them already).
func seedDemoReceipts(ctx context.Context, log *slog.Logger, db *sqlite.DB, keys receipts.Keys) ([]receipts.Receipt, error) {
	district := signing.DemoOrgs[0].Series
	now := db.Now()
	series := receipts.SeriesSymbol(receipts.YearOf(now), district.Letters)
	_, err := db.Receipt(ctx, receipts.Template, series, 1)
	switch {
	case err == nil:
		return nil, nil // seeded before (or real receipts): leave them
	case apperr.Code(err) != apperr.NotFound:
		return nil, fmt.Errorf("demo receipts: %w", err)
	}
	// All demo payments in one transaction: a start killed half-way leaves
	// none, and the next start makes them all (the check above).
	var out []receipts.Receipt
	err = db.WithTx(ctx, func(tx *sqlite.Tx) error {
		out = out[:0]
		for _, p := range demoPayments(now.In(receipts.Zone).Format("060102")) {
			rs, err := issueDemoPayment(ctx, tx, keys, p)
			if err != nil {
				return fmt.Errorf("demo payment %s: %w", p.dossier, err)
			}
			out = append(out, rs...)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, r := range out {
		// Their full /verify addresses are logged once serve listens.
		log.Info("demo receipt issued", "org", r.Org.Code, "receipt", r.Ref.String(), "total", r.Total)
	}
	return out, nil
}

// demoDossierPrefix starts the dossier code of every demo payment.
const demoDossierPrefix = "H29.DEMO-"

// demoReceiptsOfYear returns the demo receipts of the current year: the
// first receipts of each demo organisation's series, as long as they
// belong to a demo dossier.
func demoReceiptsOfYear(ctx context.Context, db *sqlite.DB) ([]receipts.Receipt, error) {
	year := receipts.YearOf(db.Now())
	var out []receipts.Receipt
	for _, org := range signing.DemoOrgs {
		series := receipts.SeriesSymbol(year, org.Series.Letters)
		for n := int64(1); ; n++ {
			r, err := db.Receipt(ctx, receipts.Template, series, n)
			if apperr.Code(err) == apperr.NotFound {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("demo receipts: %w", err)
			}
			if !strings.HasPrefix(r.DossierCode, demoDossierPrefix) {
				break
			}
			out = append(out, r)
		}
	}
	return out, nil
}

// issueDemoPayment posts the payment's ledger entry (cash drawer or card
// clearing against fees collected, one credit per fee with its
// organisation) and issues one signed receipt per organisation, in tx.
func issueDemoPayment(ctx context.Context, tx *sqlite.Tx, keys receipts.Keys, p demoPayment) ([]receipts.Receipt, error) {
	method, debitRole, terminal := receipts.Cash, ledger.RoleCashDrawer, ""
	if p.card != nil {
		method, debitRole, terminal = receipts.Card, ledger.RoleCardClearing, p.card.TerminalID
	}
	debit, err := tx.AccountFor(ctx, debitRole)
	if err != nil {
		return nil, err
	}
	collected, err := tx.AccountFor(ctx, ledger.RoleFeesCollected)
	if err != nil {
		return nil, err
	}
	entry := ledger.NewEntry{
		Date:           ledger.BusinessDate(tx.Now),
		Description:    "Thu phí, lệ phí hồ sơ " + p.dossier + " (dữ liệu mẫu)",
		IdempotencyKey: "demo:" + p.dossier,
	}
	var total int64
	byOrg := map[string][]receipts.Line{}
	var orgs []string
	for _, f := range p.fees {
		total += f.line.Amount
		if _, ok := byOrg[f.org]; !ok {
			orgs = append(orgs, f.org)
		}
		byOrg[f.org] = append(byOrg[f.org], f.line)
		entry.Lines = append(entry.Lines, ledger.Line{Account: collected, Side: ledger.Credit, Amount: f.line.Amount, Currency: "VND",
			Dimensions: ledger.Dimensions{Agency: f.org, FeeCode: f.line.FeeCode, Dossier: p.dossier}})
	}
	entry.Lines = append([]ledger.Line{{Account: debit, Side: ledger.Debit, Amount: total, Currency: "VND",
		Dimensions: ledger.Dimensions{Terminal: terminal, Counter: "1", Cashier: "demo", Dossier: p.dossier}}}, entry.Lines...)
	if _, err := tx.PostEntry(ctx, entry); err != nil {
		return nil, err
	}
	var out []receipts.Receipt
	for _, org := range orgs {
		nr := receipts.NewReceipt{OrgCode: org, Payer: p.payer, Lines: byOrg[org], Method: method, DossierCode: p.dossier, Card: p.card}
		for _, l := range nr.Lines {
			nr.Total += l.Amount
		}
		if nr.TotalInWords, err = receipts.Words(nr.Total); err != nil {
			return nil, err
		}
		r, err := tx.IssueSignedReceipt(ctx, nr, keys)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}
