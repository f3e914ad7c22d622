package receipts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Transmission to the tax authority (Decree 254/2026/NĐ-CP Art. 23–29):
// the receipt XML, the daily summary 01/TH-BLĐT and the error notice
// 04/SS-CTĐT reach the tax authority through a licensed e-invoice/e-receipt
// provider. Each provider has its own API; feepos hands documents to a
// Transmitter, and FileDrop is the implementation every provider can take:
// a folder its agent picks files up from; receipts/provider.HTTP is a client
// of a provider's REST API (a Submitter and Poller too: it learns the
// answer). internal/taxfiling records every hand-over's delivery state
// (delivery.go); what the provider must do with feepos's XML is in
// docs/RECEIPTS.md, "The provider hand-off".

// DocKind is what a transmitted document is.
type DocKind string

const (
	DocReceipt DocKind = "receipt" // one signed receipt XML
	DocSummary DocKind = "summary" // 01/TH-BLĐT, XML or XLSX
	DocNotice  DocKind = "notice"  // 04/SS-CTĐT
	DocClosure DocKind = "closure" // the signed daily closure
)

func (k DocKind) valid() bool {
	switch k {
	case DocReceipt, DocSummary, DocNotice, DocClosure:
		return true
	}
	return false
}

// Transmitter sends one document to the tax authority's provider. Send
// returns nil only when the provider has the whole payload (for FileDrop:
// on disk under its final name). Sending the same filename again with other
// bytes is a conflict: a document sent is never replaced (a correction is a
// new document: a replacement receipt, a notice).
type Transmitter interface {
	Send(ctx context.Context, kind DocKind, filename string, payload []byte) error
}

// FileDrop writes each document into Dir, atomically: a temporary file in
// the same folder, written and fsynced, then linked to its final name
// (link(2) fails if the name exists, so nothing is ever overwritten), the
// temporary name removed and the folder fsynced. A reader of Dir sees
// either no file or the whole file, never a part, even across a crash or a
// power cut. Temporary files start with ".feepos-tmp-": a pickup agent
// skips dot files.
//
// The same filename sent again with the same bytes is accepted (a retry
// after a crash between the write and the caller's record of it); with
// other bytes it is refused with a conflict error naming the file.
type FileDrop struct {
	Dir string
	// Perm is the final file's mode; 0 means 0o640.
	Perm fs.FileMode
}

var _ Transmitter = FileDrop{}

// Send writes payload to Dir/filename. kind is checked but not part of the
// path: the file names feepos makes say what they are (01TH-BLDT_…).
func (d FileDrop) Send(ctx context.Context, kind DocKind, filename string, payload []byte) error {
	if !kind.valid() {
		return Invalidf("transmit: document kind %q: use receipt, summary, notice or closure", kind)
	}
	if err := checkDropName(filename); err != nil {
		return err
	}
	if d.Dir == "" {
		return Invalidf("transmit: the drop folder is not set")
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	st, err := os.Stat(d.Dir)
	if err != nil {
		return fmt.Errorf("transmit: drop folder %s: %w (create it, and let feepos write there)", d.Dir, err)
	}
	if !st.IsDir() {
		return Invalidf("transmit: drop folder %s is not a folder", d.Dir)
	}
	final := filepath.Join(d.Dir, filename)
	if same, err := dropSameFile(final, payload); err != nil || same {
		return err
	}
	perm := d.Perm
	if perm == 0 {
		perm = 0o640
	}

	tmp, err := os.CreateTemp(d.Dir, ".feepos-tmp-*")
	if err != nil {
		return fmt.Errorf("transmit %s: %w", filename, err)
	}
	tmpName := tmp.Name()
	defer os.Remove(tmpName) // after a successful link, only the extra name goes
	_, err = tmp.Write(payload)
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("transmit %s: write %s: %w", filename, tmpName, err)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := os.Link(tmpName, final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			if same, serr := dropSameFile(final, payload); serr != nil || same {
				return serr
			}
			return Conflictf("transmit: %s already exists with other content: a document sent is never overwritten; send a correction as a new document", final)
		}
		return fmt.Errorf("transmit %s: %w", filename, err)
	}
	if err := os.Remove(tmpName); err != nil {
		return fmt.Errorf("transmit %s: remove the temporary name: %w", filename, err)
	}
	return dropSyncDir(d.Dir)
}

// dropSameFile says whether path exists with exactly payload; a missing file is
// (false, nil), another file there (false, conflict).
func dropSameFile(path string, payload []byte) (bool, error) {
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("transmit: %w", err)
	}
	if !st.Mode().IsRegular() {
		return false, Conflictf("transmit: %s already exists and is not a regular file", path)
	}
	if st.Size() != int64(len(payload)) {
		return false, Conflictf("transmit: %s already exists with other content: a document sent is never overwritten; send a correction as a new document", path)
	}
	have, err := os.ReadFile(path)
	if err != nil {
		return false, fmt.Errorf("transmit: %w", err)
	}
	if !bytes.Equal(have, payload) {
		return false, Conflictf("transmit: %s already exists with other content: a document sent is never overwritten; send a correction as a new document", path)
	}
	return true, nil
}

// checkDropName accepts a plain file name: letters, digits, '.', '-', '_',
// not starting with a dot, at most 200 bytes. No folder part, so a name
// cannot write outside the drop folder.
func checkDropName(name string) error {
	if name == "" || len(name) > 200 || strings.HasPrefix(name, ".") {
		return Invalidf("transmit: file name %q: give a plain name such as 01TH-BLDT_0301234567_20260701.xml", name)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return Invalidf("transmit: file name %q has %q: use letters, digits, '.', '-' and '_' only", name, c)
		}
	}
	return nil
}

// dropSyncDir makes a new name in dir durable.
func dropSyncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("transmit: sync folder %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("transmit: sync folder %s: %w", dir, err)
	}
	return nil
}
