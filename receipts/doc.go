// Package receipts owns electronic fee receipts (biên lai thu phí, lệ phí
// điện tử): series, gap-free numbering, amounts in words, hash chain,
// signing and rendering. The amount in words (Words, ParseWords) is the
// first part built; the rest follows issue 4.
package receipts
