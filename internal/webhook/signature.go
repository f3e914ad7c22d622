// Package webhook delivers the webhook outbox to the dossier systems:
// signed with each client's secret, retried with exponential backoff and
// jitter for 24 hours, in order per payment request (docs/API.md
// "Webhooks").
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SignatureHeader is the header that carries a webhook's signature.
const SignatureHeader = "Feepos-Signature"

// Sign is the Feepos-Signature header value of body sent at t (Unix
// seconds): "t=UNIX,v1=HEX" with HEX = hex(HMAC-SHA256(secret, t + "." +
// body)). Signing the time with the body lets a receiver refuse a replayed
// old message.
func Sign(secret []byte, t int64, body []byte) string {
	return "t=" + strconv.FormatInt(t, 10) + ",v1=" + hex.EncodeToString(mac(secret, strconv.FormatInt(t, 10), body))
}

func mac(secret []byte, t string, body []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(t))
	m.Write([]byte("."))
	m.Write(body)
	return m.Sum(nil)
}

// ErrSignature is a webhook whose signature does not check.
var ErrSignature = errors.New("webhook signature does not match: check the webhook secret (feepos tokens create prints it once)")

// Verify checks header (a Feepos-Signature value) against body and
// secret, as a receiver should: any v1 signature may match (more than one
// is allowed, for a future change of secret); with tolerance > 0 the
// signed time must also be within tolerance of now.
func Verify(secret []byte, header string, body []byte, tolerance time.Duration) error {
	return VerifyAt(secret, header, body, tolerance, time.Now())
}

// VerifyAt is Verify with the receiver's clock at now.
func VerifyAt(secret []byte, header string, body []byte, tolerance time.Duration, now time.Time) error {
	var ts string
	var sigs [][]byte
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			continue
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	t, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return fmt.Errorf("%w: the header %q is not t=UNIX,v1=HEX", ErrSignature, header)
	}
	want := mac(secret, ts, body)
	match := false
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			match = true
		}
	}
	if !match {
		return ErrSignature
	}
	if tolerance > 0 {
		if d := now.Sub(time.Unix(t, 0)); d > tolerance || d < -tolerance {
			return fmt.Errorf("%w: signed at %s, %s away from now (tolerance %s): a replay, or a clock to set right",
				ErrSignature, time.Unix(t, 0).UTC().Format(time.RFC3339), d.Round(time.Second), tolerance)
		}
	}
	return nil
}
