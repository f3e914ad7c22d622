package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/feepos/feepos/internal/sqlite"
)

// outboxCollector reports the webhook outbox at scrape time: messages by
// state (a growing "pending" or any "dead" is a dossier system not being
// told of payments), and the age of the oldest pending one.
type outboxCollector struct {
	db     *sqlite.DB
	count  *prometheus.Desc
	oldest *prometheus.Desc
}

func newOutboxCollector(db *sqlite.DB) outboxCollector {
	return outboxCollector{db: db,
		count: prometheus.NewDesc("feepos_webhook_messages", "Webhook messages in the outbox by state (pending, delivered, dead).",
			[]string{"state"}, nil),
		oldest: prometheus.NewDesc("feepos_webhook_oldest_pending_seconds", "Age of the oldest webhook message not yet delivered (0: none).",
			nil, nil),
	}
}

func (c outboxCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.count; ch <- c.oldest }

func (c outboxCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var rows []struct {
		State string `db:"state"`
		N     int64  `db:"n"`
	}
	if err := c.db.SQL().SelectContext(ctx, &rows, `SELECT state, COUNT(*) AS n FROM webhook_outbox GROUP BY state`); err != nil {
		return
	}
	counts := map[string]int64{sqlite.WebhookPending: 0, sqlite.WebhookDelivered: 0, sqlite.WebhookDead: 0}
	for _, r := range rows {
		counts[r.State] = r.N
	}
	for state, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.count, prometheus.GaugeValue, float64(n), state)
	}
	var oldest *string
	if err := c.db.SQL().GetContext(ctx, &oldest, `SELECT MIN(created_at) FROM webhook_outbox WHERE state = 'pending'`); err != nil {
		return
	}
	age := 0.0
	if oldest != nil {
		if t, err := sqlite.ParseStoreTime(*oldest); err == nil {
			age = time.Since(t).Seconds()
		}
	}
	ch <- prometheus.MustNewConstMetric(c.oldest, prometheus.GaugeValue, age)
}
