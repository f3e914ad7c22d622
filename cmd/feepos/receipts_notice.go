package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/receipts"
)

// receiptsNoticeCommand is "feepos receipts notice": the error notice
// 04/SS-CTĐT (Circular 91/2026/TT-BTC Art. 20) of one organisation, for
// receipts with a mistake that does not need a replacement receipt, as
// signed XML to standard output, a file, or the provider's drop folder.
func (a *app) receiptsNoticeCommand() *cobra.Command {
	var (
		org, template, date, taxAuthority, place, out, drop string
		taxAuthorityCode, taxNoticeNumber, taxNoticeDate    string
		format                                              string
		noticeType                                          int
		refs, kinds, explanations                           []string
		unsigned                                            bool
	)
	cmd := &cobra.Command{
		Use:   "notice --org CODE --receipt SERIES-NUMBER --kind KIND --explanation TEXT [--receipt … --kind … --explanation …] [--type 1|2 [--tax-notice-number N --tax-notice-date D]] [--tax-authority NAME] [--format xml|html] [--out FILE | --drop DIR] [--unsigned]",
		Short: "Write an error notice for the tax authority (form 04/SS-CTĐT) for receipts with a mistake",
		Long: `Export the error notice (form 04/SS-CTĐT, Circular 91/2026/TT-BTC Art. 20) of one
collecting organisation: receipts are never edited or deleted; a mistake that
changes neither the tax code, the amount nor the fee is kept on the receipt and
explained to the tax authority with this notice, one row per receipt.

Each --receipt (SERIES-NUMBER, e.g. 26TAA-00000007 or 26TAA-7) is read from the
database and must belong to --org and still be in force (not replaced). Give
--kind and --explanation once for all the receipts, or once per --receipt, in
the same order. Kinds:
  payer_name       Sai tên người nộp
  payer_address    Sai địa chỉ người nộp
  payer_id_number  Sai số CCCD/hộ chiếu người nộp
  amount_in_words  Sai số tiền bằng chữ
  dossier_code     Sai mã hồ sơ
  other            Sai sót khác (say what in the explanation)
A wrong tax code, amount or fee, or a refund, is not reported here: issue a
receipt that replaces the wrong one.

--type 1 (the default) is the organisation's own notice: each row reads
"Thông báo". --type 2 answers the tax office's notice about receipts: give
that notice's --tax-notice-number and --tax-notice-date; each row reads
"Giải trình". The notice is addressed ("Kính gửi") to --tax-authority, else
to the organisation's [[receipts.tax_offices]] entry of the config, else to
[receipts] tax_office (with its code, mã cơ quan thuế, if set).

--format html writes the copy for people, laid out as the form (never
signed, never dropped for the provider); the XML is the document sent.

The XML is signed (enveloped XMLDSig, like a receipt) with the organisation's
own key, found as for receipts (docs/RECEIPTS.md, "Demo keys and
configuration"); without one the notice is refused: configure a key, or give
--unsigned when the licensed provider signs it itself.

Without --out or --drop the XML is written to standard output. --drop writes
04SS-CTDT_<MST>_<YYYYMMDD>.xml atomically into the provider's folder and never
overwrites a different file of that name: gather a day's mistakes in one
notice. With --json and no destination the notice is printed as JSON; with a
destination, what was written.`,
		Example: `  feepos receipts notice --org UBND-Q1 --receipt 26TAA-00000007 --kind payer_name \
      --explanation "Ghi sai tên người nộp: Nguyễn Văn Ann, đúng là Nguyễn Văn An" --drop /srv/einvoice/outbox
  feepos receipts notice --org UBND-Q1 --receipt 26TAA-7 --receipt 26TAA-9 --kind amount_in_words \
      --explanation "Số tiền bằng chữ ghi sai" --explanation "Số tiền bằng chữ thiếu chữ 'nghìn'" --out notice.xml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			org = strings.TrimSpace(org)
			if org == "" {
				return usagef("give the organisation: --org CODE")
			}
			rows, err := noticeRows(refs, kinds, explanations)
			if err != nil {
				return err
			}
			today := receipts.SummaryDate(time.Now())
			if date == "" {
				date = today
			}
			if _, _, err := receipts.ParseSummaryDate(date); err != nil {
				return usageError{err}
			}
			if date > today {
				return usagef("notice date %s is after today (%s): a notice is dated the day it is made", date, today)
			}
			if out != "" && drop != "" {
				return usagef("give --out FILE or --drop DIR, not both")
			}
			typ := receipts.NoticeType(noticeType)
			switch {
			case typ != receipts.OwnNotice && typ != receipts.AnswerToTaxOffice:
				return usagef("--type %d: use 1 (the organisation's own notice) or 2 (an answer to the tax office's notice)", noticeType)
			case typ == receipts.AnswerToTaxOffice && (strings.TrimSpace(taxNoticeNumber) == "" || strings.TrimSpace(taxNoticeDate) == ""):
				return usagef("--type 2 answers the tax office's notice: give its --tax-notice-number and --tax-notice-date YYYY-MM-DD")
			case typ == receipts.OwnNotice && (taxNoticeNumber != "" || taxNoticeDate != ""):
				return usagef("--tax-notice-number and --tax-notice-date name the tax office's notice a --type 2 notice answers: add --type 2, or leave them out")
			}
			if format != "xml" && format != "html" {
				return usagef("--format %q: use xml or html", format)
			}
			if format == "html" && drop != "" {
				return usagef("--format html is the copy for people: write it with --out, the provider's drop folder takes the XML")
			}

			ctx := cmd.Context()
			db, cfg, err := a.openReading(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			series, err := db.Series(ctx, org)
			if err != nil {
				return err
			}
			if strings.TrimSpace(taxAuthority) == "" {
				taxAuthority, taxAuthorityCode = cfg.Receipts.TaxOfficeFor(series.OrgCode)
			}
			if strings.TrimSpace(taxAuthority) == "" {
				return usagef("name the tax office the notice is addressed to (Kính gửi): --tax-authority NAME, or tax_office in [receipts] (or a [[receipts.tax_offices]] entry with org_code = %q) of the config", series.OrgCode)
			}
			n := receipts.ErrorNotice{
				Org:  receipts.Organisation{Code: series.OrgCode, Name: series.OrgName, TaxCode: series.TaxCode, Address: series.Address},
				Type: typ, TaxNoticeNumber: taxNoticeNumber, TaxNoticeDate: taxNoticeDate,
				TaxAuthority: taxAuthority, TaxAuthorityCode: taxAuthorityCode, Place: place, Date: date,
			}
			for _, row := range rows {
				r, err := db.Receipt(ctx, template, row.ref.Series, row.ref.Number)
				if err != nil {
					return err
				}
				if r.Org.Code != series.OrgCode {
					return receipts.Invalidf("receipt %s is %s's (%s), not %s's: each organisation reports its own receipts; run the notice with --org %s",
						r.Ref, r.Org.Code, r.Org.Name, series.OrgCode, r.Org.Code)
				}
				if r.ReplacedBy != nil {
					return receipts.Conflictf("receipt %s was replaced by %s, which is the receipt in force: a replaced receipt needs no notice; if %s carries the mistake too, report %s",
						r.Ref, r.ReplacedBy, r.ReplacedBy, r.ReplacedBy)
				}
				item, err := receipts.NoticeItemFor(r, row.kind, row.explanation)
				if err != nil {
					return err
				}
				n.Items = append(n.Items, item)
			}
			n = n.Normalize()
			payload, err := receipts.NoticeXML(n)
			if err != nil {
				return err
			}
			if a.jsonOut && out == "" && drop == "" {
				return a.printJSON(n)
			}
			if format == "html" {
				var page bytes.Buffer
				if err := receipts.NoticeHTML(&page, n); err != nil {
					return err
				}
				if out == "" {
					_, err := a.stdout.Write(page.Bytes())
					return err
				}
				if err := writeFileAtomic(out, page.Bytes()); err != nil {
					return err
				}
				_, err = fmt.Fprintf(a.stdout, "Thông báo %s %s (bản xem, không ký) → %s\n", receipts.NoticeForm, n.Org.Code, out)
				return err
			}
			var sig taxSignature
			if !unsigned {
				if payload, sig, err = a.signTaxDocument(cfg, n.Org, receipts.NoticeForm, payload); err != nil {
					return err
				}
			}

			path, err := a.deliverTaxDocument(ctx, out, drop, receipts.DocNotice, n.FileName("xml"), payload)
			if err != nil || path == "" {
				return err
			}

			named := make([]string, len(n.Items))
			for i, it := range n.Items {
				named[i] = it.Receipt.String()
			}
			sum := sha256.Sum256(payload)
			if a.jsonOut {
				return a.printJSON(struct {
					Org      string   `json:"org"`
					Date     string   `json:"date"`
					File     string   `json:"file"`
					Bytes    int      `json:"bytes"`
					SHA256   string   `json:"sha256"`
					Receipts []string `json:"receipts"`
					taxSignature
				}{n.Org.Code, n.Date, path, len(payload), hex.EncodeToString(sum[:]), named, sig})
			}
			_, err = fmt.Fprintf(a.stdout, "Thông báo sai sót %s %s, ngày %s: %d biên lai (%s) → %s; %s\n",
				receipts.NoticeForm, n.Org.Code, vnDate(n.Date), len(n.Items), strings.Join(named, ", "), path, sig.words())
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&org, "org", "", "organisation code of the receipt series (required)")
	f.StringArrayVar(&refs, "receipt", nil, "receipt with a mistake, SERIES-NUMBER such as 26TAA-00000007 (repeat for several)")
	f.StringArrayVar(&kinds, "kind", nil, "kind of mistake: payer_name, payer_address, payer_id_number, amount_in_words, dossier_code or other (once for all, or once per --receipt)")
	f.StringArrayVar(&explanations, "explanation", nil, "what is wrong and what is right (once for all, or once per --receipt)")
	f.StringVar(&template, "template", receipts.Template, "template symbol of the receipts")
	f.StringVar(&date, "date", "", "date of the notice YYYY-MM-DD in Asia/Ho_Chi_Minh (default today)")
	f.IntVar(&noticeType, "type", 1, "notice type: 1 the organisation's own notice, 2 an answer to the tax office's notice")
	f.StringVar(&taxNoticeNumber, "tax-notice-number", "", "number of the tax office's notice a --type 2 notice answers")
	f.StringVar(&taxNoticeDate, "tax-notice-date", "", "date YYYY-MM-DD of the tax office's notice a --type 2 notice answers")
	f.StringVar(&taxAuthority, "tax-authority", "", "the tax office the notice is addressed to (Kính gửi); default from the config ([receipts] tax_office, [[receipts.tax_offices]])")
	f.StringVar(&taxAuthorityCode, "tax-authority-code", "", "its code (mã cơ quan thuế), optional")
	f.StringVar(&format, "format", "xml", "xml (the signed document sent) or html (the copy for people, laid out as the form)")
	f.StringVar(&place, "place", "", "place name written before the date (địa danh), optional")
	f.StringVar(&out, "out", "", "write the file here (replaced if it exists)")
	f.StringVar(&drop, "drop", "", "write the file into this provider drop folder (never overwrites)")
	f.BoolVar(&unsigned, "unsigned", false, "do not sign the XML (a provider that signs it itself)")
	return cmd
}

// noticeRow is one receipt of a notice as typed.
type noticeRow struct {
	ref         receipts.Ref
	kind        receipts.ErrorKind
	explanation string
}

// noticeRows pairs the --receipt, --kind and --explanation flags: a kind or
// an explanation given once is for every receipt. A kind that needs a
// replacement receipt is refused (exit 1) with what to do instead; a kind
// that does not exist is a usage error.
func noticeRows(refs, kinds, explanations []string) ([]noticeRow, error) {
	switch {
	case len(refs) == 0:
		return nil, usagef("name the receipt with the mistake: --receipt SERIES-NUMBER, e.g. --receipt 26TAA-00000007")
	case len(kinds) == 0:
		return nil, usagef("give the kind of mistake: --kind payer_name, payer_address, payer_id_number, amount_in_words, dossier_code or other")
	case len(explanations) == 0:
		return nil, usagef("say what is wrong and what is right: --explanation TEXT")
	case len(kinds) != 1 && len(kinds) != len(refs):
		return nil, usagef("%d --receipt and %d --kind: give --kind once for all the receipts, or once per --receipt in the same order", len(refs), len(kinds))
	case len(explanations) != 1 && len(explanations) != len(refs):
		return nil, usagef("%d --receipt and %d --explanation: give --explanation once for all the receipts, or once per --receipt in the same order", len(refs), len(explanations))
	}
	rows := make([]noticeRow, len(refs))
	for i, s := range refs {
		ref, err := parseReceiptRef(s)
		if err != nil {
			return nil, err
		}
		k := kinds[0]
		if len(kinds) > 1 {
			k = kinds[i]
		}
		kind, err := receipts.ParseErrorKind(k)
		if err != nil {
			if receipts.NeedsReplacement(k) {
				return nil, fmt.Errorf("receipt %s: %w", ref, err)
			}
			return nil, usageError{err}
		}
		e := explanations[0]
		if len(explanations) > 1 {
			e = explanations[i]
		}
		if strings.TrimSpace(e) == "" {
			return nil, usagef("receipt %s: the explanation is empty: say what is wrong and what is right", ref)
		}
		rows[i] = noticeRow{ref: ref, kind: kind, explanation: e}
	}
	return rows, nil
}

// parseReceiptRef reads SERIES-NUMBER ("26TAA-00000007", "26taa-7"); the
// template comes from --template.
func parseReceiptRef(s string) (receipts.Ref, error) {
	s = strings.TrimSpace(s)
	i := strings.LastIndexByte(s, '-')
	if i <= 0 {
		return receipts.Ref{}, usagef("receipt %q: write SERIES-NUMBER, e.g. 26TAA-00000007", s)
	}
	number, err := strconv.ParseInt(s[i+1:], 10, 64)
	if err != nil || number < 1 {
		return receipts.Ref{}, usagef("receipt %q: the number after the dash is not a receipt number, e.g. 26TAA-00000007", s)
	}
	return receipts.Ref{Series: strings.ToUpper(s[:i]), Number: number}, nil
}
