-- The daily summary 01/TH-BLĐT (receipts/summary.go, DB.DailySummary) reads
-- one organisation's receipts of one business date. Without this index the
-- only way in is receipts_chain (template, letters, year, number), which
-- scans the series' whole year to keep one day: ~160 ms at 300,000 receipts
-- a year, growing every day. With it the read is proportional to the day.
CREATE INDEX receipts_org_issued ON receipts (org_code, issued_at);
