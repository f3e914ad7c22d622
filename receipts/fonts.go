package receipts

import (
	_ "embed"
	"fmt"
	"sync"

	"golang.org/x/image/font/opentype"
)

// The receipt font is DejaVu Sans, shipped inside the binary: it covers
// every Vietnamese letter (precomposed, with stacked diacritics such as
// "ệ", "ỗ", "ữ"), and its licence (Bitstream Vera, fonts/LICENSE) allows
// embedding and redistribution. No renderer reads a system font, so a
// receipt prints the same on every machine (issue 4, Rendering).
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegularTTF []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBoldTTF []byte
)

// receiptFonts are the parsed fonts for drawing into images (the thermal
// printer's raster). The PDF embeds the TTF bytes itself.
type receiptFonts struct {
	regular, bold *opentype.Font
}

// parsedFonts parses the embedded fonts once per process.
var parsedFonts = sync.OnceValues(func() (receiptFonts, error) {
	regular, err := opentype.Parse(fontRegularTTF)
	if err != nil {
		return receiptFonts{}, fmt.Errorf("parse embedded font DejaVuSans.ttf: %w", err)
	}
	bold, err := opentype.Parse(fontBoldTTF)
	if err != nil {
		return receiptFonts{}, fmt.Errorf("parse embedded font DejaVuSans-Bold.ttf: %w", err)
	}
	return receiptFonts{regular: regular, bold: bold}, nil
})
