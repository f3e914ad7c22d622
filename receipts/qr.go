package receipts

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"strings"

	qrcode "github.com/yeqown/go-qrcode/v2"
)

// Every rendering carries a QR code of the receipt's public verification
// page (issue 4, Rendering and Public verification), so a citizen can check
// it with a phone camera. The QR library is github.com/yeqown/go-qrcode/v2:
// released and maintained (v2.3.0, 2026), while github.com/skip2/go-qrcode
// has had no release since 2020. Only its core module is used: it gives
// the module matrix, and each renderer draws it in its own medium.

// VerifyURL is the address of a receipt's public verification page:
// base + "/verify/{template}/{series}/{number}?c={lookup code}", the
// number written with the 8 digits printed on the receipt
// ("…/verify/EBL01/26TAA/00000123?c=7K3M9QX2TB"). Without its lookup
// code (a Receipt built from a Ref alone) the address has none, and the
// page answers only that the receipt exists (lookup.go). base is the
// public address of the feepos server, without a trailing slash (one is
// removed if present).
func VerifyURL(base string, r Receipt) string {
	u := strings.TrimRight(base, "/") + "/verify/" + url.PathEscape(r.Template) + "/" +
		url.PathEscape(r.Series) + "/" + printedNumber(r.Number)
	if r.LookupCode != "" {
		u += "?c=" + url.QueryEscape(r.LookupCode)
	}
	return u
}

// printedNumber is a receipt number as printed: 8 digits, zero-padded
// (at most 8 digits, Decree 254/2026/NĐ-CP; the same form as Ref.String).
func printedNumber(n int64) string { return fmt.Sprintf("%08d", n) }

// CheckVerifyBase refuses a base that would put a useless address in the
// QR code (an Invalid *Error): a phone can only open an absolute http(s)
// URL.
func CheckVerifyBase(base string) error { return checkVerifyBase(base) }

func checkVerifyBase(base string) error {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return Invalidf("verification base URL %q: give the server's public address, e.g. https://bienlai.example.gov.vn or http://127.0.0.1:8080", base)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return Invalidf("verification base URL %q: remove the query and fragment; the receipt's path is appended to it", base)
	}
	return nil
}

// qrQuietZone is the light border around a QR code, in modules (ISO/IEC
// 18004 asks for 4); phone cameras fail to find a code printed without it.
const qrQuietZone = 4

// qrCode is the module matrix of a QR code, without its quiet zone.
type qrCode struct {
	dark [][]bool // dark[y][x]
}

// newQR encodes text with error correction level M (15 %): enough for a
// creased or faded thermal print while keeping the code small.
func newQR(text string) (qrCode, error) {
	c, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return qrCode{}, fmt.Errorf("encode QR code of %q: %w", text, err)
	}
	var m matrixCapture
	if err := c.Save(&m); err != nil {
		return qrCode{}, fmt.Errorf("encode QR code of %q: %w", text, err)
	}
	return qrCode{dark: m.bitmap}, nil
}

// matrixCapture is a qrcode.Writer that keeps the module matrix.
type matrixCapture struct{ bitmap [][]bool }

func (m *matrixCapture) Write(mat qrcode.Matrix) error { m.bitmap = mat.Bitmap(); return nil }
func (m *matrixCapture) Close() error                  { return nil }

// modules is the width of the code with its quiet zone, in modules.
func (q qrCode) modules() int { return len(q.dark) + 2*qrQuietZone }

// isDark says whether the module at (x, y), counted from the outer edge of
// the quiet zone, is dark.
func (q qrCode) isDark(x, y int) bool {
	x, y = x-qrQuietZone, y-qrQuietZone
	return y >= 0 && y < len(q.dark) && x >= 0 && x < len(q.dark[y]) && q.dark[y][x]
}

// image draws the code with its quiet zone, scale pixels per module, in
// black and white.
func (q qrCode) image(scale int) *image.Paletted {
	n := q.modules() * scale
	img := image.NewPaletted(image.Rect(0, 0, n, n), color.Palette{color.White, color.Black})
	for y := range n {
		for x := range n {
			if q.isDark(x/scale, y/scale) {
				img.SetColorIndex(x, y, 1)
			}
		}
	}
	return img
}

// pngBytes is image(scale) as a PNG file.
func (q qrCode) pngBytes(scale int) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, q.image(scale)); err != nil {
		return nil, fmt.Errorf("encode QR code as PNG: %w", err)
	}
	return buf.Bytes(), nil
}
