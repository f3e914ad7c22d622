package zvt

import (
	"fmt"
	"time"

	"github.com/feepos/feepos/pos"
)

// intermediateStatus maps the status byte of Intermediate Status-
// Information (04 FF, PA00P015 ch. 3 "Intermediate Status-Information",
// the table of intermediate status codes, as also listed by the public
// Portalum.Zvt and EVerest/zvt clients) to what the cashier's screen says.
//
// An intermediate status never ends the transaction and never says
// "declined": the terminal goes on (another try, another card, its own
// abort). A status about the card is EventCardProblem; one about the
// terminal, EventOther. 0x0D is the spec's "processing error", not a
// cancellation. Codes 41–5D are 01–1D with "please remove card" (and 66,
// 67 are 26, 27 with it); they are made from the table below by
// withRemoveCard.
var intermediateStatus = withRemoveCard(map[byte]statusText{
	0x00: {pos.EventWait, "Máy POS chờ xác nhận số tiền"},
	0x01: {pos.EventEnterPIN, "Mời khách nhập mã PIN (xem màn hình bàn phím PIN)"},
	0x02: {pos.EventEnterPIN, "Mời khách nhập mã PIN (xem màn hình bàn phím PIN)"},
	0x03: {pos.EventCardProblem, "Không thực hiện được với thẻ này"},
	0x04: {pos.EventProcessing, "Đang chờ phản hồi từ ngân hàng"},
	0x05: {pos.EventProcessing, "Máy POS đang tự hủy giao dịch (hoàn tự động)"},
	0x06: {pos.EventProcessing, "Máy POS đang gửi các giao dịch còn treo"},
	0x07: {pos.EventCardProblem, "Thẻ không được chấp nhận"},
	0x08: {pos.EventCardProblem, "Thẻ không xác định"},
	0x09: {pos.EventCardProblem, "Thẻ đã hết hạn"},
	0x0A: {pos.EventInsertCard, "Mời khách đưa thẻ vào"},
	0x0B: {pos.EventRemoveCard, "Mời khách rút thẻ"},
	0x0C: {pos.EventCardProblem, "Không đọc được thẻ"},
	0x0D: {pos.EventOther, "Lỗi xử lý trên máy POS"},
	0x0E: {pos.EventProcessing, "Đang xử lý, vui lòng chờ"},
	0x0F: {pos.EventWait, "Máy POS đang tự động kết ca, vui lòng chờ"},
	0x10: {pos.EventCardProblem, "Thẻ không hợp lệ"},
	0x11: {pos.EventOther, "Máy POS đang hiển thị số dư"},
	0x12: {pos.EventOther, "Máy POS gặp lỗi hệ thống"},
	0x13: {pos.EventCardProblem, "Không thể thanh toán bằng thẻ này"},
	0x14: {pos.EventCardProblem, "Số dư không đủ"},
	0x15: {pos.EventEnterPIN, "Mã PIN sai, mời nhập lại"},
	0x16: {pos.EventCardProblem, "Vượt hạn mức của thẻ"},
	0x17: {pos.EventWait, "Vui lòng chờ"},
	0x18: {pos.EventCardProblem, "Nhập sai mã PIN quá số lần cho phép"},
	0x19: {pos.EventCardProblem, "Dữ liệu thẻ không đúng"},
	0x1A: {pos.EventOther, "Máy POS đang ở chế độ bảo trì"},
	0x1B: {pos.EventProcessing, "Đã cấp phép, mời bơm nhiên liệu"},
	0x1C: {pos.EventProcessing, "Đã cấp phép, mời nhận hàng"},
	0x1D: {pos.EventCardProblem, "Không cấp phép được với thẻ này"},
	0x26: {pos.EventWait, "Máy POS chờ nhập số điện thoại di động"},
	0x27: {pos.EventWait, "Máy POS chờ nhập lại số điện thoại di động"},
	0x28: {pos.EventWait, "Đang chọn loại tiền, vui lòng chờ"},
	0x29: {pos.EventWait, "Đang chọn ngôn ngữ, vui lòng chờ"},
	0x2A: {pos.EventInsertCard, "Mời khách đưa thẻ vào để nạp tiền"},
	0x2B: {pos.EventProcessing, "Giao dịch ngoại tuyến khẩn cấp, vui lòng chờ"},
	0x2C: {pos.EventWait, "Đang chọn ứng dụng thẻ (ghi nợ hay tín dụng), vui lòng chờ"},
	0x68: {pos.EventProcessing, "Máy POS đã nhận thẻ của khách"},
	0x69: {pos.EventWait, "Mời khách chọn loại tiền thanh toán (DCC)"},
	0xC7: {pos.EventWait, "Máy POS chờ nhập số ki-lô-mét"},
	0xC8: {pos.EventWait, "Máy POS chờ thu ngân thao tác"},
	0xC9: {pos.EventWait, "Máy POS đang tự chẩn đoán, vui lòng chờ"},
	0xCA: {pos.EventWait, "Máy POS đang tự khởi tạo, vui lòng chờ"},
	0xCB: {pos.EventOther, "Nhật ký giao dịch của máy POS đã đầy"},
	0xCC: {pos.EventEnterPIN, "Không thanh toán được nếu không có mã PIN: mời nhập mã PIN"},
	0xD2: {pos.EventProcessing, "Đang kết nối tới ngân hàng"},
	0xD3: {pos.EventProcessing, "Đã kết nối tới ngân hàng"},
	0xE0: {pos.EventWait, "Mời khách chọn ứng dụng thẻ"},
	0xE1: {pos.EventWait, "Mời khách chọn ngôn ngữ"},
	0xE2: {pos.EventOther, "Máy POS yêu cầu dùng thẻ vệ sinh đầu đọc"},
	0xF1: {pos.EventOther, "Máy POS đang ngoại tuyến"},
	0xF2: {pos.EventOther, "Máy POS đang trực tuyến"},
	0xF3: {pos.EventProcessing, "Giao dịch ngoại tuyến"},
	0xFF: {pos.EventOther, "Máy POS đang xử lý (trạng thái riêng của máy)"},
})

