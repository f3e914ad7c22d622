package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/feepos/feepos/receipts"
)

// Signed receipts (docs/RECEIPTS.md, "Signature"), and the check of every
// signature and daily closure; signing a closure is in receipts_closure.go.
// The signed XML is stored in the transaction that issues the receipt, so a
// receipt and its signature commit together or not at all.

const sqlInsertSignature = `INSERT INTO receipt_signatures (receipt_id, cert_fingerprint, xml) VALUES (?, ?, ?)`

// IssueSignedReceipt issues a receipt in its own transaction, signed by its
// organisation's signer from keys, and returns it with its signed XML. It
// shares a group commit with the other writes of the moment (groupcommit.go),
// so receipts issued at several counters at once are signed in parallel and
// stored by one durable commit.
func (db *DB) IssueSignedReceipt(ctx context.Context, nr receipts.NewReceipt, keys receipts.Keys) (receipts.Receipt, []byte, error) {
	var (
		out receipts.Receipt
		sig *pendingSignature
	)
	err := db.inGroup(ctx, func(ctx context.Context, tx *Tx) error {
		var err error
		out, sig, err = tx.issueSigned(ctx, nr, keys)
		return err
	})
	if err != nil {
		return receipts.Receipt{}, nil, err
	}
	return out, sig.signed, nil
}

// IssueSignedReceipt issues the receipt inside tx (Tx.IssueReceipt) and has
// its XML signed by its organisation's signer from keys. The signing (an
// RSA signature, most of the cost of a receipt) runs on another goroutine
// while tx goes on; Commit waits for it and stores the signed XML in tx, so
// the receipt and its signature commit together or not at all. Read the
// signed XML after the commit with DB.SignedReceiptXML.
func (tx *Tx) IssueSignedReceipt(ctx context.Context, nr receipts.NewReceipt, keys receipts.Keys) (receipts.Receipt, error) {
	r, _, err := tx.issueSigned(ctx, nr, keys)
	return r, err
}

func (tx *Tx) issueSigned(ctx context.Context, nr receipts.NewReceipt, keys receipts.Keys) (receipts.Receipt, *pendingSignature, error) {
	if keys == nil {
		return receipts.Receipt{}, nil, errors.New("issue signed receipt: no signer (configure [receipts] in the config file, or use --demo)")
	}
	s, err := keys.SignerFor(nr.OrgCode)
	if err != nil {
		return receipts.Receipt{}, nil, err
	}
	var sig *pendingSignature
	mark := tx.savepoint()
	r, err := tx.issueReceipt(ctx, nr, func(r receipts.Receipt) { sig = tx.sign(r, s) })
	if err != nil {
		tx.rollbackTo(mark) // the receipt is not stored: neither is its signature
		return receipts.Receipt{}, nil, err
	}
	return r, sig, nil
}

// A pendingSignature is a receipt's XML being signed.
type pendingSignature struct {
	receiptID   int64
	ref         receipts.Ref
	fingerprint string
	done        chan struct{}
	signed      []byte // set before done is closed
	err         error
}

// sign writes and signs a receipt's XML. The number and the chain are
// already fixed in tx: the signature covers them, and nothing it produces
// feeds back into the chain. In a group commit of several writes it starts
// at once on another goroutine (at most GOMAXPROCS for the whole database),
// so the receipts of the batch are signed in parallel while the leader
// writes the next ones; alone, it signs on the caller's goroutine, since
// handing one signature to an idle CPU costs more than it overlaps
// (docs/BENCHMARKS.md).
func (tx *Tx) sign(r receipts.Receipt, s receipts.Signer) *pendingSignature {
	p := &pendingSignature{receiptID: r.ID, ref: r.Ref, fingerprint: receipts.CertFingerprint(s.Certificate()), done: make(chan struct{})}
	tx.signatures = append(tx.signatures, p)
	work := func() {
		defer close(p.done)
		p.signed, p.err = receipts.SignReceipt(r, s)
	}
	if !tx.parallelSign {
		work()
		return p
	}
	go func() {
		tx.db.signers <- struct{}{}
		defer func() { <-tx.db.signers }()
		work()
	}()
	return p
}

// storeSignatures waits for the signatures started in tx and stores them.
// Called by the commit, never twice for one signature.
func (tx *Tx) storeSignatures(ctx context.Context) error {
	if len(tx.signatures) == 0 {
		return nil
	}
	pending := tx.signatures
	tx.signatures = nil
	for _, p := range pending { // wait for all, so none outlives a failure unseen
		<-p.done
	}
	ins, err := tx.stmt(ctx, sqlInsertSignature)
	if err != nil {
		return err
	}
	for _, p := range pending {
		if p.err != nil {
			return fmt.Errorf("receipt %s: %w", p.ref, p.err)
		}
		if _, err := ins.ExecContext(ctx, p.receiptID, p.fingerprint, string(p.signed)); err != nil {
			return fmt.Errorf("store signature of receipt %s: %w", p.ref, err)
		}
	}
	return nil
}

