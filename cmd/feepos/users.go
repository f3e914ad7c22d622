package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/internal/apperr"
	"github.com/feepos/feepos/internal/auth"
	"github.com/feepos/feepos/internal/sqlite"
	"github.com/feepos/feepos/ledger"
)

func (a *app) usersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "users",
		Short: "Accounts of the web pages (cashiers, accountants, admins): create, reset, list",
		Long: `People sign in to the web pages (docs/WEB.md) with a user name and a
password. "create" and "reset" print a one-time password: give it to the
person, who must change it when they first sign in. Five wrong passwords
in a row lock an account for 15 minutes; "reset" unlocks it at once. Every
change is written to the audit log with the operating-system user who ran
the command.`,
		RunE: a.groupHelp,
	}
	cmd.AddCommand(a.usersCreateCommand(), a.usersResetCommand(), a.usersListCommand())
	return cmd
}

// userJSON is a user as --json prints it, with the one-time password when
// one was just made.
type userJSON struct {
	auth.User
	Password string `json:"one_time_password,omitempty"`
}

func (a *app) printCreatedUser(cu sqlite.CreatedUser, what string) error {
	if a.jsonOut {
		return a.printJSON(userJSON{User: cu.User, Password: cu.Password})
	}
	fmt.Fprintf(a.stdout, "%s tài khoản %q (%s, vai trò %s).\n", what, cu.Username, cu.Name, cu.Role)
	fmt.Fprintf(a.stdout, "Mật khẩu dùng một lần (chỉ hiện một lần; người dùng phải đổi khi đăng nhập lần đầu):\n  %s\n", cu.Password)
	return nil
}

func webRoleNames() string {
	names := make([]string, len(auth.WebRoles))
	for i, r := range auth.WebRoles {
		names[i] = string(r)
	}
	return strings.Join(names, "|")
}

func (a *app) usersCreateCommand() *cobra.Command {
	var username, name, role string
	cmd := &cobra.Command{
		Use:   "create --username USER --name \"Họ tên\" --role " + webRoleNames() + " [--json]",
		Short: "Create a web account; prints its one-time password",
		Long: `Creates the account USER for a person, with one role:
  cashier     the queue of payment requests, card and cash payments, the shift
  accountant  the day's summary, reconciliation, the ledger
  admin       everything, and terminals, fees, users, webhooks, receipts
The one-time password is printed once; the person must change it at first
sign-in. --json prints the account with one_time_password.`,
		Example: `  feepos users create --username quantri --name "Lê Văn Quản" --role admin
  feepos users create --username thu --name "Nguyễn Thị Thu" --role cashier --json`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(username) == "" {
				return usagef("--username is required: the name the person signs in with, e.g. --username thu")
			}
			if strings.TrimSpace(name) == "" {
				return usagef("--name is required: the person's full name, e.g. --name \"Nguyễn Thị Thu\"")
			}
			r, err := auth.ParseWebRole(role)
			if err != nil {
				return usagef("--role: %v", err)
			}
			db, _, err := a.openWriting(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			cu, err := db.CreateUser(cmd.Context(), sqlite.NewUser{Username: username, Name: name, Role: r}, cliActor())
			if err != nil {
				return err
			}
			return a.printCreatedUser(cu, "Đã tạo")
		},
	}
	cmd.Flags().StringVar(&username, "username", "", "the name the person signs in with (letters a–z, digits, . _ -)")
	cmd.Flags().StringVar(&name, "name", "", "the person's full name, as the pages and the audit log show it")
	cmd.Flags().StringVar(&role, "role", "", "the account's role: "+webRoleNames())
	return cmd
}

func (a *app) usersResetCommand() *cobra.Command {
	var username string
	cmd := &cobra.Command{
		Use:   "reset --username USER [--json]",
		Short: "Give an account a new one-time password, unlock it and end its sessions",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(username) == "" {
				return usagef("--username is required: the account to reset (feepos users list shows them)")
			}
			db, _, err := a.openWriting(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			cu, err := db.ResetPassword(cmd.Context(), username, cliActor())
			if err != nil {
				return err
			}
			return a.printCreatedUser(cu, "Đã đặt lại mật khẩu và mở khóa")
		},
	}
	cmd.Flags().StringVar(&username, "username", "", "the account to reset")
	return cmd
}

func (a *app) usersListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list [--json]",
		Short: "List the web accounts (never their passwords), disabled ones too",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, _, err := a.openReading(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			us, err := db.Users(cmd.Context())
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(us)
			}
			if len(us) == 0 {
				fmt.Fprintln(a.stdout, "Chưa có tài khoản nào: tạo bằng feepos users create --username USER --name \"Họ tên\" --role admin")
				return nil
			}
			now := db.Now()
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTÊN ĐĂNG NHẬP\tHỌ TÊN\tVAI TRÒ\tTRẠNG THÁI\tTẠO LÚC")
			for _, u := range us {
				var state []string
				if u.Disabled {
					state = append(state, "đã vô hiệu")
				}
				if u.Locked(now) {
					state = append(state, "khóa đến "+u.LockedUntil.In(ledger.Zone).Format("15:04 02/01/2006"))
				}
				if u.MustChange {
					state = append(state, "phải đổi mật khẩu")
				}
				if len(state) == 0 {
					state = append(state, "hoạt động")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Username, u.Name, u.Role, strings.Join(state, ", "),
					u.CreatedAt.In(ledger.Zone).Format("02/01/2006 15:04"))
			}
			return tw.Flush()
		},
	}
}

// The demo accounts (serve --demo): known passwords, no forced change.
// Demo only: README.md says so.
var demoUsers = []sqlite.NewUser{
	{Username: "thungan", Name: "Thu ngân (demo)", Role: auth.RoleCashier, Password: "demo1234"},
	{Username: "ketoan", Name: "Kế toán (demo)", Role: auth.RoleAccountant, Password: "demo1234"},
	{Username: "quantri", Name: "Quản trị (demo)", Role: auth.RoleAdmin, Password: "demo1234"},
}

// seedDemoUsers creates the demo accounts once (an existing one is left
// as it is, its password too).
func seedDemoUsers(ctx context.Context, log *slog.Logger, db *sqlite.DB) error {
	for _, nu := range demoUsers {
		_, err := db.CreateUser(ctx, nu, auth.System("demo"))
		switch {
		case apperr.Code(err) == apperr.Conflict:
			continue
		case err != nil:
			return fmt.Errorf("demo user %s: %w", nu.Username, err)
		}
		log.Info("demo user created (demo only: known password)", "username", nu.Username, "role", nu.Role, "password", nu.Password)
	}
	return nil
}
