package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/receipts"
)

// The delivery state of the documents handed to the provider (migration
// 0019, docs/RECEIPTS.md "Delivery state and the tax office's answers").
// internal/taxfiling writes a row (queued) before a hand-over and records
// the outcome after it; the tax office's answers change it again. Every
// change of state is written with its audit line in one transaction.

const deliveryCols = `id, document, kind, org_code, business_date, amendment, COALESCE(through_receipt_id, 0) AS through_receipt_id,
	COALESCE(receipt_id, 0) AS receipt_id, sha256, transport, state, reason, answer_form, answer_number, answer_date,
	tax_office_code, queued_at, handed_over_at, answered_at, attempts, first_failure_at, last_error`

type deliveryRow struct {
	ID             int64          `db:"id"`
	Document       string         `db:"document"`
	Kind           string         `db:"kind"`
	OrgCode        string         `db:"org_code"`
	Date           string         `db:"business_date"`
	Amendment      int            `db:"amendment"`
	Through        int64          `db:"through_receipt_id"`
	ReceiptID      int64          `db:"receipt_id"`
	SHA256         string         `db:"sha256"`
	Transport      string         `db:"transport"`
	State          string         `db:"state"`
	Reason         string         `db:"reason"`
	AnswerForm     string         `db:"answer_form"`
	AnswerNumber   string         `db:"answer_number"`
	AnswerDate     string         `db:"answer_date"`
	TaxOfficeCode  string         `db:"tax_office_code"`
	QueuedAt       string         `db:"queued_at"`
	HandedOverAt   sql.NullString `db:"handed_over_at"`
	AnsweredAt     sql.NullString `db:"answered_at"`
	Attempts       int            `db:"attempts"`
	FirstFailureAt sql.NullString `db:"first_failure_at"`
	LastError      string         `db:"last_error"`
}

func (r deliveryRow) delivery() receipts.Delivery {
	at := func(s sql.NullString) *time.Time {
		if !s.Valid {
			return nil
		}
		t, err := time.Parse(time.RFC3339Nano, s.String)
		if err != nil {
			return nil
		}
		return &t
	}
	q, _ := time.Parse(time.RFC3339Nano, r.QueuedAt)
	return receipts.Delivery{ID: r.ID, Document: r.Document, Kind: receipts.DocKind(r.Kind), OrgCode: r.OrgCode, Date: r.Date,
		Amendment: r.Amendment, ThroughReceiptID: r.Through, ReceiptID: r.ReceiptID, SHA256: r.SHA256, Transport: r.Transport,
		State: receipts.DeliveryState(r.State), Reason: r.Reason, AnswerForm: r.AnswerForm, AnswerNumber: r.AnswerNumber,
		AnswerDate: r.AnswerDate, TaxOfficeCode: r.TaxOfficeCode, QueuedAt: q, HandedOverAt: at(r.HandedOverAt),
		AnsweredAt: at(r.AnsweredAt), Attempts: r.Attempts, FirstFailureAt: at(r.FirstFailureAt), LastError: r.LastError}
}

func deliveryTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// QueueDelivery records d (state queued) before it is handed over, with
// its payload (nil for a receipt: its stored signed XML is the payload).
// A document already recorded with the same bytes is returned as it
// stands (a retry, or another run of the export); with other bytes it is a
// conflict: a document handed over is never replaced. For a summary,
// d.Amendment must be the next filing of its day: another process that
// filed first makes this a conflict (build the amendment again).
func (db *DB) QueueDelivery(ctx context.Context, d receipts.Delivery, payload []byte) (receipts.Delivery, bool, error) {
	var out receipts.Delivery
	var fresh bool
	err := db.WithTx(ctx, func(tx *Tx) error {
		var have deliveryRow
		err := tx.GetContext(ctx, &have, `SELECT `+deliveryCols+` FROM tax_deliveries WHERE document = ?`, d.Document)
		switch {
		case err == nil:
			if have.SHA256 != d.SHA256 {
				return receipts.Conflictf("%s was handed to the provider before with other content (sha256 %s): a document handed over is never overwritten; send a correction as a new document", d.Document, have.SHA256)
			}
			out = have.delivery()
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("read delivery %s: %w", d.Document, err)
		}
		var receiptID, through, body any
		if d.Kind == receipts.DocReceipt {
			receiptID = d.ReceiptID
		} else {
			body = payload
		}
		if d.Kind == receipts.DocSummary {
			through = d.ThroughReceiptID
			var next int
			if err := tx.GetContext(ctx, &next, `SELECT COALESCE(MAX(amendment) + 1, 0) FROM tax_deliveries
				WHERE kind = 'summary' AND org_code = ? AND business_date = ?`, d.OrgCode, d.Date); err != nil {
				return fmt.Errorf("read the filings of %s on %s: %w", d.OrgCode, d.Date, err)
			}
			if next != d.Amendment {
				return receipts.Conflictf("the summary of %s on %s was filed meanwhile (the next filing is number %d, not %d): build it again", d.OrgCode, d.Date, next, d.Amendment)
			}
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO tax_deliveries (document, kind, org_code, business_date, amendment,
			through_receipt_id, receipt_id, payload, sha256, transport, state, queued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?)`,
			d.Document, string(d.Kind), d.OrgCode, d.Date, d.Amendment, through, receiptID, body, d.SHA256, d.Transport, deliveryTime(tx.Now))
		if err != nil {
			return fmt.Errorf("record delivery %s: %w", d.Document, err)
		}
		fresh = true
		out, err = txDelivery(ctx, tx, d.Document)
		return err
	})
	if err != nil {
		return receipts.Delivery{}, false, err
	}
	return out, fresh, nil
}

// DeliveryHandedOver records the outcome of a hand-over the provider took:
// handed_over, or accepted/rejected when it answered at once; with its
// audit line, in one transaction. A document already answered keeps its
// answer (a retry of an answered document changes nothing).
func (db *DB) DeliveryHandedOver(ctx context.Context, document, transport string, h receipts.HandOver, actor auth.Actor) (receipts.Delivery, error) {
	if h.State == "" {
		h.State = receipts.DeliveryHandedOver
	}
	if h.State != receipts.DeliveryHandedOver && !h.State.Final() {
		return receipts.Delivery{}, fmt.Errorf("hand-over of %s: state %q is not an outcome", document, h.State)
	}
	return withTxValue(ctx, db, func(tx *Tx) (receipts.Delivery, error) {
		have, err := txDelivery(ctx, tx, document)
		if err != nil {
			return receipts.Delivery{}, err
		}
		if have.State.Final() {
			return have, nil
		}
		now := deliveryTime(tx.Now)
		answered := any(nil)
		form := ""
		if h.State.Final() {
			answered, form = now, receipts.AnswerProvider
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tax_deliveries SET state = ?, reason = ?, transport = ?, answer_form = ?,
			handed_over_at = COALESCE(handed_over_at, ?), answered_at = ?, attempts = attempts + 1, first_failure_at = NULL, last_error = ''
			WHERE id = ?`, string(h.State), h.Reason, transport, form, now, answered, have.ID); err != nil {
			return receipts.Delivery{}, fmt.Errorf("record the hand-over of %s: %w", document, err)
		}
		detail, _ := json.Marshal(map[string]string{"state": string(h.State), "transport": transport, "sha256": have.SHA256, "provider_ref": h.Ref})
		if err := tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "receipts.delivery." + string(h.State),
			Object: "tax_document:" + document, Reason: h.Reason, Detail: detail}); err != nil {
			return receipts.Delivery{}, err
		}
		return txDelivery(ctx, tx, document)
	})
}

// DeliveryFailed records a hand-over that did not happen: the document
// stays queued. When outage is true (the provider unreachable, the drop
// folder missing) the first such failure marks the start of an outage until
// a hand-over succeeds; a document refused for itself (a name taken by
// other content) is not an outage.
func (db *DB) DeliveryFailed(ctx context.Context, document string, cause error, outage bool) error {
	return db.WithTx(ctx, func(tx *Tx) error {
		msg := cause.Error()
		if len(msg) > 500 {
			msg = msg[:500]
		}
		_, err := tx.ExecContext(ctx, `UPDATE tax_deliveries SET attempts = attempts + 1, last_error = ?,
			first_failure_at = CASE WHEN ? THEN COALESCE(first_failure_at, ?) ELSE first_failure_at END
			WHERE document = ? AND state = 'queued'`, msg, outage, deliveryTime(tx.Now), document)
		if err != nil {
			return fmt.Errorf("record the failed hand-over of %s: %w", document, err)
		}
		return nil
	})
}

// ApplyAnswer records the tax office's answer about a document, with its
// audit line, in one transaction. The document must be one feepos handed
// over. The same answer twice changes nothing (changed false); a later
// answer replaces an earlier one (01/TB-KTDL with errors after a
// 01/TB-TNĐT that received it).
func (db *DB) ApplyAnswer(ctx context.Context, a receipts.Answer, actor auth.Actor) (_ receipts.Delivery, changed bool, _ error) {
	if err := a.Check(); err != nil {
		return receipts.Delivery{}, false, err
	}
	d, err := withTxValue(ctx, db, func(tx *Tx) (receipts.Delivery, error) {
		have, err := txDelivery(ctx, tx, a.Document)
		if err != nil {
			return receipts.Delivery{}, err
		}
		if have.State == a.Result && have.AnswerForm == a.Form && have.AnswerNumber == a.Number && have.Reason == a.Reason() {
			return have, nil
		}
		now := deliveryTime(tx.Now)
		if _, err := tx.ExecContext(ctx, `UPDATE tax_deliveries SET state = ?, reason = ?, answer_form = ?, answer_number = ?,
			answer_date = ?, tax_office_code = CASE WHEN ? <> '' THEN ? ELSE tax_office_code END,
			handed_over_at = COALESCE(handed_over_at, ?), answered_at = ?, first_failure_at = NULL, last_error = '' WHERE id = ?`,
			string(a.Result), a.Reason(), a.Form, a.Number, a.Date, a.TaxOfficeCode, a.TaxOfficeCode, now, now, have.ID); err != nil {
			return receipts.Delivery{}, fmt.Errorf("record the answer about %s: %w", a.Document, err)
		}
		detail, _ := json.Marshal(map[string]string{"form": a.Form, "number": a.Number, "date": a.Date,
			"before": string(have.State), "after": string(a.Result), "tax_office_code": a.TaxOfficeCode})
		if err := tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "receipts.delivery." + string(a.Result),
			Object: "tax_document:" + a.Document, Reason: a.Reason(), Detail: detail}); err != nil {
			return receipts.Delivery{}, err
		}
		changed = true
		return txDelivery(ctx, tx, a.Document)
	})
	return d, changed, err
}

