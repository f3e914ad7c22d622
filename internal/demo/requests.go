package demo

import (
	"context"
	"fmt"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/payments"
)

// The demo's payment requests: what the dossier system would have sent
// for five dossiers waiting at the counter, so the cashier's pages (and
// the browser test) have something to take payment for. Their fees are
// the demo catalogue's (catalogue.csv), at its amounts.

// DossierRequest is one demo dossier and its fee lines.
type DossierRequest struct {
	Code  string
	Payer payments.Payer
	Items []payments.NewItem
}

// Dossiers are the demo dossiers, HS-DEMO-0001 … HS-DEMO-0005.
var Dossiers = []DossierRequest{
	{Code: "HS-DEMO-0001", Payer: payments.Payer{Name: "Nguyễn Văn An", Address: "Số 12, đường Lê Lợi, phường 1"},
		Items: []payments.NewItem{{FeeCode: "LP-HKD", Quantity: 1, Amount: 100_000}}}, // 100.000 đ, UBND-DEMO
	{Code: "HS-DEMO-0002", Payer: payments.Payer{Name: "Trần Thị Bích", Address: "Số 3, ngõ 7, đường Trần Phú"},
		Items: []payments.NewItem{{FeeCode: "P-CTBS", Quantity: 5, Amount: 10_000}, {FeeCode: "P-CTCK", Quantity: 1, Amount: 10_000}}}, // 20.000 đ
	{Code: "HS-DEMO-0003", Payer: payments.Payer{Name: "Lê Hoàng Cường", Address: "Thôn Đông, xã Demo"},
		Items: []payments.NewItem{{FeeCode: "LP-GPXD", Quantity: 1, Amount: 75_000}, {FeeCode: "P-TDGCN", Quantity: 1, Amount: 500_000},
			{FeeCode: "LP-GCN", Quantity: 1, Amount: 25_000}}}, // 600.000 đ
	{Code: "HS-DEMO-0004", Payer: payments.Payer{Name: "Phạm Thị Dung", Address: "Số 45, đường Nguyễn Huệ"},
		Items: []payments.NewItem{{FeeCode: "LP-CT", Quantity: 1, Amount: 20_000}, {FeeCode: "LP-CCCD", Quantity: 1, Amount: 50_000}}}, // 70.000 đ, CA-DEMO
	{Code: "HS-DEMO-0005", Payer: payments.Payer{Name: "Hoàng Văn Em", Address: "Số 8, đường Hai Bà Trưng"},
		Items: []payments.NewItem{{FeeCode: "LP-HKD", Quantity: 1, Amount: 100_000}, {FeeCode: "LP-CCCD", Quantity: 1, Amount: 50_000}}}, // 150.000 đ, two receipts
}

// SeedRequests creates the demo's payment requests through the payment
// workflow, as feepos itself (auth.System("demo")). It is idempotent: each
// dossier's idempotency key is fixed, so a later start finds the same
// request (pending, or paid if it was paid meanwhile) and creates nothing.
func SeedRequests(ctx context.Context, svc *payments.Service) ([]payments.Request, error) {
	actor := auth.System("demo")
	out := make([]payments.Request, 0, len(Dossiers))
	for _, d := range Dossiers {
		r, _, err := svc.CreateRequest(ctx, actor, "demo-"+d.Code, payments.NewRequest{DossierCode: d.Code, Payer: d.Payer, Items: d.Items})
		if err != nil {
			return nil, fmt.Errorf("demo payment request %s: %w", d.Code, err)
		}
		out = append(out, r)
	}
	return out, nil
}
