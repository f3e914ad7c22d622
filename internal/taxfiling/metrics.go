package taxfiling

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/feepos/feepos/receipts"
)

// Collector exposes the delivery state on /metrics, read from the database
// at scrape time (so a hand-over by the CLI counts too):
//
//	feepos_receipts_documents_open{state}           documents not accepted, by state
//	feepos_receipts_documents_unacknowledged        handed over, no answer after AckWithin
//	feepos_receipts_summary_missing{org}            1 when the due day's summary was not handed over
//	feepos_receipts_provider_outage_seconds         since the first failed hand-over still queued; 0 none
//	feepos_receipts_resend_deadline_timestamp_seconds  end of the outage's resend deadline (Unix); 0 none
type Collector struct {
	Service *Service
	Watch   Watch
	Now     func() time.Time
}

var (
	descOpen     = prometheus.NewDesc("feepos_receipts_documents_open", "Documents handed to the provider and not accepted by the tax office, by state.", []string{"state"}, nil)
	descUnack    = prometheus.NewDesc("feepos_receipts_documents_unacknowledged", "Documents handed over without an answer for longer than the configured hours.", nil, nil)
	descMissing  = prometheus.NewDesc("feepos_receipts_summary_missing", "1 when the organisation's daily summary 01/TH-BLĐT due by now was not handed over.", []string{"org"}, nil)
	descOutage   = prometheus.NewDesc("feepos_receipts_provider_outage_seconds", "Seconds since the oldest failed hand-over still queued; 0 when none.", nil, nil)
	descDeadline = prometheus.NewDesc("feepos_receipts_resend_deadline_timestamp_seconds", "End (Unix time) of the last day to resend the documents an outage held back; 0 when none.", nil, nil)
)

// Describe implements prometheus.Collector.
func (c Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOpen, descUnack, descMissing, descOutage, descDeadline} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. A database that cannot be read
// gives no sample (the scrape still answers).
func (c Collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	now := c.Now()
	st, err := c.Service.Status(ctx, now, c.Watch)
	if err != nil {
		return
	}
	for _, s := range []receipts.DeliveryState{receipts.DeliveryQueued, receipts.DeliveryHandedOver, receipts.DeliveryRejected} {
		ch <- prometheus.MustNewConstMetric(descOpen, prometheus.GaugeValue, float64(st.ByState[s]), string(s))
	}
	ch <- prometheus.MustNewConstMetric(descUnack, prometheus.GaugeValue, float64(st.Unacknowledged))
	missing := map[string]bool{}
	for _, m := range st.MissingSummary {
		missing[m.Org] = true
	}
	if series, err := c.Service.DB.SeriesList(ctx); err == nil {
		for _, sr := range series {
			v := 0.0
			if missing[sr.OrgCode] {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(descMissing, prometheus.GaugeValue, v, sr.OrgCode)
		}
	}
	outage, deadline := 0.0, 0.0
	if st.Outage != nil {
		outage = now.Sub(st.Outage.Since).Seconds()
		if d, err := time.ParseInLocation(receipts.SummaryDateLayout, st.Outage.Deadline, receipts.Zone); err == nil {
			deadline = float64(d.AddDate(0, 0, 1).Unix())
		}
	}
	ch <- prometheus.MustNewConstMetric(descOutage, prometheus.GaugeValue, outage)
	ch <- prometheus.MustNewConstMetric(descDeadline, prometheus.GaugeValue, deadline)
}
