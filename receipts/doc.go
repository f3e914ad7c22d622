// Package receipts will own electronic fee receipts (biên lai thu phí, lệ phí
// điện tử): series, gap-free numbering, amounts in words, hash chain,
// signing and rendering. Not built yet: issue 4.
package receipts
