package zvt

import (
	"fmt"

	"github.com/feepos/feepos/pos"
)

// totalsBrands is the order of the per-brand blocks in BMP 60 "individual
// totals" after End-of-Day (PA00P015, End-of-Day 06 50 and BMP 60): receipt
// number from (2 BCD), receipt number to (2 BCD), then for each brand a
// count (1 byte BCD) and a total (6 bytes BCD).
var totalsBrands = []string{"girocard", "JCB", "Eurocard", "Amex", "VISA", "Diners", "others"}

const totalsLen = 4 + 7*7

// EODTotals is the content of BMP 60.
type EODTotals struct {
	FirstReceipt int64
	LastReceipt  int64
	Brands       []pos.BrandTotal // in totalsBrands order; missing brands count 0
}

func decodeTotals(v []byte) (EODTotals, error) {
	var t EODTotals
	if len(v) != totalsLen {
		return t, fmt.Errorf("BMP 60: %d bytes, want %d (receipt range + 7 brands)", len(v), totalsLen)
	}
	var err error
	if t.FirstReceipt, err = bcdInt(v[0:2]); err != nil {
		return t, fmt.Errorf("BMP 60 first receipt: %w", err)
	}
	if t.LastReceipt, err = bcdInt(v[2:4]); err != nil {
		return t, fmt.Errorf("BMP 60 last receipt: %w", err)
	}
	for i, brand := range totalsBrands {
		blk := v[4+7*i : 4+7*i+7]
		count, err := bcdInt(blk[:1])
		if err != nil {
			return t, fmt.Errorf("BMP 60 %s count: %w", brand, err)
		}
		amount, err := bcdInt(blk[1:])
		if err != nil {
			return t, fmt.Errorf("BMP 60 %s amount: %w", brand, err)
		}
		t.Brands = append(t.Brands, pos.BrandTotal{Brand: brand, Count: int(count), Amount: amount})
	}
	return t, nil
}

func encodeTotals(t EODTotals) ([]byte, error) {
	out := make([]byte, 0, totalsLen)
	for _, n := range []int64{t.FirstReceipt, t.LastReceipt} {
		b, err := toBCD(n, 2)
		if err != nil {
			return nil, fmt.Errorf("BMP 60 receipt number: %w", err)
		}
		out = append(out, b...)
	}
	byBrand := map[string]pos.BrandTotal{}
	for _, bt := range t.Brands {
		byBrand[bt.Brand] = bt
	}
	for _, brand := range totalsBrands {
		bt := byBrand[brand]
		c, err := toBCD(int64(bt.Count), 1)
		if err != nil {
			return nil, fmt.Errorf("BMP 60 %s count: %w", brand, err)
		}
		a, err := toBCD(bt.Amount, 6)
		if err != nil {
			return nil, fmt.Errorf("BMP 60 %s amount: %w", brand, err)
		}
		out = append(out, c...)
		out = append(out, a...)
		delete(byBrand, brand)
	}
	for brand := range byBrand {
		return nil, fmt.Errorf("BMP 60: brand %q has no slot (use %v)", brand, totalsBrands)
	}
	return out, nil
}

func applyTotals(d *decoder, v []byte) error {
	t, err := decodeTotals(v)
	if err != nil {
		return err
	}
	d.m.Totals = t.Brands
	d.set("first_receipt", t.FirstReceipt)
	d.set("last_receipt", t.LastReceipt)
	return nil
}
