package taxfiling

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/receipts"
)

// The inbox: the folder the provider's agent drops the tax office's
// answers into (01/TB-TNĐT, 01/TB-SSĐT, 01/TB-KTDL), in the shape
// receipts.ParseAnswers reads. Each file is read whole; its answers are
// recorded; then it is moved aside: into processed/ when every answer was
// recorded, into failed/ (with <name>.error.txt saying why) when the file
// cannot be read or names a document feepos did not hand over. Files
// whose names start with a dot (a provider's temporary files) are left
// alone, as are the two folders.

// InboxDone is the folder processed answer files are moved to.
const InboxDone = "processed"

// InboxFailed is the folder unusable answer files are moved to.
const InboxFailed = "failed"

// InboxFile is what became of one answer file.
type InboxFile struct {
	Name    string            `json:"name"`
	Answers []receipts.Answer `json:"answers,omitempty"`
	Changed int               `json:"changed"` // answers that changed a state
	Error   string            `json:"error,omitempty"`
	MovedTo string            `json:"moved_to"`
}

// Inbox processes every answer file in dir, in name order.
func (s *Service) Inbox(ctx context.Context, dir string) ([]InboxFile, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("inbox %s: %w (create it, and let the provider's agent write there)", dir, err)
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name() < entries[j].Name() })
	var out []InboxFile
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		f := s.inboxFile(ctx, dir, e.Name())
		if f.MovedTo == "" {
			return out, errors.New(f.Error)
		}
		out = append(out, f)
	}
	return out, nil
}

func (s *Service) inboxFile(ctx context.Context, dir, name string) InboxFile {
	f := InboxFile{Name: name}
	path := filepath.Join(dir, name)
	data, err := os.ReadFile(path)
	var failure error
	if err != nil {
		failure = err
	} else if f.Answers, err = receipts.ParseAnswers(data); err != nil {
		failure = err
	} else {
		for _, a := range f.Answers {
			d, changed, err := s.DB.ApplyAnswer(ctx, a, s.Actor)
			if err != nil {
				failure = err
				break
			}
			if changed {
				f.Changed++
				level := s.log().Info
				if d.State == receipts.DeliveryRejected {
					level = s.log().Warn
				}
				level("tax office answer recorded", "file", name, "form", a.Form, "document", a.Document,
					"state", d.State, "reason", d.Reason)
			}
		}
	}
	if failure != nil && !answerFileFault(failure) {
		// The database or the shutdown failed, not the file: it stays in
		// the inbox for the next round. Answers already recorded are
		// recorded again then without change (ApplyAnswer is idempotent).
		f.Error = failure.Error()
		s.log().Warn("tax office answer file left in the inbox for the next round", "file", name, "err", failure)
		return f
	}
	to := InboxDone
	if failure != nil {
		to = InboxFailed
		f.Error = failure.Error()
		s.log().Warn("tax office answer file not usable; moved aside", "file", name, "err", failure)
	}
	moved, err := moveAside(dir, to, name)
	if err != nil {
		f.Error = strings.TrimSpace(f.Error + "; " + err.Error())
		return f
	}
	f.MovedTo = moved
	if failure != nil {
		_ = os.WriteFile(moved+".error.txt", []byte(failure.Error()+"\n"), 0o640)
	}
	return f
}

// moveAside renames dir/name into dir/sub/, never over another file: a
// second file of the same name gets a numbered suffix.
func moveAside(dir, sub, name string) (string, error) {
	to := filepath.Join(dir, sub)
	if err := os.MkdirAll(to, 0o750); err != nil {
		return "", fmt.Errorf("inbox: %w", err)
	}
	dest := filepath.Join(to, name)
	for i := 1; ; i++ {
		if _, err := os.Lstat(dest); errors.Is(err, fs.ErrNotExist) {
			break
		}
		dest = filepath.Join(to, fmt.Sprintf("%s.%d", name, i))
	}
	if err := os.Rename(filepath.Join(dir, name), dest); err != nil {
		return "", fmt.Errorf("inbox: move %s aside: %w", name, err)
	}
	return dest, nil
}

// answerFileFault says whether err is the answer file's own fault (not
// readable as answers, or naming a document feepos never handed over or
// that an answer cannot apply to): such a file is moved to failed/ for a
// person. Any other error is the service's and the file is kept.
func answerFileFault(err error) bool {
	switch apperr.Code(err) {
	case apperr.Invalid, apperr.NotFound, apperr.Conflict:
		return true
	}
	return false
}
