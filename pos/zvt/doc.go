// Package zvt is the ZVT codec: the serial frame (PA00P016 Teil 2), the
// APDU (PA00P015 ch. 2), the bitmap fields (BMPs) and the BMP 06 TLV
// container, and encoders for the commands feepos and its terminal
// simulator send. It is pure code: no I/O, no goroutines, no clocks. The
// driver that owns a port and the timers lives elsewhere and uses this.
//
// Every BMP is declared once, in fields.go; every message kind (class,
// instruction, the fields that lead before its BMPs) once, in kinds.go. The
// generic decoder in decode.go and the encoders in commands.go both use
// those tables, so decode and encode cannot drift apart.
//
// Card data rules (PCI DSS): a PAN is only ever output through pos.MaskPAN
// (at most the first 6 and last 4 digits); track 1/2/3 data and the CVV are
// never decoded or output, only recorded as present and redacted.
package zvt
