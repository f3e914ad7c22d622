package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
)

// newDatabase creates an empty database (as feepos serve would, the only
// command that creates one) in a new folder and returns its path.
func newDatabase(t *testing.T) string {
	t.Helper()
	return createDatabase(t, filepath.Join(t.TempDir(), "f.db"))
}

// createDatabase creates an empty database at path.
func createDatabase(t *testing.T, path string) string {
	t.Helper()
	db, err := sqlite.Open(context.Background(), path)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	return path
}

// fileState is what a write would change of a database file.
type fileState struct {
	data    []byte
	modTime time.Time
}

func stateOfFile(t *testing.T, path string) fileState {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	return fileState{data, fi.ModTime()}
}

// A mistyped --db is not found by every command but serve: none creates
// the folder or an empty database whose reports would say all is well.
func TestMistypedDatabaseIsNotFound(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo", "feepos.db")
	require.NoError(t, os.Mkdir(filepath.Join(dir, "drop"), 0o700))
	commands := [][]string{
		{"ledger", "verify"},
		{"ledger", "trial-balance"},
		{"ledger", "journal", "--date", today()},
		{"ledger", "balances"},
		{"ledger", "accounts"},
		{"ledger", "reverse", "1"},
		{"receipts", "verify"},
		{"receipts", "xml", "EBL01", "26TAA", "1"},
		{"receipts", "close", "--date", "2026-01-05"},
		{"receipts", "summary", "--org", "UBND-Q1", "--date", "2026-01-05", "--unsigned"},
		{"receipts", "export", "--drop", filepath.Join(dir, "drop"), "--date", "2026-01-05"},
		{"receipts", "render", "26TAA", "1", "--format", "html", "--out", filepath.Join(dir, "r.html")},
		{"backup", "--to", filepath.Join(dir, "b.db")},
		{"migrate"},
	}
	for _, args := range commands {
		name := strings.Join(args, " ")
		r := feepos(t, "", append([]string{"--db", typo}, args...)...)
		assert.Equal(t, 1, r.code, "%s: %s", name, r.stderr)
		assert.Contains(t, r.stderr, typo+" does not exist", name)
		assert.Empty(t, r.stdout, name)

		r = feepos(t, "", append([]string{"--db", typo, "--json"}, args...)...)
		assert.Equal(t, 1, r.code, name)
		assert.Contains(t, r.stderr, `"code":"not_found"`, name)
	}
	r := feepos(t, cashEntry(today()), "--db", typo, "ledger", "post")
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stderr, typo+" does not exist")

	_, err := os.Stat(filepath.Join(dir, "typo"))
	assert.True(t, errors.Is(err, os.ErrNotExist), "no command created the folder")
	_, err = os.Stat(filepath.Join(dir, "b.db"))
	assert.True(t, errors.Is(err, os.ErrNotExist))
}

// auditorFixture is a database with ledger entries and signed receipts,
// closed (no -wal), and the certificate its receipts are signed with.
func auditorFixture(t *testing.T) (dbPath, certPath string) {
	t.Helper()
	dbPath, certPath, _ = signedReceiptsDB(t, 0)
	r := feepos(t, cashEntry(today()), "--db", dbPath, "ledger", "post")
	require.Equal(t, 0, r.code, r.stderr)
	_, err := os.Stat(dbPath + "-wal")
	require.True(t, errors.Is(err, os.ErrNotExist), "the fixture is closed")
	return dbPath, certPath
}

// readingCommands are the reports and checks, as an auditor runs them.
func readingCommands(certPath string) [][]string {
	return [][]string{
		{"ledger", "verify"},
		{"ledger", "trial-balance", "--date", today()},
		{"ledger", "journal", "--date", today()},
		{"ledger", "balances", "--date", today(), "--by", "agency"},
		{"ledger", "accounts"},
		{"receipts", "verify", "--cert", certPath},
		{"receipts", "xml", "EBL01", "26TAA", "2"},
	}
}

