package receipts_test

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

// escposJob is a print job read back from its bytes.
type escposJob struct {
	bands   []int // rows of each GS v 0 block
	image   *image.Paletted
	cut     bool
	trailer []byte
}

// parseESCPOS reads what RenderESCPOS writes: ESC @, GS v 0 blocks of the
// same width, GS V 66 n. It rebuilds the image from the blocks.
func parseESCPOS(data []byte) (escposJob, error) {
	var job escposJob
	if !bytes.HasPrefix(data, []byte{0x1b, '@'}) {
		return job, errors.New("does not start with ESC @")
	}
	data = data[2:]
	var rows [][]byte
	width := -1
	for bytes.HasPrefix(data, []byte{0x1d, 'v', '0'}) {
		if len(data) < 8 {
			return job, errors.New("GS v 0 header cut short")
		}
		m, x, y := data[3], int(data[4])+int(data[5])<<8, int(data[6])+int(data[7])<<8
		if m != 0 {
			return job, fmt.Errorf("GS v 0 mode %d, want 0 (normal size)", m)
		}
		if x == 0 || y == 0 || data[7] > 8 {
			return job, fmt.Errorf("GS v 0 out of range: %d bytes × %d rows", x, y)
		}
		if width >= 0 && x != width {
			return job, fmt.Errorf("block width %d bytes after %d", x, width)
		}
		width = x
		data = data[8:]
		if len(data) < x*y {
			return job, fmt.Errorf("GS v 0 block of %d rows has %d bytes of data, want %d", y, len(data), x*y)
		}
		for i := range y {
			rows = append(rows, data[i*x:(i+1)*x])
		}
		job.bands = append(job.bands, y)
		data = data[x*y:]
	}
	if len(job.bands) == 0 {
		return job, errors.New("no GS v 0 raster block")
	}
	if len(data) == 4 && data[0] == 0x1d && data[1] == 'V' && data[2] == 66 {
		job.cut = true
		data = data[4:]
	}
	job.trailer = data
	img := image.NewPaletted(image.Rect(0, 0, width*8, len(rows)), color.Palette{color.White, color.Black})
	for y, row := range rows {
		for x := range width * 8 {
			if row[x/8]&(0x80>>(x%8)) != 0 {
				img.SetColorIndex(x, y, 1)
			}
		}
	}
	job.image = img
	return job, nil
}

func TestRenderESCPOS(t *testing.T) {
	for _, tc := range []struct {
		name string
		dots int
	}{{"80mm", receipts.DotsPerLine80mm}, {"58mm", receipts.DotsPerLine58mm}, {"default", 0}} {
		t.Run(tc.name, func(t *testing.T) {
			opts := receipts.ESCPOSOptions{DotsPerLine: tc.dots, VerifyBase: testVerifyBase}
			var buf bytes.Buffer
			require.NoError(t, receipts.RenderESCPOS(&buf, renderedReceipt(), opts))
			job, err := parseESCPOS(buf.Bytes())
			require.NoError(t, err)

			want, err := receipts.ThermalImage(renderedReceipt(), opts)
			require.NoError(t, err)
			dots := tc.dots
			if dots == 0 {
				dots = receipts.DotsPerLine80mm
			}
			assert.Equal(t, dots, job.image.Rect.Dx(), "width in dots")
			assert.Equal(t, want.Rect.Dy(), job.image.Rect.Dy(), "total rows")
			assert.Equal(t, want.Pix, job.image.Pix, "the printed dots are the image's")
			assert.True(t, job.cut, "ends with feed and cut (GS V 66)")
			assert.Empty(t, job.trailer)

			total := 0
			for i, h := range job.bands {
				assert.LessOrEqual(t, h, 255, "band %d", i)
				if i < len(job.bands)-1 {
					assert.Equal(t, 255, h, "only the last band is shorter")
				}
				total += h
			}
			assert.Equal(t, job.image.Rect.Dy(), total)
			assert.Greater(t, total, 600, "a whole receipt, not a strip")

			black := 0
			for _, p := range job.image.Pix {
				black += int(p)
			}
			share := float64(black) / float64(len(job.image.Pix))
			assert.Greater(t, share, 0.03, "ink on the paper")
			assert.Less(t, share, 0.4, "not a black block")
			// Nothing is drawn in the side margins.
			for y := range job.image.Rect.Dy() {
				for _, x := range []int{0, 1, dots - 2, dots - 1} {
					require.Zero(t, job.image.ColorIndexAt(x, y), "dot in the margin at %d,%d", x, y)
				}
			}
		})
	}
}

func TestThermalImageGolden(t *testing.T) {
	img, err := receipts.ThermalImage(renderedReceipt(), receipts.ESCPOSOptions{DotsPerLine: receipts.DotsPerLine80mm, VerifyBase: testVerifyBase})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	golden(t, "receipt-80mm.png", buf.Bytes())
}

func TestThermalImageReplacementIsLonger(t *testing.T) {
	opts := receipts.ESCPOSOptions{VerifyBase: testVerifyBase}
	plain, err := receipts.ThermalImage(renderedReceipt(), opts)
	require.NoError(t, err)
	replaced, err := receipts.ThermalImage(renderedReplacement(), opts)
	require.NoError(t, err)
	assert.Greater(t, replaced.Rect.Dy(), plain.Rect.Dy()+60, "the two notices are printed")
}

func TestRenderESCPOSRefusesWidth(t *testing.T) {
	for _, dots := range []int{100, 577, 4096} {
		var buf bytes.Buffer
		err := receipts.RenderESCPOS(&buf, renderedReceipt(), receipts.ESCPOSOptions{DotsPerLine: dots, VerifyBase: testVerifyBase})
		require.Error(t, err, "%d dots", dots)
		assert.Contains(t, err.Error(), "print width")
		assert.Zero(t, buf.Len())
	}
}

// A long receipt crosses several bands; the last one is shorter.
func TestRenderESCPOSManyBands(t *testing.T) {
	r := renderedReceipt()
	r.Lines, r.Total, r.TotalInWords = nil, 0, ""
	for range 30 {
		r.Lines = append(r.Lines, receipts.Line{Name: "Lệ phí chứng thực bản sao từ bản chính", Kind: receipts.LePhi, FeeCode: "LP-CT", Amount: 2_000})
		r.Total += 2_000
	}
	var buf bytes.Buffer
	require.NoError(t, receipts.RenderESCPOS(&buf, r, receipts.ESCPOSOptions{VerifyBase: testVerifyBase}))
	job, err := parseESCPOS(buf.Bytes())
	require.NoError(t, err)
	assert.Greater(t, len(job.bands), 8)
}