func txDelivery(ctx context.Context, tx *Tx, document string) (receipts.Delivery, error) {
	var r deliveryRow
	err := tx.GetContext(ctx, &r, `SELECT `+deliveryCols+` FROM tax_deliveries WHERE document = ?`, document)
	if errors.Is(err, sql.ErrNoRows) {
		return receipts.Delivery{}, receipts.NotFoundf("no document %s was handed to the provider by feepos: check the name the answer gives (feepos receipts status lists what was handed over)", document)
	}
	if err != nil {
		return receipts.Delivery{}, fmt.Errorf("read delivery %s: %w", document, err)
	}
	return r.delivery(), nil
}

// Delivery is one document's delivery row; not found when feepos never
// handed it over.
func (db *DB) Delivery(ctx context.Context, document string) (receipts.Delivery, error) {
	var r deliveryRow
	err := db.db.GetContext(ctx, &r, `SELECT `+deliveryCols+` FROM tax_deliveries WHERE document = ?`, strings.TrimSpace(document))
	if errors.Is(err, sql.ErrNoRows) {
		return receipts.Delivery{}, receipts.NotFoundf("no document %s was handed to the provider by feepos", document)
	}
	if err != nil {
		return receipts.Delivery{}, fmt.Errorf("read delivery %s: %w", document, err)
	}
	return r.delivery(), nil
}

// OpenDeliveries lists the documents not accepted yet (queued, handed
// over, rejected), oldest first.
func (db *DB) OpenDeliveries(ctx context.Context) ([]receipts.Delivery, error) {
	var rows []deliveryRow
	if err := db.db.SelectContext(ctx, &rows, `SELECT `+deliveryCols+` FROM tax_deliveries
		WHERE state <> 'accepted' ORDER BY queued_at, id`); err != nil {
		return nil, fmt.Errorf("list the documents not accepted: %w", err)
	}
	out := make([]receipts.Delivery, len(rows))
	for i, r := range rows {
		out[i] = r.delivery()
	}
	return out, nil
}

// SummaryFilings lists the filings of one organisation's summary of one
// day, first filing first.
func (db *DB) SummaryFilings(ctx context.Context, orgCode, date string) ([]receipts.Delivery, error) {
	var rows []deliveryRow
	if err := db.db.SelectContext(ctx, &rows, `SELECT `+deliveryCols+` FROM tax_deliveries
		WHERE kind = 'summary' AND org_code = ? AND business_date = ? ORDER BY amendment`, orgCode, date); err != nil {
		return nil, fmt.Errorf("list the summaries of %s on %s: %w", orgCode, date, err)
	}
	out := make([]receipts.Delivery, len(rows))
	for i, r := range rows {
		out[i] = r.delivery()
	}
	return out, nil
}

// DeliveryPayload is the bytes of a recorded document, for a retry: the
// stored payload, or a receipt's signed XML.
func (db *DB) DeliveryPayload(ctx context.Context, d receipts.Delivery) ([]byte, error) {
	var b []byte
	var err error
	if d.Kind == receipts.DocReceipt {
		err = db.db.GetContext(ctx, &b, `SELECT xml FROM receipt_signatures WHERE receipt_id = ?`, d.ReceiptID)
	} else {
		err = db.db.GetContext(ctx, &b, `SELECT payload FROM tax_deliveries WHERE id = ?`, d.ID)
	}
	if err != nil {
		return nil, fmt.Errorf("read the content of %s: %w", d.Document, err)
	}
	return b, nil
}

// ReceiptRowID is the row id of a receipt, which a receipt's delivery row
// points to.
func (db *DB) ReceiptRowID(ctx context.Context, ref receipts.Ref) (int64, error) {
	var id int64
	err := db.db.GetContext(ctx, &id, `SELECT id FROM receipts WHERE template = ? AND series = ? AND number = ?`, ref.Template, ref.Series, ref.Number)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, receipts.NotFoundf("receipt %s %s does not exist", ref.Template, ref)
	}
	return id, err
}
