package reconcile

import (
	"fmt"
	"slices"
	"strings"
)

// balance is rule balance: the bank's final closing balance of the
// statements dated Day.Date (camt CLBD, MT940 :62F:), summed over the
// accounts, against the ledger's bank account (Day.LedgerBank). Not
// asserted when either side is missing. One account stating two different
// final closings for the day is itself a balance_mismatch.
func (r *run) balance() {
	if r.day.LedgerBank == nil {
		return
	}
	byAccount := map[string][]int64{}
	for _, b := range r.day.Balances {
		if b.Kind == "closing" && b.Final && b.Date == r.day.Date && !slices.Contains(byAccount[b.Account], b.Amount) {
			byAccount[b.Account] = append(byAccount[b.Account], b.Amount)
		}
	}
	if len(byAccount) == 0 {
		return
	}
	accounts := make([]string, 0, len(byAccount))
	for a := range byAccount {
		accounts = append(accounts, a)
	}
	slices.Sort(accounts)
	var bank int64
	for _, a := range accounts {
		amounts := byAccount[a]
		if len(amounts) > 1 {
			slices.Sort(amounts)
			var ss []string
			for _, v := range amounts {
				ss = append(ss, vnd(v))
			}
			r.except(Exception{
				Kind: BalanceMismatch, LedgerAmount: ptr(*r.day.LedgerBank),
				Detail: fmt.Sprintf("Sao kê tài khoản %s có nhiều số dư cuối ngày %s khác nhau (%s đồng): kiểm tra lại tệp sao kê.",
					a, r.day.Date, strings.Join(ss, "; ")),
			})
			return
		}
		bank += amounts[0]
	}
	if bank == *r.day.LedgerBank {
		return
	}
	r.except(Exception{
		Kind: BalanceMismatch, LedgerAmount: ptr(*r.day.LedgerBank), BankAmount: ptr(bank),
		Detail: fmt.Sprintf("Số dư cuối ngày %s theo sao kê ngân hàng (tài khoản %s) là %s đồng, sổ cái ghi %s đồng (chênh %s đồng).",
			r.day.Date, strings.Join(accounts, ", "), vnd(bank), vnd(*r.day.LedgerBank), vnd(abs(bank-*r.day.LedgerBank))),
	})
}