// Reports and checks never write to the database, even where they could
// (the tests run as root, whom file modes do not stop): the file's bytes
// and time stay as they were. They used to migrate it and sync the chart
// of accounts into it.
func TestReportsNeverWriteTheDatabase(t *testing.T) {
	dbPath, certPath := auditorFixture(t)
	before := stateOfFile(t, dbPath)
	for _, args := range readingCommands(certPath) {
		r := feepos(t, "", append([]string{"--db", dbPath}, args...)...)
		require.Equal(t, 0, r.code, "%v: %s", args, r.stderr)
	}
	r := feepos(t, "", "--db", dbPath, "backup", "--to", filepath.Join(t.TempDir(), "b.db"))
	require.Equal(t, 0, r.code, r.stderr)
	after := stateOfFile(t, dbPath)
	assert.Equal(t, before.data, after.data, "the database's bytes changed")
	assert.Equal(t, before.modTime, after.modTime, "the database was written")
	if fi, err := os.Stat(dbPath + "-wal"); err == nil {
		assert.Zero(t, fi.Size(), "nothing was written to the -wal")
	}
}

// TestAuditorChild is not a test: runAsAuditor runs this test binary again
// as this test, which runs feepos with the arguments it is given.
func TestAuditorChild(t *testing.T) {
	raw := os.Getenv("FEEPOS_AUDITOR_ARGS")
	if raw == "" {
		return
	}
	var args []string
	if err := json.Unmarshal([]byte(raw), &args); err != nil {
		fmt.Fprintln(os.Stderr, "auditor child:", err)
		os.Exit(3)
	}
	os.Exit(run(context.Background(), args, strings.NewReader(""), os.Stdout, os.Stderr))
}

// auditorUID is the unprivileged user the auditor's commands run as when
// the tests run as root (nobody).
const auditorUID = 65534

// auditor runs feepos as an unprivileged user, for whom file modes hold:
// as nobody when the tests run as root, else as the user running them.
type auditor struct {
	exe string // a copy of this test binary that the user can run
	dir string // a folder the user can reach, removed at the end
}

func newAuditor(t *testing.T) *auditor {
	t.Helper()
	dir, err := os.MkdirTemp("", "feepos-auditor-")
	require.NoError(t, err)
	t.Cleanup(func() {
		filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
			if err == nil && info.IsDir() {
				os.Chmod(p, 0o700)
			}
			return nil
		})
		os.RemoveAll(dir)
	})
	require.NoError(t, os.Chmod(dir, 0o755))
	self, err := os.Executable()
	require.NoError(t, err)
	a := &auditor{exe: filepath.Join(dir, "feepos.test"), dir: dir}
	in, err := os.Open(self)
	require.NoError(t, err)
	defer in.Close()
	out, err := os.OpenFile(a.exe, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o755)
	require.NoError(t, err)
	_, err = io.Copy(out, in)
	require.NoError(t, err)
	require.NoError(t, out.Close())
	return a
}

// folder makes a folder of the auditor's own (owned by it, mode 0755).
func (a *auditor) folder(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join(a.dir, name)
	require.NoError(t, os.Mkdir(p, 0o755))
	a.own(t, p)
	return p
}

// own gives path to the auditor.
func (a *auditor) own(t *testing.T, path string) {
	t.Helper()
	if os.Geteuid() == 0 {
		require.NoError(t, os.Chown(path, auditorUID, auditorUID))
	}
}

func (a *auditor) run(t *testing.T, args ...string) result {
	t.Helper()
	raw, err := json.Marshal(args)
	require.NoError(t, err)
	cmd := exec.Command(a.exe, "-test.run=^TestAuditorChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "FEEPOS_AUDITOR_ARGS="+string(raw))
	cmd.Dir = a.dir
	if os.Geteuid() == 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: auditorUID, Gid: auditorUID}}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return result{exit.ExitCode(), stdout.String(), stderr.String()}
	case err != nil:
		t.Skipf("cannot run feepos as an unprivileged user here: %v", err)
	}
	return result{0, stdout.String(), stderr.String()}
}

