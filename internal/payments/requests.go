package payments

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/catalogue"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/receipts"
)

// CreateRequest creates a payment request. The same client, idempotency
// key and body again returns the same request (created false); the same
// key with another body is a conflict. Each line's fee code must be in
// the catalogue and its amount quantity × the catalogue's unit amount
// where it has one (else unprocessable, naming the line).
func (s *Service) CreateRequest(ctx context.Context, actor auth.Actor, idempotencyKey string, in NewRequest) (Request, bool, error) {
	key := strings.TrimSpace(idempotencyKey)
	if key == "" {
		return Request{}, false, invalid("the Idempotency-Key header is required: send a key unique to this request (e.g. the dossier code and a counter)")
	}
	in.DossierCode = strings.TrimSpace(in.DossierCode)
	in.Payer.Name = strings.TrimSpace(in.Payer.Name)
	in.CallbackURL = strings.TrimSpace(in.CallbackURL)
	if in.DossierCode == "" {
		return Request{}, false, invalid("dossier_code is required")
	}
	if in.Payer.Name == "" {
		return Request{}, false, invalid("payer.name is required: the receipt is issued in the payer's name")
	}
	in.Payer.TaxCode, in.Payer.IDNumber = strings.TrimSpace(in.Payer.TaxCode), strings.TrimSpace(in.Payer.IDNumber)
	if in.Payer.TaxCode != "" {
		if err := receipts.CheckTaxCode(in.Payer.TaxCode); err != nil {
			return Request{}, false, invalid("payer.tax_code: %s; leave it out when the payer has none", err.Error())
		}
	}
	if len(in.Items) == 0 {
		return Request{}, false, invalid("items is empty: list the dossier's fee lines")
	}
	if len(in.Items) > 100 {
		return Request{}, false, invalid("%d items: a request holds at most 100 fee lines", len(in.Items))
	}
	if in.CallbackURL != "" {
		u, err := url.Parse(in.CallbackURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Request{}, false, invalid("callback_url %q is not an absolute http(s) address", in.CallbackURL)
		}
	}
	for i := range in.Items {
		in.Items[i].FeeCode = strings.TrimSpace(in.Items[i].FeeCode)
		if in.Items[i].Quantity == 0 {
			in.Items[i].Quantity = 1
		}
	}
	body, _ := json.Marshal(in)
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	var (
		out     Request
		created bool
	)
	err := s.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		prev, found, err := tx.PaymentRequestByKey(ctx, actor.ID, key)
		if err != nil {
			return err
		}
		if found {
			if prev.BodyHash != hash {
				return conflict("Idempotency-Key %q was used for payment request %s with another body: send a new key for a new request", key, prev.ID)
			}
			out, created = requestFromRow(prev), false
			return nil
		}
		row := sqlite.PaymentRequestRow{ID: newID("PR", tx.Now), ClientID: actor.ID, IdempotencyKey: key, BodyHash: hash,
			DossierCode: in.DossierCode, Currency: Currency, CallbackURL: in.CallbackURL, Status: string(RequestPending),
			CreatedAt: sqlite.StoreTime(tx.Now), UpdatedAt: sqlite.StoreTime(tx.Now)}
		payer, _ := json.Marshal(in.Payer)
		row.Payer = string(payer)
		for i, it := range in.Items {
			line, err := checkItem(ctx, tx, i, it)
			if err != nil {
				return err
			}
			if row.Total > receipts.MaxAmount-line.Amount {
				return unprocessable(i, "the total exceeds %d đồng: split the dossier's fees into several requests", receipts.MaxAmount)
			}
			row.Total += line.Amount
			row.Items = append(row.Items, line)
		}
		if in.Payer.IDNumber == "" {
			codes := make([]string, len(row.Items))
			for i, it := range row.Items {
				codes[i] = it.FeeCode
			}
			needed, err := tx.PayerIDRequired(ctx, codes...)
			if err != nil {
				return err
			}
			if needed {
				return invalid("payer.id_number is required: a fee of this dossier needs the payer's ID number (số định danh/CCCD) on the receipt (the catalogue's payer_id_required)")
			}
		}
		if err := tx.InsertPaymentRequest(ctx, row, actor.String()); err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"dossier_code": row.DossierCode, "total": row.Total, "idempotency_key": key})
		if err := tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "payment_request.create", Object: "payment_request:" + row.ID, Detail: detail}); err != nil {
			return err
		}
		out, created = requestFromRow(row), true
		return nil
	})
	if err != nil {
		return Request{}, false, err
	}
	if !created {
		r, err := s.Request(ctx, out.ID)
		return r, false, err
	}
	out.Payments = []Payment{}
	return out, true, nil
}

