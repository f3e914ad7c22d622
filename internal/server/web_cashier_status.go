package server

import (
	"strings"

	"github.com/feepos/feepos/internal/payments"
	"github.com/feepos/feepos/pos"
)

// The statuses the cashier reads on a payment's page: the terminal's
// events while a card charge runs (the drivers have already turned each
// protocol's status codes into a pos.EventKind and a Vietnamese text;
// eventStates turns the kinds into the few statuses the counter knows),
// and the payment's stored status once it has ended.

// cashierState is one status of the payment page.
type cashierState struct {
	Key   string `json:"key"`  // the page's data-state: insert_card, enter_pin, processing, paid, declined, needs_review…
	Text  string `json:"text"` // Vietnamese
	Tone  string `json:"tone"` // ok | bad | warn | "" (neutral)
	Final bool   `json:"final"`
}

// reviewTextVI is the instruction for a charge whose outcome is unknown.
const reviewTextVI = "Chưa rõ kết quả giao dịch. KHÔNG thanh toán lại, KHÔNG quẹt thẻ lại cho đến khi kế toán xử lý xong giao dịch này: " +
	"giữ hóa đơn của máy POS (nếu có) và báo kế toán."

// eventStates maps a terminal event's kind to the cashier's status.
var eventStates = map[pos.EventKind]cashierState{
	pos.EventInsertCard:     {Key: "insert_card", Text: "Mời cắm/quẹt thẻ"},
	pos.EventEnterPIN:       {Key: "enter_pin", Text: "Nhập mã PIN"},
	pos.EventProcessing:     {Key: "processing", Text: "Đang xử lý"},
	pos.EventWait:           {Key: "processing", Text: "Đang xử lý"},
	pos.EventOther:          {Key: "processing", Text: "Đang xử lý"},
	pos.EventRemoveCard:     {Key: "remove_card", Text: "Mời rút thẻ"},
	pos.EventCardProblem:    {Key: "card_problem", Text: "Chưa đọc được thẻ: mời cắm/quẹt lại", Tone: "warn"},
	pos.EventApproved:       {Key: "approved", Text: "Giao dịch thành công", Tone: "ok", Final: true},
	pos.EventDeclined:       {Key: "declined", Text: "Bị từ chối", Tone: "bad", Final: true},
	pos.EventAborted:        {Key: "declined", Text: "Bị từ chối: giao dịch đã bị hủy, thẻ không bị trừ tiền", Tone: "bad", Final: true},
	pos.EventUnknown:        {Key: "needs_review", Text: reviewTextVI, Tone: "warn", Final: true},
	pos.EventTransportError: {Key: "failed", Text: "Không gửi được lệnh tới máy POS: thẻ chưa bị trừ tiền", Tone: "bad", Final: true},
}

// eventState is the status an event shows.
func eventState(e pos.Event) cashierState {
	st, ok := eventStates[e.Kind]
	if !ok {
		st = cashierState{Key: "processing", Text: "Đang xử lý"}
	}
	switch e.Kind {
	case pos.EventDeclined:
		st.Text = declinedText(e.Text)
	case pos.EventCardProblem:
		if e.Text != "" {
			st.Text = e.Text
		}
	}
	return st
}

// declinedText is "Bị từ chối: <reason>".
func declinedText(reason string) string {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		reason = "máy POS không cho biết lý do"
	}
	return "Bị từ chối: " + reason
}

// paymentState is the status of a stored payment.
func paymentState(p payments.Payment) cashierState {
	switch p.Status {
	case payments.PaymentProcessing:
		if p.Method == payments.MethodCard {
			return cashierState{Key: "processing", Text: "Đang xử lý: làm theo hướng dẫn trên máy POS " + p.Terminal}
		}
		return cashierState{Key: "processing", Text: "Đang xử lý"}
	case payments.PaymentPaid:
		return cashierState{Key: "paid", Text: "Giao dịch thành công", Tone: "ok", Final: true}
	case payments.PaymentDeclined:
		return cashierState{Key: "declined", Text: declinedText(p.Message), Tone: "bad", Final: true}
	case payments.PaymentFailed:
		msg := strings.TrimSpace(p.Message)
		if msg == "" {
			msg = "máy POS không thực hiện giao dịch"
		}
		return cashierState{Key: "failed", Text: "Không thực hiện được: " + msg + ". Thẻ chưa bị trừ tiền.", Tone: "bad", Final: true}
	case payments.PaymentNeedsReview:
		return cashierState{Key: "needs_review", Text: reviewTextVI, Tone: "warn", Final: true}
	case payments.PaymentReversed:
		return cashierState{Key: "reversed", Text: "Giao dịch đã được hủy trên máy POS (trong ngày)", Tone: "warn", Final: true}
	case payments.PaymentRefunded:
		return cashierState{Key: "refunded", Text: "Giao dịch đã được hoàn tiền", Tone: "warn", Final: true}
	case payments.PaymentVoided:
		return cashierState{Key: "voided", Text: "Giao dịch đã bị hủy trên máy POS sau khi ghi nhận: hồ sơ cần thu lại, báo kế toán về biên lai đã lập",
			Tone: "warn", Final: true}
	}
	return cashierState{Key: string(p.Status), Text: string(p.Status), Final: true}
}
