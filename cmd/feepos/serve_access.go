package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/config"
	"github.com/feepos/feepos/internal/server"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/internal/webhook"
)

// startAccess wires who may use the API and what is sent back: API tokens
// checked against the database, the rate limit of the config ([service]
// rate_limit), the webhook worker (running until stop) and the admin's
// webhook routes. The payment workflow pokes the returned worker after
// enqueuing a message. With demo, one token per role is made on the first
// start and printed on out at every start (demo-tokens.json next to the
// database, mode 0600, keeps them: demo only, a real token is shown once).
func startAccess(ctx context.Context, log *slog.Logger, out io.Writer, db *sqlite.DB, srv *server.Server, cfg config.Config, demo bool) (w *webhook.Worker, stop func(), err error) {
	srv.SetTokens(db)
	srv.SetRateLimit(cfg.Service.RateLimit)
	w = webhook.New(db, webhook.Options{Log: log.With("part", "webhooks")})
	srv.AddWebhookRoutes(w)
	if demo {
		toks, path, err := demoTokens(ctx, db)
		if err != nil {
			return nil, nil, err
		}
		printDemoTokens(out, toks, path)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		w.Run(runCtx)
	}()
	return w, func() { cancel(); wg.Wait() }, nil
}

// demoToken is one line of demo-tokens.json.
type demoToken struct {
	Role          auth.Role `json:"role"`
	ID            string    `json:"id"`
	Name          string    `json:"name"`
	Token         string    `json:"token"`
	WebhookSecret string    `json:"webhook_secret,omitempty"`
}

const demoTokensFile = "demo-tokens.json"

// demoTokens reads the demo tokens kept next to the database and makes
// the ones missing, revoked or unknown to this database (a new database
// next to an old file).
func demoTokens(ctx context.Context, db *sqlite.DB) ([]demoToken, string, error) {
	path := filepath.Join(filepath.Dir(db.Path()), demoTokensFile)
	var kept []demoToken
	b, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, path, fmt.Errorf("read the demo tokens: %w", err)
	default:
		if err := json.Unmarshal(b, &kept); err != nil {
			kept = nil // made anew below
		}
	}
	byRole := map[auth.Role]demoToken{}
	for _, t := range kept {
		if a, err := db.VerifyToken(ctx, t.Token); err == nil && a.Role == t.Role && a.ID == t.ID {
			byRole[t.Role] = t
		}
	}
	out := make([]demoToken, 0, len(auth.Roles))
	changed := false
	for _, r := range auth.Roles {
		if t, ok := byRole[r]; ok {
			out = append(out, t)
			continue
		}
		var nt sqlite.NewToken
		err := db.WithTx(ctx, func(tx *sqlite.Tx) error {
			var err error
			nt, err = tx.CreateToken(ctx, "Demo "+string(r), r, auth.System("demo"))
			return err
		})
		if err != nil {
			return nil, path, fmt.Errorf("create the demo token of %s: %w", r, err)
		}
		out = append(out, demoToken{Role: r, ID: nt.ID, Name: nt.Name, Token: nt.Plaintext, WebhookSecret: nt.WebhookSecret})
		changed = true
	}
	if changed {
		b, _ := json.MarshalIndent(out, "", "  ")
		if err := writePrivateFile(path, append(b, '\n')); err != nil {
			return nil, path, err
		}
	}
	return out, path, nil
}

// writePrivateFile writes path with mode 0600 through a renamed temporary
// file, so a half-written file never replaces the last good one.
func writePrivateFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".feepos-tmp-*") // mode 0600
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err == nil {
		err = syncDir(dir)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func printDemoTokens(out io.Writer, toks []demoToken, path string) {
	fmt.Fprintln(out, "==================== feepos demo: API tokens ====================")
	fmt.Fprintln(out, "DEMO ONLY: these tokens are kept in plain text in "+path)
	fmt.Fprintln(out, "(a real token, from feepos tokens create, is shown once and stored hashed).")
	for _, t := range toks {
		fmt.Fprintf(out, "  %-15s %s\n", t.Role, t.Token)
		if t.WebhookSecret != "" {
			fmt.Fprintf(out, "  %-15s %s\n", "  webhook secret", t.WebhookSecret)
		}
	}
	fmt.Fprintln(out, `Use: curl -H "Authorization: Bearer TOKEN" http://ADDR/api/v1/...`)
	fmt.Fprintln(out, "==================================================================")
}
