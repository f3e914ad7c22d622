package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
)

// Web sessions (migration 0015, docs/WEB.md). The browser holds a random
// token in its cookie; the store keeps its SHA-256 (hashToken), the
// session's CSRF token and its times. The clock is the caller's (now), so
// the web side's tests run lockout and expiry on a fake clock.

// touchEvery bounds the writes of last_seen_at: a session is written at
// most once a minute however many requests it makes, and its idle expiry
// is late by at most that.
const touchEvery = time.Minute

// Login checks username and password at now and opens a session. A wrong
// password (or unknown or disabled user) is auth.ErrBadLogin, a locked
// account auth.LockedError; the MaxFailedLogins-th wrong password in a
// row locks the account and answers LockedError. Every outcome is
// audited: user.login, user.login_failed, user.locked, user.login_locked.
// afterPasswordCheck runs between Login's password check and the
// transaction that opens the session; a test puts an administrator's
// change there.
var afterPasswordCheck = func() {}

func (db *DB) Login(ctx context.Context, username, password string, now time.Time) (auth.User, auth.NewSession, error) {
	username = strings.TrimSpace(username)
	r, err := userByUsername(ctx, db.db, username)
	if err != nil {
		auth.CheckNoPassword(password) // as long as for a real user
		if apperr.Code(err) != apperr.NotFound {
			return auth.User{}, auth.NewSession{}, err
		}
		unknown := auth.Actor{Kind: auth.KindUser, ID: "?", Name: truncate(username, 64)}
		if err := db.WithTx(ctx, func(tx *Tx) error {
			return tx.Audit(ctx, auth.AuditEntry{At: now, Actor: unknown, Action: "user.login_failed", Object: "username:" + truncate(username, 64),
				Detail: []byte(`{"reason":"unknown user"}`)})
		}); err != nil {
			return auth.User{}, auth.NewSession{}, err
		}
		return auth.User{}, auth.NewSession{}, auth.ErrBadLogin
	}
	u, err := r.user()
	if err != nil {
		return auth.User{}, auth.NewSession{}, err
	}
	actor := u.Actor()
	if u.Locked(now) {
		auth.CheckNoPassword(password)
		if err := db.WithTx(ctx, func(tx *Tx) error {
			return tx.Audit(ctx, auth.AuditEntry{At: now, Actor: actor, Action: "user.login_locked", Object: "user:" + u.ID})
		}); err != nil {
			return auth.User{}, auth.NewSession{}, err
		}
		return auth.User{}, auth.NewSession{}, auth.LockedError{Until: *u.LockedUntil}
	}
	ok, err := auth.CheckPassword(r.PasswordHash, password)
	if err != nil {
		return auth.User{}, auth.NewSession{}, err
	}
	afterPasswordCheck()
	if !ok || u.Disabled {
		if u.Disabled {
			err := db.WithTx(ctx, func(tx *Tx) error {
				return tx.Audit(ctx, auth.AuditEntry{At: now, Actor: actor, Action: "user.login_failed", Object: "user:" + u.ID,
					Detail: []byte(`{"reason":"disabled"}`)})
			})
			if err != nil {
				return auth.User{}, auth.NewSession{}, err
			}
			return auth.User{}, auth.NewSession{}, auth.ErrBadLogin
		}
		until, err := db.failedLogin(ctx, r.ID, actor, now, "login")
		if err != nil {
			return auth.User{}, auth.NewSession{}, err
		}
		if until != nil {
			return auth.User{}, auth.NewSession{}, auth.LockedError{Until: *until}
		}
		return auth.User{}, auth.NewSession{}, auth.ErrBadLogin
	}
	token, err := randomString(32)
	if err != nil {
		return auth.User{}, auth.NewSession{}, err
	}
	csrf, err := randomString(32)
	if err != nil {
		return auth.User{}, auth.NewSession{}, err
	}
	now = now.UTC()
	ns := auth.NewSession{Token: token, Session: auth.Session{ID: hashToken(token), UserID: u.ID, CSRF: csrf,
		CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(auth.SessionMax)}}
	err = db.WithTx(ctx, func(tx *Tx) error {
		// The password was checked outside this transaction (argon2id is
		// slow): an administrator may have reset it, disabled or locked
		// the account meanwhile. Then no session is opened.
		var cur struct {
			Hash     string         `db:"password_hash"`
			Disabled bool           `db:"disabled"`
			Locked   sql.NullString `db:"locked_until"`
		}
		if err := tx.GetContext(ctx, &cur, `SELECT password_hash, disabled, locked_until FROM users WHERE id = ?`, r.ID); err != nil {
			return fmt.Errorf("read the account %q again: %w", u.Username, err)
		}
		if cur.Hash != r.PasswordHash || cur.Disabled || cur.Locked != r.LockedUntil {
			return auth.ErrBadLogin
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = ?`, r.ID); err != nil {
			return fmt.Errorf("record the login of %q: %w", u.Username, err)
		}
		// Sessions long over are swept here, not by a timer.
		if _, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE expires_at < ?`, stamp(now.Add(-24*time.Hour))); err != nil {
			return fmt.Errorf("remove old sessions: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO web_sessions (token_sha256, user_id, csrf_token, created_at, last_seen_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, ns.ID, r.ID, csrf, stamp(now), stamp(now), stamp(ns.ExpiresAt)); err != nil {
			return fmt.Errorf("open a session for %q: %w", u.Username, err)
		}
		detail, _ := json.Marshal(map[string]any{"session": ns.ID[:12]})
		return tx.Audit(ctx, auth.AuditEntry{At: now, Actor: actor, Action: "user.login", Object: "user:" + u.ID, Detail: detail})
	})
	if err != nil {
		return auth.User{}, auth.NewSession{}, err
	}
	u.FailedLogins, u.LockedUntil = 0, nil
	return u, ns, nil
}

type sessionRow struct {
	Hash      string `db:"token_sha256"`
	UserID    int64  `db:"user_id"`
	CSRF      string `db:"csrf_token"`
	CreatedAt string `db:"created_at"`
	LastSeen  string `db:"last_seen_at"`
	ExpiresAt string `db:"expires_at"`
}

func (r sessionRow) session() (auth.Session, error) {
	s := auth.Session{ID: r.Hash, UserID: strconv.FormatInt(r.UserID, 10), CSRF: r.CSRF}
	var err error
	for _, f := range []struct {
		dst *time.Time
		src string
	}{{&s.CreatedAt, r.CreatedAt}, {&s.LastSeen, r.LastSeen}, {&s.ExpiresAt, r.ExpiresAt}} {
		if *f.dst, err = time.Parse(time.RFC3339Nano, f.src); err != nil {
			return auth.Session{}, fmt.Errorf("session: time %q: %w", f.src, err)
		}
	}
	return s, nil
}

// Session finds the session of a cookie's token at now, with its user,
// and notes its use. An unknown, expired (idle or too old) session, or one
// of a disabled user, is auth.ErrNoSession.
func (db *DB) Session(ctx context.Context, token string, now time.Time) (auth.User, auth.Session, error) {
	if token == "" || len(token) > 200 {
		return auth.User{}, auth.Session{}, auth.ErrNoSession
	}
	h := hashToken(token)
	var r sessionRow
	err := db.db.GetContext(ctx, &r, `SELECT token_sha256, user_id, csrf_token, created_at, last_seen_at, expires_at
		FROM web_sessions WHERE token_sha256 = ?`, h)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.User{}, auth.Session{}, auth.ErrNoSession
	}
	if err != nil {
		return auth.User{}, auth.Session{}, fmt.Errorf("read the session: %w", err)
	}
	s, err := r.session()
	if err != nil {
		return auth.User{}, auth.Session{}, err
	}
	ur, err := userByID(ctx, db.db, s.UserID)
	if err != nil {
		return auth.User{}, auth.Session{}, err
	}
	u, err := ur.user()
	if err != nil {
		return auth.User{}, auth.Session{}, err
	}
	if s.Expired(now) || u.Disabled {
		if err := db.WithTx(ctx, func(tx *Tx) error {
			res, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE token_sha256 = ?`, h)
			if err != nil {
				return fmt.Errorf("end an expired session: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return nil // another request ended it
			}
			detail, _ := json.Marshal(map[string]any{"session": h[:12], "last_seen": stamp(s.LastSeen)})
			return tx.Audit(ctx, auth.AuditEntry{At: now, Actor: u.Actor(), Action: "user.session_expired", Object: "user:" + u.ID, Detail: detail})
		}); err != nil {
			return auth.User{}, auth.Session{}, err
		}
		return auth.User{}, auth.Session{}, auth.ErrNoSession
	}
	if now.Sub(s.LastSeen) >= touchEvery {
		s.LastSeen = now.UTC()
		if err := db.WithTx(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE web_sessions SET last_seen_at = ? WHERE token_sha256 = ?`, stamp(now), h)
			return err
		}); err != nil {
			return auth.User{}, auth.Session{}, fmt.Errorf("note the session's use: %w", err)
		}
	}
	return u, s, nil
}

// Logout ends the session of token, audited as its user; an unknown
// session is no error (it has ended already).
func (db *DB) Logout(ctx context.Context, token string, now time.Time) error {
	if token == "" {
		return nil
	}
	h := hashToken(token)
	return db.WithTx(ctx, func(tx *Tx) error {
		var uid int64
		err := tx.GetContext(ctx, &uid, `DELETE FROM web_sessions WHERE token_sha256 = ? RETURNING user_id`, h)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("end the session: %w", err)
		}
		ur, err := userByID(ctx, tx, strconv.FormatInt(uid, 10))
		if err != nil {
			return err
		}
		u, err := ur.user()
		if err != nil {
			return err
		}
		detail, _ := json.Marshal(map[string]any{"session": h[:12]})
		return tx.Audit(ctx, auth.AuditEntry{At: now, Actor: u.Actor(), Action: "user.logout", Object: "user:" + u.ID, Detail: detail})
	})
}

// SessionToken is the stored name of a cookie's token (its hash): what
// ChangePassword's keep takes.
func SessionToken(token string) string { return hashToken(token) }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
