package payments

import (
	"context"
	"database/sql"
	"encoding/json"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
)

// CloseShift closes the cashier's cash drawer: expected is the sum of the
// cash payments the cashier took since the last close, counted what is in
// the drawer. A difference is posted between the cash drawer and the
// variance account (3378 Tạm thu khác, the suspense role) with the
// cashier's note, which a difference requires.
func (s *Service) CloseShift(ctx context.Context, actor auth.Actor, counted int64, note string) (Shift, error) {
	return s.closeShift(ctx, actor, nil, counted, note)
}

// CloseShiftSeen is CloseShift for a cashier who was shown seen as the
// expected cash: it is refused (conflict, nothing written) when the
// drawer's expected cash is no longer seen, as when the same form is sent
// twice (the first closed the shift) or cash was taken meanwhile.
func (s *Service) CloseShiftSeen(ctx context.Context, actor auth.Actor, seen, counted int64, note string) (Shift, error) {
	return s.closeShift(ctx, actor, &seen, counted, note)
}

func (s *Service) closeShift(ctx context.Context, actor auth.Actor, seen *int64, counted int64, note string) (Shift, error) {
	if counted < 0 {
		return Shift{}, invalid("counted %d is negative", counted)
	}
	var out Shift
	err := s.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		pays, err := tx.OpenCashPayments(ctx, actor.ID)
		if err != nil {
			return err
		}
		row := sqlite.ShiftRow{CashierID: actor.ID, CashierName: actor.Name, ClosedAt: sqlite.StoreTime(tx.Now), Counted: counted, Note: note,
			OpenedAt: sqlite.StoreTime(tx.Now)}
		ids := make([]string, len(pays))
		for i, p := range pays {
			row.Expected += p.Amount
			ids[i] = p.ID
			if i == 0 {
				row.OpenedAt = p.CreatedAt
			}
		}
		if seen != nil && *seen != row.Expected {
			return conflict("the drawer's expected cash is %d đồng, not the %d đồng shown: the shift was closed meanwhile or cash was taken; reload and count again", row.Expected, *seen)
		}
		diff := counted - row.Expected
		if diff != 0 {
			if note == "" {
				return invalid("the drawer holds %d đồng, %d expected: a difference needs the cashier's note", counted, row.Expected)
			}
			drawer, err := tx.AccountFor(ctx, ledger.RoleCashDrawer)
			if err != nil {
				return err
			}
			variance, err := tx.AccountFor(ctx, ledger.RoleSuspense)
			if err != nil {
				return err
			}
			amount, debit, credit := diff, drawer, variance
			if diff < 0 {
				amount, debit, credit = -diff, variance, drawer
			}
			d := ledger.Dimensions{Counter: s.opt.Counter, Cashier: actor.Name}
			e, err := tx.PostEntry(ctx, ledger.NewEntry{Date: ledger.BusinessDate(tx.Now),
				Description: "Chênh lệch quỹ tiền mặt khi kết ca: " + note,
				Lines: []ledger.Line{{Account: debit, Side: ledger.Debit, Amount: amount, Currency: Currency, Dimensions: d},
					{Account: credit, Side: ledger.Credit, Amount: amount, Currency: Currency, Dimensions: d}}})
			if err != nil {
				return err
			}
			row.LedgerEntryID = sql.NullInt64{Int64: e.ID, Valid: true}
		}
		id, err := tx.InsertShift(ctx, row, ids)
		if err != nil {
			return err
		}
		out = Shift{ID: id, Cashier: actor.String(), Expected: row.Expected, Counted: counted, Difference: diff, Note: note,
			LedgerEntry: row.LedgerEntryID.Int64}
		out.OpenedAt, _ = sqlite.ParseStoreTime(row.OpenedAt)
		out.ClosedAt, _ = sqlite.ParseStoreTime(row.ClosedAt)
		detail, _ := json.Marshal(out)
		return tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "cash.shift_close", Object: "shift:" + itoa(id), Reason: note, Detail: detail})
	})
	return out, err
}