// checkItem checks line i against the catalogue.
func checkItem(ctx context.Context, tx *sqlite.Tx, i int, it NewItem) (sqlite.PaymentItemRow, error) {
	name := "items[" + strconv.Itoa(i) + "]"
	if it.FeeCode == "" {
		return sqlite.PaymentItemRow{}, unprocessable(i, "%s has no fee_code: give the catalogue's code of the fee", name)
	}
	fee, err := tx.FeeByCode(ctx, it.FeeCode)
	var unknown *catalogue.UnknownFeeError
	if errors.As(err, &unknown) {
		return sqlite.PaymentItemRow{}, unprocessable(i, "%s: %s", name, unknown.Error())
	}
	if err != nil {
		return sqlite.PaymentItemRow{}, err
	}
	if it.Quantity < 1 {
		return sqlite.PaymentItemRow{}, unprocessable(i, "%s (%s) has quantity %d: it is at least 1", name, it.FeeCode, it.Quantity)
	}
	if it.Amount <= 0 {
		return sqlite.PaymentItemRow{}, unprocessable(i, "%s (%s) has amount %d: amounts are positive whole đồng", name, it.FeeCode, it.Amount)
	}
	if it.Amount > receipts.MaxAmount {
		return sqlite.PaymentItemRow{}, unprocessable(i, "%s (%s) has amount %d, above the limit of %d đồng", name, it.FeeCode, it.Amount, receipts.MaxAmount)
	}
	row := sqlite.PaymentItemRow{Line: i + 1, FeeCode: fee.Code, Name: fee.Name, Kind: string(fee.Kind), OrgCode: fee.OrgCode,
		AgencyCode: fee.AgencyCode, Quantity: it.Quantity, Amount: it.Amount}
	if fee.UnitAmount != nil {
		unit := *fee.UnitAmount
		row.UnitAmount = sql.NullInt64{Int64: unit, Valid: true}
		if it.Quantity > math.MaxInt64/unit || it.Quantity*unit != it.Amount {
			return sqlite.PaymentItemRow{}, unprocessable(i, "%s (%s): amount %d is not quantity %d × unit amount %d = %d đồng of the catalogue: send the catalogue's amount",
				name, it.FeeCode, it.Amount, it.Quantity, unit, it.Quantity*unit)
		}
	}
	return row, nil
}

// Request reads one request with its payments.
// A dossier-system client sees only the requests it created (their
// client id is its token id, stored with the request); cashiers,
// accountants and admins see all. A request of another client is "does
// not exist" to it: it learns nothing of other clients' dossiers.
func visibleTo(actor auth.Actor, clientID string) bool {
	return actor.Role != auth.RoleDossierSystem || clientID == actor.ID
}

// RequestFor is Request as actor may see it: a dossier-system client's
// own requests only (else not_found).
func (s *Service) RequestFor(ctx context.Context, actor auth.Actor, id string) (Request, error) {
	r, err := s.Request(ctx, id)
	if err == nil && !visibleTo(actor, r.ClientID) {
		return Request{}, notFound("payment request %s does not exist", id)
	}
	return r, err
}

// PaymentFor is Payment as actor may see it: for a dossier-system client,
// only a payment of one of its own requests (else not_found).
func (s *Service) PaymentFor(ctx context.Context, actor auth.Actor, id string) (Payment, error) {
	p, err := s.Payment(ctx, id)
	if err != nil || actor.Role != auth.RoleDossierSystem {
		return p, err
	}
	row, err := s.db.PaymentRequest(ctx, p.PaymentRequestID)
	if err != nil {
		return Payment{}, err
	}
	if !visibleTo(actor, row.ClientID) {
		return Payment{}, notFound("payment %s does not exist", id)
	}
	return p, nil
}

