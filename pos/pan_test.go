package pos

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestMaskPAN(t *testing.T) {
	for in, want := range map[string]string{
		"4111111111111111":    "411111******1111",
		"559883EEEEEE8074":    "559883******8074",
		"5598 8312 3456 8074": "559883******8074",
		"4111111111111111111": "411111*********1111",
		"4111********1111":    "411111"[:4] + "**" + "******1111",
		"12345678":            "****5678",
		"1234":                "****",
		"":                    "",
	} {
		assert.Equal(t, want, MaskPAN(in), in)
	}
}
