package payments

import (
	"context"
	"io"
	"log/slog"
	"sync"

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

	bg     context.Context // the background card charges run in it
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	running map[string]chan struct{} // payment id → closed when its background charge ends
	recMu   sync.Mutex               // one Recover at a time
}

// New makes the service; terms may be nil (no card terminals).
func New(db *sqlite.DB, terms *terminals.Manager, keys receipts.Keys, opt Options) *Service {
	s := &Service{db: db, terms: terms, keys: keys, opt: opt, log: opt.Log, running: map[string]chan struct{}{}}
	s.bg, s.cancel = context.WithCancel(context.Background())
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.opt.Clock == nil {
		s.opt.Clock = db.Now
	}
	if s.opt.Location == nil {
		s.opt.Location = receipts.Zone
	}
	if s.opt.Counter == "" {
		s.opt.Counter = "1"
	}
	return s
}

// Close stops the background card charges' waiting (the terminal
// manager goes on with them; Recover records what they left).
func (s *Service) Close() {
	s.cancel()
	s.wg.Wait()
}
