package payments

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"time"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/terminals"
	"github.com/feepos/feepos/receipts"
)

// Service runs the payment workflow.
type Service struct {
	db    *sqlite.DB
	terms *terminals.Manager // nil: cash only
	keys  receipts.Keys
	opt   Options
	log   *slog.Logger
}

// New makes the service; terms may be nil (no card terminals).
func New(db *sqlite.DB, terms *terminals.Manager, keys receipts.Keys, opt Options) *Service {
	s := &Service{db: db, terms: terms, keys: keys, opt: opt, log: opt.Log}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.opt.Clock == nil {
		s.opt.Clock = time.Now
	}
	if s.opt.Location == nil {
		s.opt.Location = receipts.Zone
	}
	if s.opt.Counter == "" {
		s.opt.Counter = "1"
	}
	return s
}

var errTODO = errors.New("payments: not implemented yet")

// CreateRequest creates a payment request; the same idempotency key and
// body again returns the same request (created false); the same key with
// another body is a conflict.
func (s *Service) CreateRequest(ctx context.Context, actor auth.Actor, idempotencyKey string, in NewRequest) (Request, bool, error) {
	return Request{}, false, errTODO
}

// Request reads one request with its payments.
func (s *Service) Request(ctx context.Context, id string) (Request, error) { return Request{}, errTODO }

// Requests lists requests, newest first, a page at a time.
func (s *Service) Requests(ctx context.Context, f Filter) (Page, error) { return Page{}, errTODO }

// CancelRequest cancels a pending request.
func (s *Service) CancelRequest(ctx context.Context, actor auth.Actor, id, reason string) (Request, error) {
	return Request{}, errTODO
}

// Charge charges a request by card or cash.
func (s *Service) Charge(ctx context.Context, actor auth.Actor, requestID string, in ChargeInput) (Payment, error) {
	return Payment{}, errTODO
}

// Payment reads one payment.
func (s *Service) Payment(ctx context.Context, id string) (Payment, error) { return Payment{}, errTODO }

// Wait waits until the payment is no longer processing.
func (s *Service) Wait(ctx context.Context, paymentID string) (Payment, error) {
	return Payment{}, errTODO
}

// Settle settles a payment in needs_review.
func (s *Service) Settle(ctx context.Context, actor auth.Actor, paymentID, outcome, reason string) (Payment, error) {
	return Payment{}, errTODO
}

// Reverse reverses a card payment on its terminal the same business day.
func (s *Service) Reverse(ctx context.Context, actor auth.Actor, paymentID, reason string) (Payment, error) {
	return Payment{}, errTODO
}

// Refund refunds a payment on a later day.
func (s *Service) Refund(ctx context.Context, actor auth.Actor, paymentID, reason string) (Payment, error) {
	return Payment{}, errTODO
}

// CloseShift closes the cashier's cash-drawer shift.
func (s *Service) CloseShift(ctx context.Context, actor auth.Actor, counted int64, note string) (Shift, error) {
	return Shift{}, errTODO
}

// Recover records late the charges the terminal manager settled charged
// and puts unproven ones in needs_review.
func (s *Service) Recover(ctx context.Context) error { return errTODO }
