package zvt

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/feepos/feepos/pos"
)

// ResultReversed is the result code (BMP 27) with which a terminal reports
// a transaction that was reversed after its approval: PA00P015 ch. 10
// error B4 "already reversed". The feepos simulator repeats an
// automatically reversed payment (Status-Information not acknowledged)
// with this code under Repeat Receipt; the driver also treats a repeated
// Status-Information that carries BMP 37 (original trace) as the record of
// a reversal. Either way LastResult reports Outcome Aborted with
// ResultCode "B4" or the reversal's trace, never Approved.
const ResultReversed byte = 0xB4

// cardErrors are result codes that say the card could not be used
// (PA00P015 ch. 10): not readable, no card data, chip error, card data
// incorrect, expired, not yet valid, unknown, magnetic stripe fallback
// refused, card reader faults. Nothing was charged.
var cardErrors = map[byte]bool{
	0x64: true, 0x65: true, 0x66: true, 0x72: true, 0x73: true, 0x78: true, 0x79: true,
	0x7A: true, 0x7B: true, 0x7C: true, 0x7E: true, 0xDD: true, 0xDE: true, 0xE2: true,
}

// hostCode reads a result code of 01–63 (hex): PA00P015 ch. 10 gives this
// range to "error codes of the network operator / authorisation system",
// the host's ISO 8583 response code sent as a binary number (0x05 is
// "05" do not honour, 0x33 is "51" insufficient funds).
func hostCode(code byte) int { return int(code) }

// outcomeFor maps a final result code to an outcome. A result code is a
// terminal's statement that the transaction ended: every non-zero code
// means nothing was charged.
func outcomeFor(code byte) pos.Outcome {
	switch {
	case code == 0x00:
		return pos.Approved
	case code == 0x6C:
		return pos.Aborted
	case code == 0x9C:
		return pos.Busy
	case cardErrors[code]:
		return pos.CardError
	}
	return pos.Declined
}

func fillCode(r *pos.Result, code byte) {
	r.ResultCode = fmt.Sprintf("%02X", code)
	r.Outcome = outcomeFor(code)
	if code >= 0x01 && code <= 0x63 {
		r.HostCode = fmt.Sprintf("%02d", hostCode(code))
	}
	r.TextVI = ResultText(code)
}

// resultFromStatus decodes Status-Information (04 0F) into a Result. A
// 04 0F without a readable result code (BMP 27) leaves the outcome Unknown.
func resultFromStatus(m pos.Message, req pos.Request) pos.Result {
	r := pos.Result{Outcome: pos.Unknown, Amount: req.Amount, Reference: req.Reference}
	if m.AmountMinor != nil {
		r.Amount = *m.AmountMinor
	}
	r.Currency = m.Currency
	if r.Currency == "" {
		r.Currency = strconv.Itoa(currencyOf(req))
	}
	code, err := strconv.ParseUint(m.ResultCode, 16, 8)
	if m.ResultCode == "" || err != nil {
		r.TextVI = "Terminal không gửi mã kết quả: kiểm tra lại bằng giao dịch cuối"
	} else {
		fillCode(&r, byte(code))
	}
	r.Text = strings.TrimSpace(m.Text)
	r.TerminalID = m.TerminalID
	r.MerchantID = m.MerchantID
	if m.TraceNo != nil {
		r.TraceNo = *m.TraceNo
	}
	if m.ReceiptNo != nil {
		r.ReceiptNo = *m.ReceiptNo
	}
	if m.TurnoverNo != nil {
		r.TurnoverNo = *m.TurnoverNo
	}
	r.ApprovalCode = m.ApprovalCode
	r.PANMasked = m.PANMasked // already through pos.MaskPAN
	r.CardType = m.CardType
	r.CardName = m.CardName
	r.Date = m.Date
	r.Time = m.Time
	return r
}

// resultFromAbort decodes Abort (06 1E) from the PT: the transaction ended
// without a charge.
func resultFromAbort(m pos.Message, req pos.Request) pos.Result {
	r := pos.Result{Outcome: pos.Aborted, Amount: req.Amount, Reference: req.Reference,
		Currency: strconv.Itoa(currencyOf(req))}
	if code, err := strconv.ParseUint(m.ResultCode, 16, 8); m.ResultCode != "" && err == nil {
		fillCode(&r, byte(code))
		if r.Outcome == pos.Approved { // 06 1E 00 makes no sense: still no charge
			r.Outcome = pos.Aborted
		}
	} else {
		r.TextVI = ResultText(0x6C)
	}
	r.Text = strings.TrimSpace(m.Text)
	return r
}

// resultFromNack is a command the PT refused (84 xx): nothing ran.
func resultFromNack(m pos.Message, req pos.Request) pos.Result {
	r := pos.Result{Amount: req.Amount, Reference: req.Reference, Currency: strconv.Itoa(currencyOf(req))}
	code, err := strconv.ParseUint(m.ResultCode, 16, 8)
	if err != nil {
		code = 0xFF
	}
	fillCode(&r, byte(code))
	switch r.Outcome {
	case pos.Approved: // 84 00 is listed as positive by some terminals; treat as refused anyway
		r.Outcome = pos.Declined
	case pos.Aborted, pos.CardError, pos.Busy, pos.Declined:
	}
	return r
}

func currencyOf(req pos.Request) int {
	if req.Currency == 0 {
		return pos.CurrencyVND
	}
	return req.Currency
}
