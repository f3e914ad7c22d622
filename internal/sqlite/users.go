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

// The web pages' accounts (migration 0015, docs/WEB.md). Passwords are
// hashed (argon2id, auth.HashPassword) before the write transaction
// begins: a hash takes tens of milliseconds, and the writer is shared with
// the payments.

type userRow struct {
	ID                int64          `db:"id"`
	Username          string         `db:"username"`
	Name              string         `db:"name"`
	Role              string         `db:"role"`
	PasswordHash      string         `db:"password_hash"`
	MustChange        bool           `db:"must_change"`
	FailedLogins      int            `db:"failed_logins"`
	LockedUntil       sql.NullString `db:"locked_until"`
	Disabled          bool           `db:"disabled"`
	CreatedAt         string         `db:"created_at"`
	PasswordChangedAt sql.NullString `db:"password_changed_at"`
}

const userColumns = `id, username, name, role, password_hash, must_change, failed_logins, locked_until, disabled, created_at, password_changed_at`

func (r userRow) user() (auth.User, error) {
	u := auth.User{ID: strconv.FormatInt(r.ID, 10), Username: r.Username, Name: r.Name, Role: auth.Role(r.Role),
		MustChange: r.MustChange, FailedLogins: r.FailedLogins, Disabled: r.Disabled}
	var err error
	if u.CreatedAt, err = time.Parse(time.RFC3339Nano, r.CreatedAt); err != nil {
		return auth.User{}, fmt.Errorf("user %d: created_at %q: %w", r.ID, r.CreatedAt, err)
	}
	if u.LockedUntil, err = nullTime(r.LockedUntil); err != nil {
		return auth.User{}, fmt.Errorf("user %d: locked_until: %w", r.ID, err)
	}
	if u.PasswordChangedAt, err = nullTime(r.PasswordChangedAt); err != nil {
		return auth.User{}, fmt.Errorf("user %d: password_changed_at: %w", r.ID, err)
	}
	return u, nil
}

func nullTime(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func userByUsername(ctx context.Context, q querier, username string) (userRow, error) {
	var r userRow
	err := q.GetContext(ctx, &r, `SELECT `+userColumns+` FROM users WHERE username = ?`, strings.TrimSpace(username))
	if errors.Is(err, sql.ErrNoRows) {
		return userRow{}, coded{apperr.NotFound, fmt.Errorf("there is no user %q: feepos users list shows the users", username)}
	}
	if err != nil {
		return userRow{}, fmt.Errorf("read user %q: %w", username, err)
	}
	return r, nil
}

func userByID(ctx context.Context, q querier, id string) (userRow, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return userRow{}, coded{apperr.Invalid, fmt.Errorf("user id %q is not a number", id)}
	}
	var r userRow
	err = q.GetContext(ctx, &r, `SELECT `+userColumns+` FROM users WHERE id = ?`, n)
	if errors.Is(err, sql.ErrNoRows) {
		return userRow{}, coded{apperr.NotFound, fmt.Errorf("there is no user %s", id)}
	}
	if err != nil {
		return userRow{}, fmt.Errorf("read user %s: %w", id, err)
	}
	return r, nil
}

// NewUser is an account to create.
type NewUser struct {
	Username   string
	Name       string
	Role       auth.Role // cashier, accountant or admin
	Password   string    // empty: a one-time password is made (CreatedUser.Password)
	MustChange bool      // forced true when the password is made here
}

// CreatedUser is an account just made, with its password when feepos
// made it: the only time it exists in clear.
type CreatedUser struct {
	auth.User
	Password string // the one-time password made here; "" when NewUser gave one
}

// validUsername: letters, digits and . _ - only, so a name is typed the
// same on every keyboard and safe in a log line.
func validUsername(s string) error {
	if len(s) < 2 || len(s) > 64 {
		return coded{apperr.Invalid, fmt.Errorf("user name %q: use 2 to 64 characters", s)}
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return coded{apperr.Invalid, fmt.Errorf("user name %q: use only letters a–z without accents, digits, '.', '_' and '-'", s)}
		}
	}
	return nil
}

