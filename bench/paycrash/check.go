package main

import (
	"context"
	"fmt"
	"regexp"
	"sort"
)

// The check compares what feepos recorded with what the terminals did
// (their journals: the truth) and what reached the dossier system (the
// webhook receiver). Every request of a run has a total of its own, so a
// journal transaction names its request by its amount.

// violation is one breach of the rules.
type violation struct {
	Rule    string `json:"rule"`
	Request string `json:"request,omitempty"`
	Detail  string `json:"detail"`
}

// review is a request feepos left in needs_review, with what the
// terminal really did.
type review struct {
	Request  string `json:"request"`
	Terminal string `json:"terminal"`
	Total    int64  `json:"total"`
	Reason   string `json:"reason"`
	Charged  bool   `json:"truth_charged"` // what the journal says (the person finds it on the printed slip)
	Fault    string `json:"fault,omitempty"`
	Journal  string `json:"journal"` // the terminal's transactions of that amount
}

// report is the run's outcome.
type report struct {
	Seed       uint64         `json:"seed"`
	Elapsed    string         `json:"elapsed"`
	Kills      int            `json:"kills"`
	KillPlans  map[string]int `json:"kill_plans"`
	Restarts   int            `json:"restarts"`
	Incomplete string         `json:"incomplete,omitempty"`

	Requests      int            `json:"requests"`
	ChargeCalls   int            `json:"charge_calls"`  // POST …/charge sent
	ChargesTaken  int            `json:"charges_taken"` // answered 202
	ChargesLost   int            `json:"charges_unanswered"`
	Statuses      map[string]int `json:"statuses"` // requests by final status
	TerminalTx    int            `json:"terminal_transactions"`
	ApprovedKept  int            `json:"approved_kept"`  // charges the terminals kept
	Reversed      int            `json:"reversed"`       // approvals the terminals reversed (not acknowledged, refused)
	Declined      int            `json:"declined"`       // declined, aborted, hung: nothing charged
	Faults        map[string]int `json:"faults"`         // the terminals' faults, by kind
	Replugs       int            `json:"replugs"`        // hang_up: a new pseudo-terminal
	Paid          int            `json:"paid"`           // requests feepos has as paid
	Voided        int            `json:"voided"`         // payments recorded, then voided (the terminal reversed them)
	NeedsReview   []review       `json:"needs_review"`   // each with its reason
	ReviewReasons map[string]int `json:"review_reasons"` // counted by reason
	Webhooks      int            `json:"webhook_posts"`  // POSTs that reached the receiver
	WebhookFailed int            `json:"webhook_answered_500"`
	Redelivered   int            `json:"webhooks_redelivered"` // requests whose paid webhook came more than once (at least once)
	// ReviewUnambiguous: needs_review whose reason says the terminal's
	// evidence is final (the attempt reversed or settled not charged):
	// the issue wants those settled, not left for a person.
	ReviewUnambiguous int               `json:"needs_review_unambiguous"`
	AdminRetries      int               `json:"webhook_admin_retries"` // undelivered messages an admin retried while the run settled
	Receipts          int               `json:"receipts"`
	Verify            map[string]string `json:"verify"` // ledger verify, receipts verify, trial balance: "ok" or why not
	Violations        []violation       `json:"violations"`
	Notes             []string          `json:"notes,omitempty"`
}

