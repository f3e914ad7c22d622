package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPasswordHashAndCheck(t *testing.T) {
	h, err := HashPassword("mật khẩu đúng")
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$"), h)
	ok, err := CheckPassword(h, "mật khẩu đúng")
	require.NoError(t, err)
	assert.True(t, ok)
	ok, err = CheckPassword(h, "mật khẩu sai")
	require.NoError(t, err)
	assert.False(t, ok)

	h2, err := HashPassword("mật khẩu đúng")
	require.NoError(t, err)
	assert.NotEqual(t, h, h2, "a salt of its own")

	// A hash keeps its parameters: one made with others still checks.
	old := PasswordParams
	PasswordParams = Argon2Params{Time: 1, MemoryKiB: 8 * 1024, Threads: 1}
	h3, err := HashPassword("cũ-hơn-123")
	PasswordParams = old
	require.NoError(t, err)
	ok, err = CheckPassword(h3, "cũ-hơn-123")
	require.NoError(t, err)
	assert.True(t, ok)

	for _, bad := range []string{"", "plain", "$2a$10$bcrypt", "$argon2i$v=19$m=8,t=1,p=1$AAAA$AAAA", "$argon2id$v=19$m=1,t=0,p=1$AAAA$AAAA",
		"$argon2id$v=19$m=19456,t=2,p=1$!!$AAAA"} {
		ok, err := CheckPassword(bad, "x")
		assert.Error(t, err, bad)
		assert.False(t, ok, bad)
	}
}

func TestPasswordPolicy(t *testing.T) {
	assert.NoError(t, CheckPasswordPolicy("demo1234", "thungan"))
	assert.NoError(t, CheckPasswordPolicy("mậtkhẩu1", "thu"), "8 characters, counted as letters not bytes")
	for pw, want := range map[string]string{
		"ngắn":                   "ít nhất 8",
		strings.Repeat("a", 129): "dài quá",
		"ThuNgan1":               "trùng với tên đăng nhập",
		"aaaaaaaaaa":             "lặp lại",
	} {
		user := ""
		if pw == "ThuNgan1" {
			user = "thungan1"
		}
		err := CheckPasswordPolicy(pw, user)
		require.Error(t, err, pw)
		assert.Contains(t, err.Error(), want)
	}
}

func TestOneTimePassword(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 50; i++ {
		p, err := OneTimePassword()
		require.NoError(t, err)
		require.Regexp(t, `^[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}$`, p)
		require.NoError(t, CheckPasswordPolicy(p, "x"))
		assert.False(t, seen[p])
		seen[p] = true
	}
}

func TestSessionExpiry(t *testing.T) {
	start := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	s := Session{CreatedAt: start, LastSeen: start, ExpiresAt: start.Add(SessionMax)}
	assert.False(t, s.Expired(start.Add(SessionIdle-time.Second)))
	assert.True(t, s.Expired(start.Add(SessionIdle)), "idle 2 h")
	s.LastSeen = start.Add(11 * time.Hour)
	assert.False(t, s.Expired(start.Add(12*time.Hour-time.Second)))
	assert.True(t, s.Expired(start.Add(12*time.Hour)), "12 h after sign-in, however used")
}

func TestLockedMessageSaysWhen(t *testing.T) {
	err := LockedError{Until: time.Date(2026, 12, 1, 3, 15, 0, 0, time.UTC)}
	assert.Contains(t, err.Error(), "10:15 01/12/2026", "in Vietnam's time")
	assert.Contains(t, err.Error(), "tạm khóa")
}