// Request reads one request with its payments, whoever created it
// (RequestFor for an API client).
func (s *Service) Request(ctx context.Context, id string) (Request, error) {
	row, err := s.db.PaymentRequest(ctx, id)
	if errors.Is(err, sqlite.ErrNoPaymentRequest) {
		return Request{}, notFound("payment request %s does not exist", id)
	}
	if err != nil {
		return Request{}, err
	}
	return s.withPayments(ctx, requestFromRow(row))
}

func (s *Service) withPayments(ctx context.Context, r Request) (Request, error) {
	rows, err := s.db.PaymentsOfRequest(ctx, r.ID)
	if err != nil {
		return Request{}, err
	}
	r.Payments = make([]Payment, 0, len(rows))
	for _, p := range rows {
		pay, err := s.paymentFromRow(ctx, p)
		if err != nil {
			return Request{}, err
		}
		r.Payments = append(r.Payments, pay)
	}
	return r, nil
}

// Requests lists requests, newest first, a page at a time.
func (s *Service) Requests(ctx context.Context, f Filter) (Page, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	if f.Limit > 500 {
		f.Limit = 500
	}
	if f.Status != "" {
		switch RequestStatus(f.Status) {
		case RequestPending, RequestProcessing, RequestPaid, RequestNeedsReview, RequestCancelled, RequestRefunded:
		default:
			return Page{}, invalid("status %q: use pending, processing, paid, needs_review, cancelled or refunded", f.Status)
		}
	}
	rows, err := s.db.PaymentRequests(ctx, sqlite.PaymentRequestFilter{DossierCode: f.DossierCode, Status: f.Status, ClientID: f.ClientID,
		After: f.After, Limit: f.Limit + 1})
	if err != nil {
		return Page{}, err
	}
	page := Page{Items: []Request{}}
	for i, row := range rows {
		if i == f.Limit {
			page.Next = rows[i-1].ID
			break
		}
		r, err := s.withPayments(ctx, requestFromRow(row))
		if err != nil {
			return Page{}, err
		}
		page.Items = append(page.Items, r)
	}
	return page, nil
}

// CancelRequest cancels a pending request (one being charged, paid or in
// review is a conflict).
func (s *Service) CancelRequest(ctx context.Context, actor auth.Actor, id, reason string) (Request, error) {
	err := s.db.WithTx(ctx, func(tx *sqlite.Tx) error {
		row, err := tx.PaymentRequest(ctx, id)
		if errors.Is(err, sqlite.ErrNoPaymentRequest) {
			return notFound("payment request %s does not exist", id)
		}
		if err != nil {
			return err
		}
		if !visibleTo(actor, row.ClientID) {
			return notFound("payment request %s does not exist", id)
		}
		switch RequestStatus(row.Status) {
		case RequestCancelled:
			return nil // cancelling twice is harmless
		case RequestPending:
		default:
			return conflict("payment request %s is %s: only a pending request can be cancelled", id, row.Status)
		}
		if err := tx.SetPaymentRequestStatus(ctx, id, string(RequestCancelled), actor.String(), reason); err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, row, "payment_request.cancelled", string(RequestCancelled), nil, nil); err != nil {
			return err
		}
		return tx.Audit(ctx, auth.AuditEntry{Actor: actor, Action: "payment_request.cancel", Object: "payment_request:" + id, Reason: reason})
	})
	if err != nil {
		return Request{}, err
	}
	s.poke()
	return s.Request(ctx, id)
}

func requestFromRow(row sqlite.PaymentRequestRow) Request {
	r := Request{ID: row.ID, DossierCode: row.DossierCode, Status: RequestStatus(row.Status), Total: row.Total,
		Currency: row.Currency, CallbackURL: row.CallbackURL, ClientID: row.ClientID, Items: make([]Item, 0, len(row.Items))}
	_ = json.Unmarshal([]byte(row.Payer), &r.Payer)
	r.CreatedAt, _ = sqlite.ParseStoreTime(row.CreatedAt)
	r.UpdatedAt, _ = sqlite.ParseStoreTime(row.UpdatedAt)
	for _, it := range row.Items {
		item := Item{FeeCode: it.FeeCode, Name: it.Name, Kind: it.Kind, OrgCode: it.OrgCode, AgencyCode: it.AgencyCode,
			Quantity: it.Quantity, Amount: it.Amount}
		if it.UnitAmount.Valid {
			v := it.UnitAmount.Int64
			item.UnitAmount = &v
		}
		r.Items = append(r.Items, item)
	}
	return r
}
