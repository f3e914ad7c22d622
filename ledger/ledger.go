// Package ledger is feepos's double-entry book: accounts with roles, journal
// entries that balance and never change, reversals, balances, a trial
// balance, and a hash chain that shows any change made behind its back.
//
// The types and rules live here; internal/sqlite stores them.
package ledger

import "context"

// Service is the ledger as the rest of feepos uses it.
type Service interface {
	// Post records an entry. With an idempotency key already used, it
	// returns the first entry if the content is the same and a conflict
	// error otherwise. A new entry's date must lie in the posting window
	// of the store's clock (PostingWindow), and each line's currency must
	// be its account's.
	Post(ctx context.Context, e NewEntry) (Entry, error)
	// Reverse posts the reversal of entry id on date (today when empty),
	// in the posting window and not before the entry. An entry is reversed
	// at most once, and a reversal is not itself reversed.
	Reverse(ctx context.Context, id int64, date, description, key string) (Entry, error)
	Entry(ctx context.Context, id int64) (Entry, error)
	// Journal lists the entries of one business date in posting order.
	Journal(ctx context.Context, date string) ([]Entry, error)
	TrialBalance(ctx context.Context, asOf string) (TrialBalance, error)
	Balances(ctx context.Context, q BalanceQuery) ([]Balance, error)
	Accounts(ctx context.Context) ([]Account, error)
	// Verify walks the whole chain and reports the first entry that does
	// not hold.
	Verify(ctx context.Context) (VerifyReport, error)
}

// VerifyReport is the outcome of walking the chain.
type VerifyReport struct {
	OK      bool   `json:"ok"`
	Entries int64  `json:"entries"` // entries checked
	Head    string `json:"head"`    // hash of the last good entry
	BadID   int64  `json:"bad_id"`  // first entry that fails (0 when OK)
	Problem string `json:"problem"` // what failed, for a person
}
