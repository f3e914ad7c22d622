package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// People who sign in to the web pages (docs/WEB.md): their accounts,
// passwords and sessions. The store is internal/sqlite (users.go,
// sessions.go); the pages and cookies are internal/server (web_*.go).

// The policies of the web accounts.
const (
	MaxFailedLogins = 5                // wrong passwords in a row that lock an account
	LockoutDuration = 15 * time.Minute // how long it stays locked
	SessionIdle     = 2 * time.Hour    // a session unused this long ends
	SessionMax      = 12 * time.Hour   // a session ends this long after sign-in, used or not
	MinPasswordLen  = 8
	MaxPasswordLen  = 128
)

// WebRoles are the roles a person may have; dossier-system is a machine's.
var WebRoles = []Role{RoleCashier, RoleAccountant, RoleAdmin}

// ParseWebRole checks the role of a person's account.
func ParseWebRole(s string) (Role, error) {
	for _, r := range WebRoles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q for a person: use one of cashier, accountant, admin", s)
}

// RoleLabel is the role as the pages name it.
func RoleLabel(r Role) string {
	switch r {
	case RoleCashier:
		return "Thu ngân"
	case RoleAccountant:
		return "Kế toán"
	case RoleAdmin:
		return "Quản trị"
	}
	return string(r)
}

// User is a person's account: never the password nor its hash.
type User struct {
	ID                string     `json:"id"`
	Username          string     `json:"username"`
	Name              string     `json:"name"`
	Role              Role       `json:"role"`
	MustChange        bool       `json:"must_change_password"` // a one-time password: change it before anything else
	FailedLogins      int        `json:"failed_logins"`        // wrong passwords in a row
	LockedUntil       *time.Time `json:"locked_until"`
	Disabled          bool       `json:"disabled"`
	CreatedAt         time.Time  `json:"created_at"`
	PasswordChangedAt *time.Time `json:"password_changed_at"`
}

// Actor is the user acting, for the context and the audit log.
func (u User) Actor() Actor {
	return Actor{Kind: KindUser, ID: u.ID, Name: u.Name, Role: u.Role}
}

// Locked says whether the account is locked at now.
func (u User) Locked(now time.Time) bool {
	return u.LockedUntil != nil && now.Before(*u.LockedUntil)
}

// Session is a signed-in browser: never its token, which only the cookie
// holds (the store keeps its SHA-256).
type Session struct {
	ID        string // the token's hash, hex: names the session in the audit log and store
	UserID    string
	CSRF      string // the token every form and fetch of the session sends back
	CreatedAt time.Time
	LastSeen  time.Time
	ExpiresAt time.Time // CreatedAt + SessionMax
}

// Expired says whether the session has ended at now, idle or too old.
func (s Session) Expired(now time.Time) bool {
	return !now.Before(s.ExpiresAt) || !now.Before(s.LastSeen.Add(SessionIdle))
}

// NewSession is a session just opened: the only time its token exists
// outside the browser's cookie.
type NewSession struct {
	Session
	Token string
}

// Errors of signing in. Their messages are what the login page shows, so
// they are in Vietnamese and never say whether the user name exists.
var (
	ErrBadLogin  = loginError{"Tên đăng nhập hoặc mật khẩu không đúng."}
	ErrNoSession = loginError{"Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại."}
)

type loginError struct{ msg string }

func (e loginError) Error() string     { return e.msg }
func (e loginError) ErrorCode() string { return "unauthorized" }

// LockedError is a login refused because the account is locked.
type LockedError struct{ Until time.Time }

func (e LockedError) Error() string {
	return fmt.Sprintf("Tài khoản đang tạm khóa vì nhập sai mật khẩu %d lần liên tiếp. Vui lòng thử lại sau %s hoặc nhờ quản trị viên mở khóa.",
		MaxFailedLogins, e.Until.In(zoneVN).Format("15:04 02/01/2006"))
}
func (e LockedError) ErrorCode() string { return "forbidden" }

var zoneVN = func() *time.Location {
	z, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	if err != nil {
		return time.FixedZone("ICT", 7*3600)
	}
	return z
}()