// An auditor with a read-only copy (a 0444 file, or a folder they may not
// write) runs the reports and checks; a command that writes says the
// database cannot be written, without blaming readability. Run as an
// unprivileged user, for whom the modes hold.
func TestReadOnlyCopyAsAnAuditor(t *testing.T) {
	src, certPath := auditorFixture(t)
	aud := newAuditor(t)
	cert := filepath.Join(aud.dir, "cert.pem")
	data, err := os.ReadFile(certPath)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(cert, data, 0o644))
	db, err := os.ReadFile(src)
	require.NoError(t, err)

	cases := map[string]func(t *testing.T) string{
		"0444 file in the auditor's folder": func(t *testing.T) string {
			path := filepath.Join(aud.folder(t, "file-0444"), "feepos.db")
			require.NoError(t, os.WriteFile(path, db, 0o444))
			aud.own(t, path)
			require.NoError(t, os.Chmod(path, 0o444))
			return path
		},
		"0555 folder": func(t *testing.T) string {
			dir := aud.folder(t, "folder-0555")
			path := filepath.Join(dir, "feepos.db")
			require.NoError(t, os.WriteFile(path, db, 0o444))
			aud.own(t, path)
			require.NoError(t, os.Chmod(path, 0o444))
			require.NoError(t, os.Chmod(dir, 0o555))
			return path
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			path := setup(t)
			before := stateOfFile(t, path)
			entries, err := os.ReadDir(filepath.Dir(path))
			require.NoError(t, err)

			r := aud.run(t, "--db", path, "ledger", "verify")
			require.Equal(t, 0, r.code, r.stderr)
			assert.Contains(t, r.stdout, "Sổ cái toàn vẹn: 1 bút toán")
			r = aud.run(t, "--db", path, "ledger", "trial-balance", "--date", today())
			require.Equal(t, 0, r.code, r.stderr)
			assert.Contains(t, r.stdout, "150.000")
			r = aud.run(t, "--db", path, "receipts", "verify", "--cert", cert)
			require.Equal(t, 0, r.code, r.stderr)
			assert.Contains(t, r.stdout, "Biên lai toàn vẹn: 3 biên lai, 3 đã ký")
			for _, args := range readingCommands(cert) {
				r := aud.run(t, append([]string{"--db", path}, args...)...)
				assert.Equal(t, 0, r.code, "%v: %s", args, r.stderr)
			}
			// A backup of the read-only copy into a folder of the auditor's.
			backup := filepath.Join(aud.folder(t, "backups-"+filepath.Base(filepath.Dir(path))), "b.db")
			r = aud.run(t, "--db", path, "backup", "--to", backup)
			require.Equal(t, 0, r.code, r.stderr)

			// A command that writes is refused, saying why.
			for _, args := range [][]string{{"ledger", "reverse", "1"}, {"receipts", "close", "--date", "2026-01-05"}, {"migrate"}} {
				r = aud.run(t, append([]string{"--db", path, "--json"}, args...)...)
				assert.Equal(t, 1, r.code, "%v: %s", args, r.stderr)
				assert.Contains(t, r.stderr, `"code":"forbidden"`, args)
				assert.Contains(t, r.stderr, "cannot be written here", args)
				assert.NotContains(t, r.stderr, "readonly database", args)
				assert.NotContains(t, r.stderr, "cannot read", args)
				assert.NotContains(t, r.stderr, "readable?", args)
			}

			after := stateOfFile(t, path)
			assert.Equal(t, before.data, after.data)
			assert.Equal(t, before.modTime, after.modTime)
			if strings.Contains(name, "0555") {
				now, err := os.ReadDir(filepath.Dir(path))
				require.NoError(t, err)
				assert.Equal(t, len(entries), len(now), "nothing was created in the read-only folder")
			}
		})
	}
}

// A backup file is readable by its owner only, whatever the umask.
func TestBackupFileMode(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dbPath, _ := auditorFixture(t)
	backup := filepath.Join(t.TempDir(), "b.db")
	r := feepos(t, "", "--db", dbPath, "backup", "--to", backup)
	require.Equal(t, 0, r.code, r.stderr)
	fi, err := os.Stat(backup)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
}