func (h *harness) check(ctx context.Context) (*report, error) {
	rep := &report{Statuses: map[string]int{}, Faults: map[string]int{}, ReviewReasons: map[string]int{},
		Verify: map[string]string{}}
	bad := func(rule, req, format string, args ...any) {
		rep.Violations = append(rep.Violations, violation{Rule: rule, Request: req, Detail: fmt.Sprintf(format, args...)})
	}

	// The truth, by amount.
	byAmount := map[int64][]journalTx{}
	for _, t := range h.terms {
		rep.Replugs += t.Replugs()
		for _, tx := range t.journal() {
			if tx.Kind != "payment" {
				continue
			}
			rep.TerminalTx++
			if tx.Fault != "" {
				rep.Faults[string(t.Proto)+"/"+tx.Fault]++
			}
			switch {
			case tx.Charged:
				rep.ApprovedKept++
			case tx.Reversed:
				rep.Reversed++
			default:
				rep.Declined++
			}
			byAmount[tx.Amount] = append(byAmount[tx.Amount], tx)
		}
	}

	// What reached the dossier system.
	hooks := map[string][]delivery{}
	for _, d := range h.hook.deliveries() {
		rep.Webhooks++
		if d.Answer/100 != 2 {
			rep.WebhookFailed++
		}
		if !d.SigOK {
			bad("webhook signature", d.Event.PaymentRequestID, "%s", d.SigError)
		}
		hooks[d.Event.PaymentRequestID] = append(hooks[d.Event.PaymentRequestID], d)
	}

	db, err := openStore(ctx, h.fp.DB)
	if err != nil {
		return nil, err
	}
	defer db.close()

	h.mu.Lock()
	reqs := append([]*reqRec(nil), h.reqs...)
	h.mu.Unlock()
	known := map[int64]bool{}
	for _, r := range reqs {
		known[r.Total] = true
		if r.ID == "" {
			if len(byAmount[r.Total]) > 0 {
				bad("charge of no request", "", "the terminal ran %d đồng, the request (key %s) was never created", r.Total, r.Key)
			}
			continue
		}
		rep.Requests++
		rep.ChargeCalls += r.Charges + r.Unknown + r.Refused
		rep.ChargesTaken += r.Charges
		rep.ChargesLost += r.Unknown
		st, err := db.request(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		rep.Statuses[st.Status]++
		txs := byAmount[r.Total]
		kept, fault := 0, ""
		for _, tx := range txs {
			if tx.Charged {
				kept++
			}
			if tx.Fault != "" {
				fault = tx.Fault
			}
			if tx.Terminal != r.Terminal {
				bad("wrong terminal", r.ID, "charged on %s, the terminal %s ran it", r.Terminal, tx.Terminal)
			}
		}
		paidHooks := 0
		for _, d := range hooks[r.ID] {
			if d.Event.Status == "paid" && d.Answer/100 == 2 {
				paidHooks++
				if d.Event.Amount != r.Total {
					bad("webhook amount", r.ID, "the webhook says %d đồng, the request is %d", d.Event.Amount, r.Total)
				}
			}
		}
		if paidHooks > 1 {
			rep.Redelivered++
		}
		switch {
		case kept > 1:
			bad("charged twice", r.ID, "the terminal kept %d charges of %d đồng for one request", kept, r.Total)
		case st.Status == "needs_review":
			rv := review{Request: r.ID, Terminal: r.Terminal, Total: r.Total, Reason: st.Reason, Charged: kept == 1, Fault: fault,
				Journal: journalText(txs)}
			rep.NeedsReview = append(rep.NeedsReview, rv)
			rep.ReviewReasons[short(st.Reason)]++
			if unambiguous.MatchString(st.Reason) {
				rep.ReviewUnambiguous++
			}
		case kept == 1 && st.Status != "paid":
			bad("charge lost", r.ID, "the terminal kept the charge of %d đồng (fault %q), feepos has the request %s", r.Total, fault, st.Status)
		case kept == 0 && st.Status == "paid":
			bad("charge invented", r.ID, "feepos has the request paid, the terminal kept no charge of %d đồng (journal: %s)", r.Total, journalText(txs))
		}
		// A payment recorded, then found not charged (the terminal
		// reversed it after feepos recorded it), must have its ledger
		// entry reversed; its receipts follow docs/RECEIPTS.md.
		for _, p := range st.Payments {
			if p.Status == "voided" {
				rep.Voided++
			}
			if p.Status != "paid" && p.Status != "needs_review" && p.Entry.Valid && !p.Reversal.Valid {
				bad("recorded charge not undone", r.ID, "payment %s is %s (%s), but its ledger entry %d stands unreversed (journal: %s)",
					p.ID, p.Status, p.Message, p.Entry.Int64, journalText(txs))
			}
		}
		if st.Status == "paid" {
			rep.Paid++
			for _, p := range st.problems(r.Total) {
				bad("record incomplete", r.ID, "%s", p)
			}
			if paidHooks == 0 {
				bad("webhook missing", r.ID, "paid, but the dossier system never got (2xx) its paid webhook")
			}
		} else if paidHooks > 0 {
			// Told paid, then the terminal did not keep the charge: the
			// dossier system must have been told where the request is now
			// (webhooks come in order per request).
			var last webhookEvent
			for _, d := range hooks[r.ID] {
				if d.Answer/100 == 2 {
					last = d.Event
				}
			}
			if last.Status != st.Status {
				bad("webhook of nothing", r.ID, "the dossier system was told paid, and last %s (%s); the request is %s",
					last.Status, last.Event, st.Status)
			}
		}
	}
	for amount, txs := range byAmount {
		for _, tx := range txs {
			if !known[amount] && tx.Charged {
				bad("unknown charge", "", "terminal %s kept %d đồng (seq %d), no request of the run has that total", tx.Terminal, amount, tx.Seq)
			}
		}
	}
	if err := h.verify(ctx, db, rep); err != nil {
		return nil, err
	}
	sort.Slice(rep.NeedsReview, func(i, j int) bool { return rep.NeedsReview[i].Request < rep.NeedsReview[j].Request })
	return rep, nil
}

func journalText(txs []journalTx) string {
	if len(txs) == 0 {
		return "nothing"
	}
	s := ""
	for i, tx := range txs {
		if i > 0 {
			s += "; "
		}
		s += fmt.Sprintf("%s seq %d %s fault %q", tx.Terminal, tx.Seq, tx.Status, tx.Fault)
	}
	return s
}

// short makes a reason countable: ids and numbers masked, cut short.
func short(s string) string {
	s = attemptID.ReplaceAllString(s, "attempt …")
	s = digits.ReplaceAllString(s, "N")
	if r := []rune(s); len(r) > 140 {
		s = string(r[:140]) + "…"
	}
	return s
}

var (
	// A reason naming an attempt settled one way: not in doubt.
	unambiguous = regexp.MustCompile(`attempt [0-9a-z]+ (reversed|settled_not_charged|declined|aborted|failed|confirmed|settled_charged)\b`)
	attemptID   = regexp.MustCompile(`attempt [0-9a-z]+`)
	digits      = regexp.MustCompile(`[0-9]+`)
)