// PolicyError is a new password the policy refuses; its message is for
// the person choosing it.
type PolicyError struct{ msg string }

func (e PolicyError) Error() string     { return e.msg }
func (e PolicyError) ErrorCode() string { return "invalid" }

// CheckPasswordPolicy refuses a password too short, too long, equal to
// the user name or one character repeated.
func CheckPasswordPolicy(password, username string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLen:
		return PolicyError{fmt.Sprintf("Mật khẩu phải có ít nhất %d ký tự.", MinPasswordLen)}
	case n > MaxPasswordLen:
		return PolicyError{fmt.Sprintf("Mật khẩu không được dài quá %d ký tự.", MaxPasswordLen)}
	case username != "" && strings.EqualFold(strings.TrimSpace(password), strings.TrimSpace(username)):
		return PolicyError{"Mật khẩu không được trùng với tên đăng nhập."}
	case strings.Count(password, password[:1]) == len(password):
		return PolicyError{"Mật khẩu không được chỉ lặp lại một ký tự."}
	}
	return nil
}

// Argon2Params are the argon2id parameters of new hashes. Every hash
// carries its own, so raising them later leaves older hashes checkable.
type Argon2Params struct {
	Time, MemoryKiB uint32
	Threads         uint8
}

// PasswordParams are OWASP's minimum for argon2id (19 MiB, 2 passes, 1
// lane): about 30–60 ms on a counter PC, cheap enough for a login and
// slow enough for a stolen database.
var PasswordParams = Argon2Params{Time: 2, MemoryKiB: 19 * 1024, Threads: 1}

const (
	saltLen = 16
	keyLen  = 32
)

// HashPassword hashes password with argon2id and a fresh random salt, in
// the PHC string format: $argon2id$v=19$m=19456,t=2,p=1$SALT$HASH.
func HashPassword(password string) (string, error) {
	salt := make([]byte, saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("random salt for a password: %w", err)
	}
	p := PasswordParams
	key := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, keyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.MemoryKiB, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword says whether password matches the encoded hash, compared
// in constant time. A malformed hash is an error, never a match.
func CheckPassword(encoded, password string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return false, errors.New("the stored password hash is not an argon2id hash: reset the password (feepos users reset)")
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, fmt.Errorf("the stored password hash has argon2 version %q, not %d: reset the password", parts[2], argon2.Version)
	}
	var p Argon2Params
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.MemoryKiB, &p.Time, &p.Threads); err != nil ||
		p.Time == 0 || p.Threads == 0 || p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > 1<<22 || p.Time > 64 {
		return false, fmt.Errorf("the stored password hash has bad parameters %q: reset the password", parts[3])
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errors.New("the stored password hash has a bad salt: reset the password")
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false, errors.New("the stored password hash is damaged: reset the password")
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.MemoryKiB, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is checked against when the user name is unknown, so that a
// login takes as long whether the name exists or not.
// Made on first use, not at start: every command imports this package.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("feepos-no-such-user")
	if err != nil {
		return "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	}
	return h
})

// CheckNoPassword spends the time of one password check, for a user name
// that does not exist.
func CheckNoPassword(password string) { _, _ = CheckPassword(dummyHash(), password) }

// OneTimePassword is a random password for a new or reset account,
// printed once; the person must change it at first sign-in. Letters and
// digits that cannot be mistaken for one another, in groups of four.
func OneTimePassword() (string, error) {
	const alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	var sb strings.Builder
	b := make([]byte, 1)
	for n := 0; n < 12; {
		if _, err := rand.Read(b); err != nil {
			return "", fmt.Errorf("random one-time password: %w", err)
		}
		if int(b[0]) >= 256/len(alphabet)*len(alphabet) {
			continue // no bias towards the first letters
		}
		if n > 0 && n%4 == 0 {
			sb.WriteByte('-')
		}
		sb.WriteByte(alphabet[int(b[0])%len(alphabet)])
		n++
	}
	return sb.String(), nil
}

// PolicyErrorf is a PolicyError with a message for the person.
func PolicyErrorf(format string, a ...any) error { return PolicyError{fmt.Sprintf(format, a...)} }
