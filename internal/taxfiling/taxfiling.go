// Package taxfiling hands the organisations' documents to the licensed
// provider and follows them until the tax office accepts them
// (docs/RECEIPTS.md "Delivery state and the tax office's answers", "Daily
// summary on a schedule"): every hand-over is recorded (state queued, then
// handed_over, accepted or rejected) in internal/sqlite's tax_deliveries,
// the tax office's answers are read from the provider's inbox folder (or
// its API), and the daily summary 01/TH-BLĐT is filed on a schedule, with
// amendments for what was issued after it.
//
// The CLI (feepos receipts export, summary --drop, notice --drop, status,
// inbox) and feepos serve (Scheduler) call this package; nothing else
// writes delivery state.
package taxfiling

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// Sign signs the XML doc of form (receipts.SummaryForm…) of org with org's
// own key; the CLI's and serve's key lookups both fit.
type Sign func(org receipts.Organisation, form string, doc []byte) ([]byte, error)

// KeySign signs with keys, refusing a key whose certificate carries
// another tax code than the organisation's (as the CLI and the accountant's
// page do): each organisation signs what it sends with its own certificate.
func KeySign(keys receipts.Keys) Sign {
	return func(org receipts.Organisation, form string, doc []byte) ([]byte, error) {
		signer, err := keys.SignerFor(org.Code)
		if err != nil {
			return nil, fmt.Errorf("sign %s of %s: %w", form, org.Code, err)
		}
		if ok, codes := receipts.CertificateOfTaxCode(signer.Certificate(), org.TaxCode); !ok {
			return nil, receipts.Invalidf("sign %s of %s: the key for %s carries tax code(s) %s, not %s: add a [[receipts.signers]] entry with org_code = %q",
				form, org.Code, org.Code, strings.Join(codes, ", "), org.TaxCode, org.Code)
		}
		return signer.SignXML(doc)
	}
}

