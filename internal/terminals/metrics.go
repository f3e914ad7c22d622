package terminals

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/feepos/feepos/pos"
)

type atomic64 = atomic.Uint64

// allOutcomes are the outcomes counted per terminal.
var allOutcomes = []pos.Outcome{pos.Approved, pos.Declined, pos.Aborted, pos.CardError, pos.Busy, pos.TransportError, pos.Unknown}

var (
	descOnline = prometheus.NewDesc("feepos_terminal_online",
		"Whether the terminal's link is open and it answered (1) or not (0).", []string{"terminal"}, nil)
	descState = prometheus.NewDesc("feepos_terminal_state",
		"The terminal's state: 1 for the state it is in (offline, idle, in_transaction, awaiting_record, in_doubt).", []string{"terminal", "state"}, nil)
	descTransactions = prometheus.NewDesc("feepos_terminal_transactions_total",
		"Transactions the terminal ended, by outcome (approved, declined, aborted, card_error, busy, transport_error, unknown).", []string{"terminal", "outcome"}, nil)
	descInDoubt = prometheus.NewDesc("feepos_terminal_in_doubt",
		"Attempts of the terminal whose outcome is in doubt: settle them before charging those payments again.", []string{"terminal"}, nil)
	descQueue = prometheus.NewDesc("feepos_terminal_queue_length",
		"Charges waiting for the terminal's turn.", []string{"terminal"}, nil)
	descLastSeen = prometheus.NewDesc("feepos_terminal_last_seen_timestamp_seconds",
		"When the terminal last sent a byte (Unix time; 0 if never).", []string{"terminal"}, nil)
	descDropped = prometheus.NewDesc("feepos_terminal_events_dropped_total",
		"Events listeners lost because they lagged behind (all terminals).", nil, nil)
)

var allStatuses = []Status{StatusOffline, StatusIdle, StatusInTransaction, StatusAwaitingRecord, StatusInDoubt}

// Collector gives the terminals' metrics to a Prometheus registry. The
// values are read at scrape time from the terminals' atomics: a scrape
// never waits for a terminal.
func (m *Manager) Collector() prometheus.Collector { return collector{m} }

type collector struct{ m *Manager }

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOnline, descState, descTransactions, descInDoubt, descQueue, descLastSeen, descDropped} {
		ch <- d
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	for _, id := range c.m.sortedIDs() {
		t := c.m.terms[id]
		st := t.snapshot()
		online := 0.0
		if st.Status != StatusOffline {
			online = 1
		}
		ch <- prometheus.MustNewConstMetric(descOnline, prometheus.GaugeValue, online, id)
		for _, s := range allStatuses {
			v := 0.0
			if s == st.Status {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(descState, prometheus.GaugeValue, v, id, string(s))
		}
		for _, o := range allOutcomes {
			ch <- prometheus.MustNewConstMetric(descTransactions, prometheus.CounterValue, float64(t.outcomes[o].Load()), id, string(o))
		}
		ch <- prometheus.MustNewConstMetric(descInDoubt, prometheus.GaugeValue, float64(st.InDoubt), id)
		ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(st.Queue), id)
		seen := 0.0
		if !st.LastSeen.IsZero() {
			seen = float64(st.LastSeen.UnixNano()) / 1e9
		}
		ch <- prometheus.MustNewConstMetric(descLastSeen, prometheus.GaugeValue, seen, id)
	}
	ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(c.m.events.dropped.Load()))
}
