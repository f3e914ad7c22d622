package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The webhook receiver plays the dossier system's callback endpoint on
// loopback: it checks every delivery's Feepos-Signature with the client's
// webhook secret (CONTRACTS.md: t=UNIX,v1=hex(HMAC-SHA256(secret,
// t+"."+body))), keeps what came, and answers 500 to a share of the
// deliveries so that feepos retries.

// webhookEvent is the body feepos posts (CONTRACTS.md, "Webhooks").
type webhookEvent struct {
	Event            string          `json:"event"`
	PaymentRequestID string          `json:"payment_request_id"`
	DossierCode      string          `json:"dossier_code"`
	Status           string          `json:"status"`
	Amount           int64           `json:"amount"`
	PaidAt           string          `json:"paid_at"`
	Receipt          json.RawMessage `json:"receipt"`
}

// delivery is one POST that reached the receiver.
type delivery struct {
	At       time.Time    `json:"at"`
	Event    webhookEvent `json:"event"`
	SigOK    bool         `json:"signature_ok"`
	SigError string       `json:"signature_error,omitempty"`
	Answer   int          `json:"answer"` // the status the receiver answered
}

// receiver is the webhook endpoint.
type receiver struct {
	secret   []byte
	failRate float64
	// onDelivery, if set, is called with each delivery before it is
	// answered (the harness may kill feepos right then).
	onDelivery func(d delivery)

	mu  sync.Mutex
	rng *rand.Rand
	got []delivery
	ln  net.Listener
	srv *http.Server
}

func newReceiver(secret string, failRate float64, seed uint64) *receiver {
	return &receiver{secret: []byte(secret), failRate: failRate, rng: rand.New(rand.NewPCG(seed, 0xbeef))}
}

// setSecret sets the secret the signatures are checked with (it is known
// only once the dossier system's token was created).
func (r *receiver) setSecret(s string) {
	r.mu.Lock()
	r.secret = []byte(s)
	r.mu.Unlock()
}

// setFailRate changes the share of deliveries answered 500.
func (r *receiver) setFailRate(f float64) {
	r.mu.Lock()
	r.failRate = f
	r.mu.Unlock()
}

// start listens on a free loopback port; URL is the callback address.
func (r *receiver) start() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	r.ln = ln
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return nil
}

func (r *receiver) URL() string { return "http://" + r.ln.Addr().String() + "/feepos-callback" }

func (r *receiver) close() { _ = r.srv.Close() }

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	secret := r.secret
	r.mu.Unlock()
	d := delivery{At: time.Now()}
	if err := verifySignature(secret, req.Header.Get("Feepos-Signature"), body, time.Now(), 24*time.Hour); err != nil {
		d.SigError = err.Error()
	} else {
		d.SigOK = true
	}
	if err := json.Unmarshal(body, &d.Event); err != nil {
		d.SigError = strings.TrimSpace(d.SigError + "; body is not the webhook JSON: " + err.Error())
	}
	if r.onDelivery != nil {
		r.onDelivery(d)
	}
	r.mu.Lock()
	d.Answer = http.StatusOK
	if r.failRate > 0 && r.rng.Float64() < r.failRate {
		d.Answer = http.StatusInternalServerError
	}
	r.got = append(r.got, d)
	r.mu.Unlock()
	w.WriteHeader(d.Answer)
}

// deliveries returns a copy of every delivery so far.
func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// verifySignature checks a Feepos-Signature header "t=UNIX,v1=HEX"
// against body: HEX = hex(HMAC-SHA256(secret, t + "." + body)), and t
// within maxAge of now (a replayed old delivery is refused). Several v1
// values (a secret being rotated) pass if one matches.
func verifySignature(secret []byte, header string, body []byte, now time.Time, maxAge time.Duration) error {
	if header == "" {
		return errors.New("no Feepos-Signature header")
	}
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return fmt.Errorf("Feepos-Signature part %q is not key=value", part)
		}
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	if ts == "" || len(sigs) == 0 {
		return fmt.Errorf("Feepos-Signature %q lacks t= or v1=", header)
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("Feepos-Signature t=%q is not a Unix time", ts)
	}
	if age := now.Sub(time.Unix(unix, 0)); age > maxAge || age < -5*time.Minute {
		return fmt.Errorf("Feepos-Signature t=%s is %s away from now", ts, age.Round(time.Second))
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts))
	mac.Write([]byte("."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range sigs {
		got, err := hex.DecodeString(s)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("Feepos-Signature v1 does not match the body signed with the client's webhook secret")
}

// sign makes a Feepos-Signature header (the receiver's test uses it).
func sign(secret []byte, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(mac.Sum(nil))
}