type statusText struct {
	kind pos.EventKind
	text string
}

// withRemoveCard adds the "… please remove card" codes: 41–5D are 01–1D
// and 66, 67 are 26, 27, each with the card to be taken out; 4A has no
// text of its own in the spec, and 4B is "please remove card" alone.
func withRemoveCard(m map[byte]statusText) map[byte]statusText {
	const remove = "Mời khách rút thẻ"
	for c := byte(0x01); c <= 0x1D; c++ {
		base, ok := m[c]
		switch {
		case c == 0x0A || c == 0x0B:
			m[c+0x40] = statusText{pos.EventRemoveCard, remove}
		case ok:
			kind := base.kind
			if kind == pos.EventInsertCard || kind == pos.EventWait || kind == pos.EventProcessing {
				kind = pos.EventRemoveCard
			}
			m[c+0x40] = statusText{kind, base.text + ". " + remove}
		}
	}
	for _, c := range []byte{0x26, 0x27} {
		m[c+0x40] = statusText{pos.EventRemoveCard, m[c].text + ". " + remove}
	}
	return m
}

// IntermediateEvent turns a 04 FF status byte into an event for the
// screen: never a final kind.
func IntermediateEvent(code byte, at time.Time) pos.Event {
	e := pos.Event{Kind: pos.EventOther, Code: fmt.Sprintf("%02X", code), At: at,
		Text: fmt.Sprintf("Máy POS đang xử lý (mã %02X)", code)}
	if s, ok := intermediateStatus[code]; ok {
		e.Kind, e.Text = s.kind, s.text
	}
	return e
}

// resultTexts says in Vietnamese what a result code (BMP 27, the byte of
// 06 1E, or the xx of 84 xx) means, after PA00P015 ch. 10 "Error
// messages". Codes 01–63 are the host's own answers (see outcomeFor).
var resultTexts = map[byte]string{
	0x00: "Giao dịch thành công",
	0x64: "Không đọc được thẻ",
	0x65: "Không tìm thấy dữ liệu thẻ (không có dải từ hoặc chip)",
	0x66: "Lỗi xử lý (đầu đọc thẻ)",
	0x67: "Chức năng không cho phép với thẻ này",
	0x68: "Chức năng không cho phép với thẻ tín dụng",
	0x6A: "Bộ nhớ giao dịch của terminal đã đầy: cần kết ca",
	0x6B: "Chức năng bị tắt (terminal chưa đăng ký)",
	0x6C: "Giao dịch bị hủy (khách bấm hủy hoặc hết thời gian)",
	0x6E: "Thẻ nằm trong danh sách chặn",
	0x6F: "Sai loại tiền",
	0x71: "Số dư không đủ",
	0x72: "Lỗi chip thẻ",
	0x73: "Dữ liệu thẻ không đúng",
	0x77: "Không thể kết ca",
	0x78: "Thẻ đã hết hạn",
	0x79: "Thẻ chưa có hiệu lực",
	0x7A: "Thẻ không xác định",
	0x7D: "Lỗi kết nối (module truyền thông không trả lời)",
	0x83: "Chức năng không thực hiện được",
	0x9A: "Lỗi giao thức ZVT",
	0x9B: "Lỗi kết nối tới ngân hàng",
	0x9C: "Terminal đang bận, vui lòng chờ",
	0xA0: "Bên nhận chưa sẵn sàng",
	0xA1: "Ngân hàng không trả lời",
	0xA3: "Không có kết nối",
	0xB4: "Giao dịch đã được hủy trước đó",
	0xB5: "Không thể hủy giao dịch",
	0xC3: "Vượt số tiền tối đa",
	0xC5: "Phương thức thanh toán không được hỗ trợ",
	0xC6: "Loại tiền không được hỗ trợ",
	0xC8: "Số tiền quá nhỏ",
	0xCC: "Máy in chưa sẵn sàng",
	0xDC: "Thẻ đang cắm trong máy",
	0xE2: "Đầu đọc thẻ không trả lời",
	0xFF: "Lỗi hệ thống terminal",
}

// ResultText is the Vietnamese text for a result code.
func ResultText(code byte) string {
	if t, ok := resultTexts[code]; ok {
		return t
	}
	if code >= 0x01 && code <= 0x63 {
		return fmt.Sprintf("Ngân hàng từ chối giao dịch (mã %02d)", hostCode(code))
	}
	return fmt.Sprintf("Giao dịch không thành công (mã %02X)", code)
}
