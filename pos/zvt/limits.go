package zvt

import (
	"fmt"

	"github.com/feepos/feepos/pos"
)

// MaxAmount is the largest amount BMP 04 carries: 6 bytes of BCD, 12
// digits of minor units (PA00P015 ch. 1 "BMP 04"); for the đồng (exponent
// 0) 999,999,999,999 đồng.
const MaxAmount = 999_999_999_999

// MaxReceiptNo is the largest receipt number BMP 87 carries (2 bytes of
// BCD).
const MaxReceiptNo = 9999

// ErrInvalidRequest: the driver refused a request the protocol cannot
// carry, before sending anything (errors.Is pos.ErrInvalidRequest too).
var ErrInvalidRequest = fmt.Errorf("zvt: %w", pos.ErrInvalidRequest)

// ValidateRequest checks a payment or refund for what ZVT and feepos
// carry: an amount of 1 to MaxAmount đồng, in đồng (Currency 0 or 704).
// The reference is not sent over ZVT, so any is accepted. The error wraps
// ErrInvalidRequest and says what is allowed.
func ValidateRequest(req pos.Request) error {
	if err := validateCurrency(req); err != nil {
		return err
	}
	return ValidateAmount(req.Amount)
}

// ValidateAmount checks an amount for BMP 04: 1 to MaxAmount đồng.
func ValidateAmount(amount int64) error {
	if amount <= 0 || amount > MaxAmount {
		return fmt.Errorf("%w: amount %d; ZVT carries 1 to %d đồng (12 digits)", ErrInvalidRequest, amount, int64(MaxAmount))
	}
	return nil
}

// ValidateReversal checks a reversal: the receipt number of the payment,
// 1 to MaxReceiptNo, and, when req.Amount is not 0, the amount sent as a
// check, as for a payment.
func ValidateReversal(receiptNo int64, req pos.Request) error {
	if receiptNo < 1 || receiptNo > MaxReceiptNo {
		return fmt.Errorf("%w: receipt number %d; ZVT carries 1 to %d (4 digits)", ErrInvalidRequest, receiptNo, MaxReceiptNo)
	}
	if err := validateCurrency(req); err != nil {
		return err
	}
	if req.Amount != 0 {
		return ValidateAmount(req.Amount)
	}
	return nil
}

func validateCurrency(req pos.Request) error {
	if req.Currency != 0 && req.Currency != pos.CurrencyVND {
		return fmt.Errorf("%w: currency %d; feepos takes đồng only (704)", ErrInvalidRequest, req.Currency)
	}
	return nil
}
