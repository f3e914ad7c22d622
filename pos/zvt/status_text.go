package zvt

import (
	"fmt"
	"time"

	"github.com/feepos/feepos/pos"
)

// intermediateStatus maps the status byte of Intermediate Status-
// Information (04 FF, PA00P015 ch. 3 "Intermediate Status-Information",
// table of intermediate status codes) to what the cashier's screen says.
// Only the codes confirmed in the spec table (as also listed by the
// EVerest/zvt and Portalum.Zvt implementations) are mapped; others show
// as EventOther with their code.
var intermediateStatus = map[byte]struct {
	kind pos.EventKind
	text string
}{
	0x00: {pos.EventWait, "Terminal chờ xác nhận số tiền"},
	0x01: {pos.EventEnterPIN, "Mời khách nhập mã PIN (xem màn hình bàn phím PIN)"},
	0x02: {pos.EventEnterPIN, "Mời khách nhập mã PIN (xem màn hình bàn phím PIN)"},
	0x03: {pos.EventDeclined, "Giao dịch không thực hiện được"},
	0x04: {pos.EventProcessing, "Đang chờ phản hồi từ ngân hàng"},
	0x05: {pos.EventProcessing, "Terminal đang tự hủy giao dịch"},
	0x06: {pos.EventProcessing, "Terminal đang gửi giao dịch treo"},
	0x07: {pos.EventDeclined, "Thẻ không được chấp nhận"},
	0x08: {pos.EventDeclined, "Thẻ không xác định"},
	0x09: {pos.EventDeclined, "Thẻ đã hết hạn"},
	0x0A: {pos.EventInsertCard, "Mời khách đưa thẻ vào"},
	0x0B: {pos.EventRemoveCard, "Mời khách rút thẻ"},
	0x0C: {pos.EventDeclined, "Không đọc được thẻ"},
	0x0D: {pos.EventDeclined, "Giao dịch bị hủy"},
	0x0E: {pos.EventProcessing, "Đang xử lý, vui lòng chờ"},
	0x10: {pos.EventDeclined, "Thẻ không hợp lệ"},
	0x12: {pos.EventDeclined, "Lỗi hệ thống terminal"},
	0x13: {pos.EventDeclined, "Không thể thanh toán"},
	0x14: {pos.EventDeclined, "Số dư không đủ"},
	0x15: {pos.EventEnterPIN, "Mã PIN sai, mời nhập lại"},
	0x16: {pos.EventDeclined, "Vượt hạn mức"},
	0x17: {pos.EventWait, "Vui lòng chờ"},
	0x18: {pos.EventDeclined, "Nhập sai mã PIN quá số lần cho phép"},
	0x19: {pos.EventDeclined, "Dữ liệu thẻ không đúng"},
	0x1D: {pos.EventDeclined, "Giao dịch bị từ chối"},
}

// IntermediateEvent turns a 04 FF status byte into an event for the screen.
func IntermediateEvent(code byte, at time.Time) pos.Event {
	e := pos.Event{Kind: pos.EventOther, Code: fmt.Sprintf("%02X", code), At: at,
		Text: fmt.Sprintf("Terminal đang xử lý (mã %02X)", code)}
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
