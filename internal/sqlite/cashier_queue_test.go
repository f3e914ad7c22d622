package sqlite

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestSearchPatternsFoldVietnameseCase(t *testing.T) {
	assert.Nil(t, searchPatterns("  "))
	assert.Equal(t, []string{"%bình%", "%Bình%", "%BÌNH%"}, searchPatterns("bình"))
	assert.Equal(t, []string{"%lê thị%", "%Lê Thị%", "%LÊ THỊ%"}, searchPatterns("lê thị"), "words")
	assert.Equal(t, []string{`%50\%\_x%`, `%50\%\_X%`}, searchPatterns("50%_x"), "LIKE's wildcards are literal")
}
