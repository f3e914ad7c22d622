package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/internal/signing"
	"github.com/feepos/feepos/receipts"
)

// receiptsReplaceCommand is "feepos receipts replace": an operator's
// correction of a receipt by a replacement receipt
// (payments.Service.ReplaceReceipt; docs/RECEIPTS.md "Replacement and
// status"). Flags only: the rules and the one transaction are the
// workflow's, as for POST /api/v1/receipts/{template}/{series}/{number}/replace.
func (a *app) receiptsReplaceCommand() *cobra.Command {
	var (
		reason, payerName, payerAddress, payerTaxCode, payerID, linesFile string
		fees                                                              []string
	)
	cmd := &cobra.Command{
		Use:   "replace TEMPLATE SERIES NUMBER --reason TEXT [changes] [--json]",
		Short: "Correct a receipt by issuing a replacement receipt that names it and its date",
		Long: `Issues a receipt that replaces a wrong one (Circular 91/2026/TT-BTC Art. 20):
numbered next in the same organisation's series, signed, printing
"Thay thế cho biên lai mẫu số …, ký hiệu …, số … ngày dd/mm/yyyy". The original
stays as issued and reads as replaced (its /verify page links the
replacement). A receipt is replaced once; replace the replacement if it is
wrong too. Everything is one transaction, audited with --reason.

Changes (at least one): --payer-name, --payer-address, --payer-id, and the
fee lines, either --fee CODE=AMOUNT (repeatable: that fee's line gets AMOUNT
đồng, 0 removes it, a fee not on the receipt is added) or --lines FILE (the
whole new set, a JSON array [{"fee_code","quantity","amount"}] as in a
payment request). The money side:
  same total   no money moves (a payer's details, fees moved between codes);
  lower total  the difference is owed back to the payer: a pending refund
               and its ledger entry (fees collected debited, 3388 Phải trả
               khác credited) are recorded with the replacement;
  higher total refused: create a payment request for the further charge
               (its payment issues its own receipt).`,
		Example: `  feepos receipts replace EBL01 26TAA 7 --reason "Sai tên người nộp" --payer-name "Nguyễn Văn Anh"
  feepos receipts replace EBL01 26TAA 8 --reason "Thu thừa phí bản sao" --fee P-BS=4000 --json`,
		Args: exactArgs(3, "a template, a series and a number: feepos receipts replace EBL01 26TAA 7 --reason TEXT …"),
		RunE: func(cmd *cobra.Command, args []string) error {
			number, err := parseReceiptNumber(args[2])
			if err != nil {
				return err
			}
			if strings.TrimSpace(reason) == "" {
				return usagef("--reason is required: say what was wrong on the receipt (it is audited)")
			}
			in := payments.Replacement{Reason: reason}
			f := cmd.Flags()
			set := func(name, v string) *string {
				if f.Changed(name) {
					return &v
				}
				return nil
			}
			in.Payer = payments.PayerChange{Name: set("payer-name", payerName), Address: set("payer-address", payerAddress),
				IDNumber: set("payer-id", payerID), TaxCode: set("payer-tax-code", payerTaxCode)}
			if linesFile != "" && len(fees) > 0 {
				return usagef("give --lines FILE (the whole new set of fee lines) or --fee CODE=AMOUNT (changes of single lines), not both")
			}
			if linesFile != "" {
				if in.Items, err = readReplaceLines(linesFile); err != nil {
					return err
				}
			}
			for _, s := range fees {
				fa, err := parseFeeAmount(s)
				if err != nil {
					return err
				}
				in.Fees = append(in.Fees, fa)
			}
			if in.Payer == (payments.PayerChange{}) && in.Items == nil && in.Fees == nil {
				return usagef("say what to change: --payer-name, --payer-address, --payer-id, --fee CODE=AMOUNT or --lines FILE")
			}

			ctx := cmd.Context()
			db, cfg, err := a.openWriting(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			keys, err := signing.ReceiptKeys(cfg.Receipts, a.databasePath(cfg))
			if err != nil {
				return err
			}
			svc := payments.New(db, nil, keys, payments.Options{VerifyBase: defaultVerifyBase(cfg)})
			defer svc.Close()
			res, err := svc.ReplaceReceipt(ctx, cliActor(), receipts.Ref{Template: args[0], Series: args[1], Number: number}, in)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(res)
			}
			r := res.Receipt
			fmt.Fprintf(a.stdout, "Đã lập biên lai thay thế %s %s (%s đ): %s\n", r.Template, r.Ref, vnd(r.Total),
				receipts.ReplacesWords(*r.Replaces, r.ReplacesDate))
			switch {
			case res.Refund != nil:
				fmt.Fprintf(a.stdout, "Số tiền phải hoàn trả người nộp: %s đ (chờ hoàn trả, bút toán %d)\n", vnd(res.Refund.Amount), res.Refund.LedgerEntry)
			case res.LedgerEntry != 0:
				fmt.Fprintf(a.stdout, "Tổng tiền không đổi; các dòng phí được điều chỉnh (bút toán %d)\n", res.LedgerEntry)
			default:
				fmt.Fprintln(a.stdout, "Tổng tiền không đổi")
			}
			fmt.Fprintf(a.stdout, "Tra cứu: %s\n", res.Replacement.VerifyURL)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&reason, "reason", "", "what was wrong on the receipt (required, audited)")
	f.StringVar(&payerName, "payer-name", "", "the payer's right name")
	f.StringVar(&payerAddress, "payer-address", "", "the payer's right address (empty: none)")
	f.StringVar(&payerID, "payer-id", "", "the payer's right ID number (CCCD/passport; empty: none)")
	f.StringVar(&payerTaxCode, "payer-tax-code", "", "the payer's tax code (MST)")
	f.StringVar(&linesFile, "lines", "", `JSON file of the replacement's whole set of fee lines: [{"fee_code":"LP-HT","quantity":1,"amount":8000}]`)
	f.StringArrayVar(&fees, "fee", nil, "CODE=AMOUNT: that fee's line gets AMOUNT đồng (0 removes it; repeat for several)")
	return cmd
}

// parseFeeAmount reads --fee CODE=AMOUNT.
func parseFeeAmount(s string) (payments.FeeAmount, error) {
	code, amount, ok := strings.Cut(s, "=")
	code = strings.TrimSpace(code)
	if !ok || code == "" {
		return payments.FeeAmount{}, usagef("--fee %q: write CODE=AMOUNT, e.g. --fee LP-HT=8000 (0 removes the line)", s)
	}
	n, err := parseAmountArg(strings.TrimSpace(amount))
	if err != nil {
		return payments.FeeAmount{}, usagef("--fee %q: %v", s, err)
	}
	return payments.FeeAmount{FeeCode: code, Amount: n}, nil
}

// readReplaceLines reads --lines FILE: a JSON array of fee lines.
func readReplaceLines(path string) ([]payments.NewItem, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usagef("--lines: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var items []payments.NewItem
	if err := dec.Decode(&items); err != nil {
		return nil, usagef("--lines %s: not a JSON array of fee lines [{\"fee_code\",\"quantity\",\"amount\"}]: %v", path, err)
	}
	if len(items) == 0 {
		return nil, usagef("--lines %s holds no fee line: a receipt has at least one", path)
	}
	for i, it := range items {
		if strings.TrimSpace(it.FeeCode) == "" {
			return nil, usagef("--lines %s: line %s has no fee_code", path, strconv.Itoa(i+1))
		}
	}
	return items, nil
}
