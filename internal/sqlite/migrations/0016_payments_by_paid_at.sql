-- The accountant's day at a glance (sqlite.DB.DayCollection) and the day's
-- reports select the paid payments of one business day by paid_at; without
-- an index every page view scans all payments of all years.
CREATE INDEX payments_paid_by_time ON payments (paid_at) WHERE status = 'paid';