// Service hands documents over and records their state.
type Service struct {
	DB *sqlite.DB
	// To is the provider: receipts.FileDrop, or the HTTP adapter
	// (receipts/provider).
	To receipts.Transmitter
	// Transport names To in the records: "file" or "http".
	Transport string
	// Sign signs summaries; nil hands them over unsigned (a provider that
	// signs them itself).
	Sign  Sign
	Actor auth.Actor
	Log   *slog.Logger
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// HandOver records d (queued), hands payload to the provider and records
// the outcome with its audit line. A document already handed over with the
// same bytes is not sent again: its record is returned as it stands. A
// failed hand-over leaves it queued (Retry sends it again) and returns the
// error.
func (s *Service) HandOver(ctx context.Context, d receipts.Delivery, payload []byte) (receipts.Delivery, error) {
	if s.To == nil {
		return receipts.Delivery{}, receipts.Invalidf("no provider is configured: set [receipts.provider] in the config file, or give --drop DIR")
	}
	sum := sha256.Sum256(payload)
	d.SHA256 = hex.EncodeToString(sum[:])
	d.Transport = s.Transport
	rec, _, err := s.DB.QueueDelivery(ctx, d, payload)
	if err != nil {
		return receipts.Delivery{}, err
	}
	if rec.State != receipts.DeliveryQueued {
		return rec, nil
	}
	return s.send(ctx, rec, payload)
}

func (s *Service) send(ctx context.Context, rec receipts.Delivery, payload []byte) (receipts.Delivery, error) {
	h, err := receipts.Submit(ctx, s.To, rec.Kind, rec.Document, payload)
	if err != nil && ctx.Err() != nil {
		// Stopped (serve shutting down): not a failure of the provider;
		// the document stays queued and goes at the next run.
		return rec, err
	}
	if err != nil {
		if ferr := s.DB.DeliveryFailed(context.WithoutCancel(ctx), rec.Document, err, !refused(err)); ferr != nil {
			return rec, errors.Join(err, ferr)
		}
		s.log().Warn("hand-over to the provider failed; the document stays queued and is sent again",
			"document", rec.Document, "transport", s.Transport, "err", err)
		return rec, fmt.Errorf("hand %s to the provider: %w", rec.Document, err)
	}
	out, err := s.DB.DeliveryHandedOver(context.WithoutCancel(ctx), rec.Document, s.Transport, h, s.Actor)
	if err != nil {
		return rec, err
	}
	if out.State == receipts.DeliveryRejected {
		s.log().Warn("the provider refused a document", "document", out.Document, "reason", out.Reason)
	}
	return out, nil
}

// Retry hands over again every document still queued (a failed hand-over,
// or a process stopped between the record and the send), oldest first, and
// says how many went. It stops at the first failure of the provider (still
// unreachable: the rest would fail too) but goes past a document refused
// for itself (a conflict or an invalid document, errors with a code: a
// person looks at it in receipts status), so one cannot hold back the rest.
func (s *Service) Retry(ctx context.Context) (int, error) {
	open, err := s.DB.OpenDeliveries(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, d := range open {
		if d.State != receipts.DeliveryQueued {
			continue
		}
		payload, err := s.DB.DeliveryPayload(ctx, d)
		if err != nil {
			return n, err
		}
		if _, err := s.send(ctx, d, payload); err != nil {
			if refused(err) {
				continue
			}
			return n, err
		}
		n++
	}
	return n, nil
}

// Filing is the outcome of FileSummary.
type Filing struct {
	Delivery receipts.Delivery
	Summary  receipts.DailySummary
	// Filed is false when there was nothing new to file: the last filing
	// (Delivery) already covers every receipt of the day.
	Filed bool
}

// FileSummary files org's summary of date: the first filing when there is
// none yet (even of a day without receipts: it says none was issued), else
// an amendment listing the receipts issued after the last filing, or
// nothing when there are none. Signed with Sign when set.
func (s *Service) FileSummary(ctx context.Context, org, date string) (Filing, error) {
	filings, err := s.DB.SummaryFilings(ctx, org, date)
	if err != nil {
		return Filing{}, err
	}
	var after int64
	next := len(filings)
	if next > 0 {
		after = filings[next-1].ThroughReceiptID
	}
	sum, through, err := s.DB.DailySummaryAfter(ctx, org, date, after)
	if err != nil {
		return Filing{}, err
	}
	if next > 0 && through == after {
		last := filings[next-1]
		if last.State == receipts.DeliveryQueued {
			// The last filing did not reach the provider: send it now.
			payload, err := s.DB.DeliveryPayload(ctx, last)
			if err != nil {
				return Filing{}, err
			}
			d, err := s.send(ctx, last, payload)
			return Filing{Delivery: d, Summary: sum, Filed: err == nil}, err
		}
		return Filing{Delivery: last, Summary: sum}, nil
	}
	sum.Amendment = next
	doc, err := receipts.SummaryXML(sum)
	if err != nil {
		return Filing{}, err
	}
	if s.Sign != nil {
		if doc, err = s.Sign(sum.Org, receipts.SummaryForm, doc); err != nil {
			return Filing{}, err
		}
	}
	d, err := s.HandOver(ctx, receipts.Delivery{Document: sum.FileName("xml"), Kind: receipts.DocSummary, OrgCode: sum.Org.Code,
		Date: date, Amendment: next, ThroughReceiptID: through}, doc)
	if err == nil {
		s.log().Info("daily summary handed over", "org", org, "date", date, "filing", sum.FilingWords(),
			"document", d.Document, "rows", len(sum.Rows), "state", d.State)
	}
	return Filing{Delivery: d, Summary: sum, Filed: d.ID != 0}, err
}

// Poll asks a provider that can say (receipts.Poller) where the documents
// handed over stand, and records its answers. Without a poller it does
// nothing.
func (s *Service) Poll(ctx context.Context) (int, error) {
	p, ok := s.To.(receipts.Poller)
	if !ok {
		return 0, nil
	}
	open, err := s.DB.OpenDeliveries(ctx)
	if err != nil {
		return 0, err
	}
	var names []string
	for _, d := range open {
		if d.State == receipts.DeliveryHandedOver {
			names = append(names, d.Document)
		}
	}
	if len(names) == 0 {
		return 0, nil
	}
	answers, err := p.Poll(ctx, names)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, a := range answers {
		if _, changed, err := s.DB.ApplyAnswer(ctx, a, s.Actor); err != nil {
			s.log().Warn("provider status not recorded", "document", a.Document, "err", err)
		} else if changed {
			n++
		}
	}
	return n, nil
}

// refused says whether a hand-over failed because of the document itself (a
// conflict, an invalid document or setting: a code the caller gave), not
// because the provider could not be reached.
func refused(err error) bool {
	c := apperr.Code(err)
	return c == apperr.Conflict || c == apperr.Invalid
}
