package receipts_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
)

func TestFileDropWritesOnceAndNeverOverwrites(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	drop := receipts.FileDrop{Dir: dir}
	name := "01TH-BLDT_0101234567_20261125.xml"

	require.NoError(t, drop.Send(ctx, receipts.DocSummary, name, []byte("<a/>")))
	got, err := os.ReadFile(filepath.Join(dir, name))
	require.NoError(t, err)
	assert.Equal(t, "<a/>", string(got))
	st, err := os.Stat(filepath.Join(dir, name))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o640), st.Mode().Perm())

	// A retry with the same bytes is accepted; other bytes are refused and
	// the file keeps its content.
	require.NoError(t, drop.Send(ctx, receipts.DocSummary, name, []byte("<a/>")))
	err = drop.Send(ctx, receipts.DocSummary, name, []byte("<b/>"))
	var re *receipts.Error
	require.ErrorAs(t, err, &re)
	assert.Equal(t, receipts.EConflict, re.Code)
	assert.Contains(t, err.Error(), "never overwritten")
	err = drop.Send(ctx, receipts.DocSummary, name, []byte("<a>"))
	require.ErrorContains(t, err, "other content", "same size, other bytes")
	got, _ = os.ReadFile(filepath.Join(dir, name))
	assert.Equal(t, "<a/>", string(got))

	// No temporary file is left behind.
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Len(t, entries, 1)
}

func TestFileDropRacingWritersOneWins(t *testing.T) {
	dir := t.TempDir()
	drop := receipts.FileDrop{Dir: dir}
	var wg sync.WaitGroup
	errs := make([]error, 16)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = drop.Send(context.Background(), receipts.DocNotice, "n.xml", []byte(fmt.Sprintf("writer %02d", i)))
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else {
			assert.Contains(t, err.Error(), "never overwritten")
		}
	}
	assert.Equal(t, 1, ok, "exactly one writer's file is there")
	got, err := os.ReadFile(filepath.Join(dir, "n.xml"))
	require.NoError(t, err)
	assert.Regexp(t, `^writer \d\d$`, string(got), "whole, never a mix")
	entries, _ := os.ReadDir(dir)
	assert.Len(t, entries, 1, "no temporary file left")
}

func TestFileDropRefusesBadNamesKindsAndFolders(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	drop := receipts.FileDrop{Dir: dir}
	for _, name := range []string{"", "../x.xml", "a/b.xml", ".hidden", "bảng.xml", `a\b.xml`} {
		require.ErrorContains(t, drop.Send(ctx, receipts.DocSummary, name, []byte("x")), "file name", name)
	}
	require.ErrorContains(t, drop.Send(ctx, "invoice", "a.xml", []byte("x")), "document kind")
	require.Error(t, receipts.FileDrop{Dir: filepath.Join(dir, "missing")}.Send(ctx, receipts.DocSummary, "a.xml", []byte("x")))
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	require.True(t, errors.Is(drop.Send(cancelled, receipts.DocSummary, "a.xml", []byte("x")), context.Canceled))
	entries, _ := os.ReadDir(dir)
	assert.Empty(t, entries)
}