// SignedReceiptXML is the stored signed XML of one receipt.
func (db *DB) SignedReceiptXML(ctx context.Context, template, series string, number int64) ([]byte, error) {
	ref := receipts.Ref{Template: strings.TrimSpace(template), Series: strings.ToUpper(strings.TrimSpace(series)), Number: number}
	if err := ref.Validate(); err != nil {
		return nil, err
	}
	var doc sql.NullString
	err := db.db.GetContext(ctx, &doc, `SELECT s.xml FROM receipts r LEFT JOIN receipt_signatures s ON s.receipt_id = r.id
		WHERE r.template = ? AND r.series = ? AND r.number = ?`, ref.Template, ref.Series, ref.Number)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, receipts.NotFoundf("receipt %s %s does not exist", ref.Template, ref)
	case err != nil:
		return nil, fmt.Errorf("read signed XML of %s: %w", ref, err)
	case !doc.Valid:
		return nil, receipts.NotFoundf("receipt %s %s is not signed: it was issued without a signature", ref.Template, ref)
	}
	return []byte(doc.String), nil
}

// VerifyReceiptSignatures runs VerifyReceipts, then checks every receipt's
// signed XML in issue order (a receipt without one is unsigned; one whose
// signature fails, or whose signed content differs from the stored receipt,
// is named with what differs) and every daily closure (its signature, and
// its counts, totals and chain heads against the receipts as stored). trust
// says which signing certificates are accepted; the zero Trust accepts the
// certificate each document carries.
func (db *DB) VerifyReceiptSignatures(ctx context.Context, trust receipts.Trust) (receipts.SignatureReport, error) {
	base, err := db.VerifyReceipts(ctx)
	rep := receipts.SignatureReport{VerifyReport: base}
	if err != nil || !base.OK {
		return rep, err
	}
	conn, err := db.db.Connx(ctx)
	if err != nil {
		return rep, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "BEGIN DEFERRED"); err != nil {
		return rep, fmt.Errorf("verify signatures: %w", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")

	fail := func(bad, problem string) (receipts.SignatureReport, error) {
		rep.OK, rep.Bad, rep.Problem = false, bad, problem
		return rep, nil
	}

	const batch = 500
	var maxID int64
	if err := conn.GetContext(ctx, &maxID, `SELECT COALESCE(MAX(id), 0) FROM receipts`); err != nil {
		return rep, fmt.Errorf("verify signatures: %w", err)
	}
	for lo := int64(0); lo < maxID; lo += batch {
		rs, err := loadReceipts(ctx, conn, `r.id > ? AND r.id <= ?`, lo, lo+batch)
		if err != nil {
			return rep, fmt.Errorf("verify signatures: %w", err)
		}
		var sigs []struct {
			ReceiptID int64  `db:"receipt_id"`
			XML       string `db:"xml"`
		}
		if err := conn.SelectContext(ctx, &sigs, `SELECT receipt_id, xml FROM receipt_signatures
			WHERE receipt_id > ? AND receipt_id <= ?`, lo, lo+batch); err != nil {
			return rep, fmt.Errorf("verify signatures: %w", err)
		}
		byID := make(map[int64]string, len(sigs))
		for _, s := range sigs {
			byID[s.ReceiptID] = s.XML
		}
		for _, r := range rs {
			doc, ok := byID[r.ID]
			if !ok {
				return fail(r.Ref.String(), "receipt "+r.Ref.String()+" is not signed: no signed XML is stored for it (issued without a signature, or its signature was deleted)")
			}
			if err := receipts.CheckSignedReceipt([]byte(doc), r, trust); err != nil {
				return fail(r.Ref.String(), err.Error())
			}
			rep.Signed++
		}
	}

	var closures []struct {
		Date     string `db:"business_date"`
		ClosedAt string `db:"closed_at"`
		XML      string `db:"xml"`
	}
	if err := conn.SelectContext(ctx, &closures, `SELECT business_date, closed_at, xml FROM receipt_closures ORDER BY business_date`); err != nil {
		return rep, fmt.Errorf("verify closures: %w", err)
	}
	for _, cl := range closures {
		want, err := computeClosure(ctx, conn, cl.Date, cl.ClosedAt)
		if err != nil {
			return rep, err
		}
		if err := receipts.CheckSignedClosure([]byte(cl.XML), want, trust); err != nil {
			return fail("closure "+cl.Date, err.Error())
		}
		rep.Closures++
	}
	return rep, nil
}