// CreateUser makes an account, with an audit line naming by. Without a
// password it makes a one-time one that must be changed at first sign-in.
func (db *DB) CreateUser(ctx context.Context, nu NewUser, by auth.Actor) (CreatedUser, error) {
	nu.Username, nu.Name = strings.TrimSpace(nu.Username), strings.TrimSpace(nu.Name)
	if err := validUsername(nu.Username); err != nil {
		return CreatedUser{}, err
	}
	if nu.Name == "" {
		return CreatedUser{}, coded{apperr.Invalid, errors.New("a user needs the person's full name (e.g. --name \"Nguyễn Thị Thu\")")}
	}
	if _, err := auth.ParseWebRole(string(nu.Role)); err != nil {
		return CreatedUser{}, coded{apperr.Invalid, err}
	}
	out := CreatedUser{}
	if nu.Password == "" {
		p, err := auth.OneTimePassword()
		if err != nil {
			return CreatedUser{}, err
		}
		nu.Password, out.Password, nu.MustChange = p, p, true
	} else if err := auth.CheckPasswordPolicy(nu.Password, nu.Username); err != nil {
		return CreatedUser{}, coded{apperr.Invalid, err}
	}
	hash, err := auth.HashPassword(nu.Password)
	if err != nil {
		return CreatedUser{}, err
	}
	err = db.WithTx(ctx, func(tx *Tx) error {
		var exists int
		if err := tx.GetContext(ctx, &exists, `SELECT COUNT(*) FROM users WHERE username = ?`, nu.Username); err != nil {
			return fmt.Errorf("check user name %q: %w", nu.Username, err)
		}
		if exists > 0 {
			return coded{apperr.Conflict, fmt.Errorf("the user name %q is taken: choose another, or reset its password (feepos users reset)", nu.Username)}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO users (username, name, role, password_hash, must_change, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, nu.Username, nu.Name, string(nu.Role), hash, nu.MustChange, stamp(tx.Now))
		if err != nil {
			return fmt.Errorf("store user %q: %w", nu.Username, err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		out.User = auth.User{ID: strconv.FormatInt(id, 10), Username: nu.Username, Name: nu.Name, Role: nu.Role,
			MustChange: nu.MustChange, CreatedAt: tx.Now.UTC()}
		detail, _ := json.Marshal(map[string]any{"username": nu.Username, "name": nu.Name, "role": nu.Role, "must_change": nu.MustChange})
		return tx.Audit(ctx, auth.AuditEntry{Actor: by, Action: "user.create", Object: "user:" + out.ID, Detail: detail})
	})
	if err != nil {
		return CreatedUser{}, err
	}
	return out, nil
}

// ResetPassword gives username a new one-time password (returned; it must
// be changed at next sign-in), unlocks the account and ends its sessions,
// with an audit line naming by.
func (db *DB) ResetPassword(ctx context.Context, username string, by auth.Actor) (CreatedUser, error) {
	p, err := auth.OneTimePassword()
	if err != nil {
		return CreatedUser{}, err
	}
	hash, err := auth.HashPassword(p)
	if err != nil {
		return CreatedUser{}, err
	}
	var out CreatedUser
	err = db.WithTx(ctx, func(tx *Tx) error {
		r, err := userByUsername(ctx, tx, username)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, must_change = 1, failed_logins = 0, locked_until = NULL,
			password_changed_at = ? WHERE id = ?`, hash, stamp(tx.Now), r.ID); err != nil {
			return fmt.Errorf("reset the password of %q: %w", username, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE user_id = ?`, r.ID); err != nil {
			return fmt.Errorf("end the sessions of %q: %w", username, err)
		}
		r, err = userByID(ctx, tx, strconv.FormatInt(r.ID, 10))
		if err != nil {
			return err
		}
		if out.User, err = r.user(); err != nil {
			return err
		}
		out.Password = p
		detail, _ := json.Marshal(map[string]any{"username": r.Username})
		return tx.Audit(ctx, auth.AuditEntry{Actor: by, Action: "user.reset", Object: "user:" + out.ID, Detail: detail})
	})
	if err != nil {
		return CreatedUser{}, err
	}
	return out, nil
}

// SetUserDisabled disables (ending its sessions) or re-enables an
// account, with an audit line naming by and the reason.
func (db *DB) SetUserDisabled(ctx context.Context, username string, disabled bool, reason string, by auth.Actor) (auth.User, error) {
	var out auth.User
	err := db.WithTx(ctx, func(tx *Tx) error {
		r, err := userByUsername(ctx, tx, username)
		if err != nil {
			return err
		}
		if by.Kind == auth.KindUser && by.ID == strconv.FormatInt(r.ID, 10) && disabled {
			return coded{apperr.Invalid, errors.New("you cannot disable your own account: ask another administrator")}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled = ?, failed_logins = 0, locked_until = NULL WHERE id = ?`, disabled, r.ID); err != nil {
			return fmt.Errorf("update user %q: %w", username, err)
		}
		if disabled {
			if _, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE user_id = ?`, r.ID); err != nil {
				return fmt.Errorf("end the sessions of %q: %w", username, err)
			}
		}
		r.Disabled, r.FailedLogins, r.LockedUntil = disabled, 0, sql.NullString{}
		if out, err = r.user(); err != nil {
			return err
		}
		action := "user.enable"
		if disabled {
			action = "user.disable"
		}
		return tx.Audit(ctx, auth.AuditEntry{Actor: by, Action: action, Object: "user:" + out.ID, Reason: reason})
	})
	return out, err
}

// UpdateUser changes an account's name and role, with an audit line
// naming by; a change of role ends the account's sessions, so the new
// role applies from the next sign-in.
func (db *DB) UpdateUser(ctx context.Context, username, name string, role auth.Role, by auth.Actor) (auth.User, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return auth.User{}, coded{apperr.Invalid, errors.New("a user needs the person's full name")}
	}
	if _, err := auth.ParseWebRole(string(role)); err != nil {
		return auth.User{}, coded{apperr.Invalid, err}
	}
	var out auth.User
	err := db.WithTx(ctx, func(tx *Tx) error {
		r, err := userByUsername(ctx, tx, username)
		if err != nil {
			return err
		}
		if by.Kind == auth.KindUser && by.ID == strconv.FormatInt(r.ID, 10) && role != auth.Role(r.Role) {
			return coded{apperr.Invalid, errors.New("you cannot change your own role: ask another administrator")}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET name = ?, role = ? WHERE id = ?`, name, string(role), r.ID); err != nil {
			return fmt.Errorf("update user %q: %w", username, err)
		}
		if role != auth.Role(r.Role) {
			if _, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE user_id = ?`, r.ID); err != nil {
				return fmt.Errorf("end the sessions of %q: %w", username, err)
			}
		}
		detail, _ := json.Marshal(map[string]any{"name": [2]string{r.Name, name}, "role": [2]string{r.Role, string(role)}})
		r.Name, r.Role = name, string(role)
		if out, err = r.user(); err != nil {
			return err
		}
		return tx.Audit(ctx, auth.AuditEntry{Actor: by, Action: "user.update", Object: "user:" + out.ID, Detail: detail})
	})
	return out, err
}

