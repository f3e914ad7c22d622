// Package reconcile is the daily reconciliation's pure core: the facts of
// a day (ledger payments, terminal totals, acquirer settlement lines, bank
// entries and balances), the matching engine that pairs them rule by rule
// (one small file per rule, rule_*.go), and the report. It reads no file
// and no database: reconcile/importers turns files into these facts, and
// internal/endofday stores them, runs the engine and posts the result
// (docs/RECONCILE.md).
//
// Amounts are whole Vietnamese đồng (int64); a file in another currency,
// or with a fraction of a đồng, is refused by its importer.
package reconcile
