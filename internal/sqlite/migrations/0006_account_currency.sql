-- The currency each account is kept in (docs/LEDGER.md, "Currencies"): a
-- line posts to an account only in the account's currency. Accounts made
-- before this version are in đồng, the currency of the default chart; the
-- chart in the config file is synced into the column at start (chart.go).
ALTER TABLE accounts ADD COLUMN currency TEXT NOT NULL DEFAULT 'VND' CHECK (length(currency) = 3);