// Users lists every account, disabled ones too, by user name.
func (db *DB) Users(ctx context.Context) ([]auth.User, error) {
	var rows []userRow
	if err := db.db.SelectContext(ctx, &rows, `SELECT `+userColumns+` FROM users ORDER BY username`); err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	out := make([]auth.User, 0, len(rows))
	for _, r := range rows {
		u, err := r.user()
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// UserByUsername is one account (apperr NotFound when there is none).
func (db *DB) UserByUsername(ctx context.Context, username string) (auth.User, error) {
	r, err := userByUsername(ctx, db.db, username)
	if err != nil {
		return auth.User{}, err
	}
	return r.user()
}

// UserByID is one account (apperr NotFound when there is none).
func (db *DB) UserByID(ctx context.Context, id string) (auth.User, error) {
	r, err := userByID(ctx, db.db, id)
	if err != nil {
		return auth.User{}, err
	}
	return r.user()
}

// ChangePassword sets userID's password after checking the current one
// and the policy; it clears the forced change and ends the user's other
// sessions (keep names the session to keep, "" for none). Audited as the
// user. A wrong current password counts towards the lockout as a wrong
// login does: the one that locks the account ends its sessions and
// answers auth.LockedError.
func (db *DB) ChangePassword(ctx context.Context, userID, current, next, keep string, now time.Time) error {
	r, err := userByID(ctx, db.db, userID)
	if err != nil {
		return err
	}
	u, err := r.user()
	if err != nil {
		return err
	}
	ok, err := auth.CheckPassword(r.PasswordHash, current)
	if err != nil {
		return err
	}
	if !ok {
		until, err := db.failedLogin(ctx, r.ID, u.Actor(), now, "password.change")
		if err != nil {
			return err
		}
		if until != nil {
			return auth.LockedError{Until: *until}
		}
		return auth.PolicyErrorf("Mật khẩu hiện tại không đúng.")
	}
	if err := auth.CheckPasswordPolicy(next, r.Username); err != nil {
		return err
	}
	if next == current {
		return auth.PolicyErrorf("Mật khẩu mới phải khác mật khẩu hiện tại.")
	}
	hash, err := auth.HashPassword(next)
	if err != nil {
		return err
	}
	return db.WithTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, must_change = 0, failed_logins = 0, locked_until = NULL,
			password_changed_at = ? WHERE id = ?`, hash, stamp(now), r.ID); err != nil {
			return fmt.Errorf("change the password of %q: %w", r.Username, err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE user_id = ? AND token_sha256 <> ?`, r.ID, keep); err != nil {
			return fmt.Errorf("end the other sessions of %q: %w", r.Username, err)
		}
		return tx.Audit(ctx, auth.AuditEntry{At: now, Actor: u.Actor(), Action: "user.password_change", Object: "user:" + u.ID})
	})
}

