package main

import (
	"fmt"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
)

func (a *app) tokensCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "tokens",
		Short: "API tokens of the dossier system, cashiers, accountants and admins: create, list, revoke",
		Long: `API tokens open /api/v1 (docs/API.md, "Access"). Each belongs to one client
and one role; only its SHA-256 is stored, so a token is shown once, when it
is created. A dossier-system client also gets its webhook signing secret,
shown once too. Creating and revoking are written to the audit log with the
operating-system user who ran the command.`,
		RunE: a.groupHelp,
	}
	cmd.AddCommand(a.tokensCreateCommand(), a.tokensListCommand(), a.tokensRevokeCommand())
	return cmd
}

// cliActor is who runs a command on this machine: the OS user.
func cliActor() auth.Actor {
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if name == "" {
		name = "unknown"
	}
	return auth.Actor{Kind: auth.KindCLI, ID: name, Name: name, Role: auth.RoleAdmin}
}

func roleNames() string {
	names := make([]string, len(auth.Roles))
	for i, r := range auth.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, "|")
}

func (a *app) tokensCreateCommand() *cobra.Command {
	var name, role string
	cmd := &cobra.Command{
		Use:   "create --name NAME --role " + roleNames() + " [--json]",
		Short: "Create an API token (printed once) and, for a dossier system, its webhook secret",
		Long: `Creates an API token for the client NAME with one role:
  dossier-system  creates and reads payment requests; receives webhooks
  cashier         charges payment requests (card, cash), closes a shift
  accountant      refunds, settles payments in doubt, reconciliation
  admin           everything, including the webhook outbox
The token is printed once: give it to the client now (it sends it as
Authorization: Bearer TOKEN). For a dossier-system client the webhook
secret that signs its webhooks (Feepos-Signature) is printed once too.
--json prints {id, name, role, token, webhook_secret}.`,
		Example: `  feepos tokens create --name "Hệ thống một cửa" --role dossier-system
  feepos tokens create --name "Quầy 1" --role cashier --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(name) == "" {
				return usagef("--name is required: the client the token is for, e.g. --name \"Hệ thống một cửa\"")
			}
			r, err := auth.ParseRole(role)
			if err != nil {
				return usagef("--role: %v", err)
			}
			db, _, err := a.openWriting(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			var nt sqlite.NewToken
			err = db.WithTx(cmd.Context(), func(tx *sqlite.Tx) error {
				nt, err = tx.CreateToken(cmd.Context(), name, r, cliActor())
				return err
			})
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(struct {
					ID            string    `json:"id"`
					Name          string    `json:"name"`
					Role          auth.Role `json:"role"`
					Token         string    `json:"token"`
					WebhookSecret string    `json:"webhook_secret,omitempty"`
				}{nt.ID, nt.Name, nt.Role, nt.Plaintext, nt.WebhookSecret})
			}
			fmt.Fprintf(a.stdout, "Đã tạo token %s cho %q (vai trò %s).\n", nt.ID, nt.Name, nt.Role)
			fmt.Fprintf(a.stdout, "Token API (chỉ hiện một lần, hãy lưu ngay; gửi kèm Authorization: Bearer TOKEN):\n  %s\n", nt.Plaintext)
			if nt.WebhookSecret != "" {
				fmt.Fprintf(a.stdout, "Khóa ký webhook (HMAC-SHA256 của Feepos-Signature, chỉ hiện một lần):\n  %s\n", nt.WebhookSecret)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "the client the token is for")
	cmd.Flags().StringVar(&role, "role", "", "the token's role: "+roleNames())
	return cmd
}

func (a *app) tokensListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list [--json]",
		Short: "List the API tokens (never the tokens themselves), revoked ones too",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, _, err := a.openReading(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			ts, err := db.Tokens(cmd.Context())
			if err != nil {
				return err
			}
			if a.jsonOut {
				if ts == nil {
					ts = []sqlite.Token{}
				}
				return a.printJSON(ts)
			}
			if len(ts) == 0 {
				fmt.Fprintln(a.stdout, "Chưa có token nào: tạo bằng feepos tokens create --name NAME --role ROLE")
				return nil
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTÊN\tVAI TRÒ\tWEBHOOK\tTẠO LÚC\tTHU HỒI LÚC")
			for _, t := range ts {
				revoked, webhook := "", ""
				if t.RevokedAt != nil {
					revoked = t.RevokedAt.In(ledger.Zone).Format("02/01/2006 15:04")
				}
				if t.HasWebhook {
					webhook = "có"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, webhook, t.CreatedAt.In(ledger.Zone).Format("02/01/2006 15:04"), revoked)
			}
			return tw.Flush()
		},
	}
}

func (a *app) tokensRevokeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID [--json]",
		Short: "Revoke an API token for ever: its next request is refused (401)",
		Args:  exactArgs(1, "the id of the token to revoke (feepos tokens list shows it)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, _, err := a.openWriting(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.WithTx(cmd.Context(), func(tx *sqlite.Tx) error {
				return tx.RevokeToken(cmd.Context(), args[0], cliActor())
			}); err != nil {
				return err
			}
			ts, err := db.Tokens(cmd.Context())
			if err != nil {
				return err
			}
			for _, t := range ts {
				if t.ID != args[0] {
					continue
				}
				if a.jsonOut {
					return a.printJSON(t)
				}
				fmt.Fprintf(a.stdout, "Đã thu hồi token %s (%s, vai trò %s).\n", t.ID, t.Name, t.Role)
			}
			return nil
		},
	}
}