// restore refuses a tampered backup, naming the problem, and leaves the
// database in place as it was.
func TestRestoreRefusesTamperedBackup(t *testing.T) {
	for name, statements := range map[string][]string{
		"trigger dropped, ledger line edited": {
			`DROP TRIGGER ledger_lines_no_update`, `UPDATE ledger_lines SET amount = 10000 WHERE entry_id = 1 AND line_no = 3`,
		},
		"index added": {`CREATE INDEX receipts_by_payer ON receipts (payer_name)`},
	} {
		t.Run(name, func(t *testing.T) {
			dbPath, cert := auditorFixture(t)
			cfg := filepath.Join(t.TempDir(), "feepos.toml")
			writeConfig(t, cfg, "[receipts]\ncert_file = \""+cert+"\"\n")
			backup := filepath.Join(t.TempDir(), "b.db")
			r := feepos(t, "", "--db", dbPath, "backup", "--to", backup)
			require.Equal(t, 0, r.code, r.stderr)
			r = feepos(t, cashEntry(today()), "--db", dbPath, "ledger", "reverse", "1", "--date", today())
			require.Equal(t, 0, r.code, r.stderr)
			before := stateOfFile(t, dbPath)

			tamper(t, backup, statements...)
			r = feepos(t, "", "--db", dbPath, "--config", cfg, "--json", "restore", "--from", backup)
			assert.Equal(t, 1, r.code, r.stderr)
			assert.Contains(t, r.stderr, `"code":"invalid"`)
			assert.Contains(t, r.stderr, backup+" does not check out")
			switch {
			case strings.Contains(name, "trigger"):
				assert.Contains(t, r.stderr, "the trigger ledger_lines_no_update is missing")
			default:
				assert.Contains(t, r.stderr, "the index receipts_by_payer on receipts is not one feepos's migrations create")
			}
			after := stateOfFile(t, dbPath)
			assert.Equal(t, before.data, after.data, "the database in place is untouched")
			r = feepos(t, "", "--db", dbPath, "ledger", "verify")
			require.Equal(t, 0, r.code, r.stderr)
			assert.Contains(t, r.stdout, "2 bút toán")
		})
	}

	// A receipt edited and its trigger put back: the schema holds, the
	// chain does not.
	dbPath, cert := auditorFixture(t)
	backup := filepath.Join(t.TempDir(), "b.db")
	r := feepos(t, "", "--db", dbPath, "backup", "--to", backup)
	require.Equal(t, 0, r.code, r.stderr)
	db, err := sqlOpen(backup)
	require.NoError(t, err)
	var trigger string
	require.NoError(t, db.QueryRow(`SELECT sql FROM sqlite_master WHERE name = 'receipts_no_update'`).Scan(&trigger))
	require.NoError(t, db.Close())
	tamper(t, backup, `DROP TRIGGER receipts_no_update`, `UPDATE receipts SET payer_name = 'Người khác' WHERE number = 2`, trigger)
	r = feepos(t, "", "--db", dbPath, "restore", "--from", backup)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "receipts verify: receipt 26TAA-00000002: content changed after issue")

	// The untouched backup restores, its signatures checked against the
	// configured certificate.
	good := filepath.Join(t.TempDir(), "good.db")
	r = feepos(t, "", "--db", dbPath, "backup", "--to", good)
	require.Equal(t, 0, r.code, r.stderr)
	cfg := filepath.Join(t.TempDir(), "feepos.toml")
	writeConfig(t, cfg, "[receipts]\ncert_file = \""+cert+"\"\n")
	r = feepos(t, "", "--db", dbPath, "--config", cfg, "restore", "--from", good)
	require.Equal(t, 0, r.code, r.stderr)
}

// In a folder the auditor may not write, a -wal holding writes cannot be
// read without its -shm: refused with what to do, never read without it
// (an immutable open would miss those writes and call the ledger whole).
func TestReadOnlyFolderWithPendingWAL(t *testing.T) {
	src, _ := auditorFixture(t)
	db, err := sqlite.OpenExisting(context.Background(), src)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Post(context.Background(), ledger.NewEntry{Date: today(), Description: "Thu lệ phí", IdempotencyKey: "wal-1",
		Lines: []ledger.Line{{Account: "111", Side: ledger.Debit, Amount: 1000}, {Account: "3373", Side: ledger.Credit, Amount: 1000}}})
	require.NoError(t, err)
	wal, err := os.ReadFile(src + "-wal")
	require.NoError(t, err)
	require.NotEmpty(t, wal, "the entry is in the -wal")
	main, err := os.ReadFile(src)
	require.NoError(t, err)

	aud := newAuditor(t)
	dir := aud.folder(t, "copy")
	path := filepath.Join(dir, "feepos.db")
	require.NoError(t, os.WriteFile(path, main, 0o444))
	require.NoError(t, os.WriteFile(path+"-wal", wal, 0o444))
	require.NoError(t, os.Chmod(dir, 0o555))

	r := aud.run(t, "--db", path, "--json", "ledger", "verify")
	assert.Equal(t, 1, r.code, r.stdout)
	assert.Contains(t, r.stderr, path+"-wal that are not in its main file yet")
	assert.Contains(t, r.stderr, `"code":"forbidden"`)
	assert.Empty(t, r.stdout)
}