// failedLogin counts a wrong password against user id and locks the
// account at the MaxFailedLogins-th in a row; it returns the lock's end
// when this failure locked it.
func (db *DB) failedLogin(ctx context.Context, id int64, actor auth.Actor, now time.Time, what string) (*time.Time, error) {
	var locked *time.Time
	err := db.WithTx(ctx, func(tx *Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, `UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ? RETURNING failed_logins`, id); err != nil {
			return fmt.Errorf("count a failed login: %w", err)
		}
		detail, _ := json.Marshal(map[string]any{"failed_in_a_row": n, "during": what})
		if err := tx.Audit(ctx, auth.AuditEntry{At: now, Actor: actor, Action: "user.login_failed", Object: "user:" + actor.ID, Detail: detail}); err != nil {
			return err
		}
		if n < auth.MaxFailedLogins {
			return nil
		}
		until := now.Add(auth.LockoutDuration).UTC()
		if _, err := tx.ExecContext(ctx, `UPDATE users SET locked_until = ?, failed_logins = 0 WHERE id = ?`, stamp(until), id); err != nil {
			return fmt.Errorf("lock the account: %w", err)
		}
		locked = &until
		if _, err := tx.ExecContext(ctx, `DELETE FROM web_sessions WHERE user_id = ?`, id); err != nil {
			return fmt.Errorf("end the sessions of a locked account: %w", err)
		}
		detail, _ = json.Marshal(map[string]any{"until": stamp(until), "failed_in_a_row": n})
		return tx.Audit(ctx, auth.AuditEntry{At: now, Actor: actor, Action: "user.locked", Object: "user:" + actor.ID, Detail: detail})
	})
	return locked, err
}
