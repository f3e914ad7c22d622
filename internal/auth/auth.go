// Package auth says who is acting: the roles of feepos, the actor of a
// request or command (an API token, a signed-in user, the CLI, the
// service itself) carried in its context, and the audit log's entry.
// Tokens, users and sessions are stored by internal/sqlite; the HTTP side
// checks them in internal/server (docs/API.md "Access").
package auth

import (
	"context"
	"fmt"
	"time"
)

// Role is what an actor may do.
type Role string

// The roles (docs/API.md "Access").
const (
	RoleDossierSystem Role = "dossier-system" // creates and reads payment requests
	RoleCashier       Role = "cashier"        // charges, cash, shift close
	RoleAccountant    Role = "accountant"     // refunds, settles payments in doubt, reconciliation
	RoleAdmin         Role = "admin"          // everything, webhooks, tokens
)

// Roles lists every role, in the order the CLI's help shows them.
var Roles = []Role{RoleDossierSystem, RoleCashier, RoleAccountant, RoleAdmin}

// ParseRole checks a role's name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q: use one of dossier-system, cashier, accountant, admin", s)
}

// Kinds of actor.
const (
	KindToken  = "token"  // an API client
	KindUser   = "user"   // a person signed in to the web pages
	KindCLI    = "cli"    // a command run on the machine
	KindSystem = "system" // feepos itself (recovery, the demo, schedules)
)

// Actor is who does something.
type Actor struct {
	Kind string // KindToken, KindUser, KindCLI, KindSystem
	ID   string // the token's or user's id; the OS user for the CLI
	Name string // a person's or client's name, for the audit log and receipts
	Role Role
}

// String is how the audit log and errors name the actor: "token:7 (một cửa)".
func (a Actor) String() string {
	if a.Name == "" || a.Name == a.ID {
		return a.Kind + ":" + a.ID
	}
	return a.Kind + ":" + a.ID + " (" + a.Name + ")"
}

// Has says whether the actor may act as one of roles; admin may do
// anything.
func (a Actor) Has(roles ...Role) bool {
	if a.Role == RoleAdmin {
		return true
	}
	for _, r := range roles {
		if a.Role == r {
			return true
		}
	}
	return false
}

// System is feepos acting on its own.
func System(what string) Actor { return Actor{Kind: KindSystem, ID: what, Name: what, Role: RoleAdmin} }

type actorKey struct{}

// WithActor returns ctx carrying a.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom is the actor ctx carries; ok is false when none.
func ActorFrom(ctx context.Context) (Actor, bool) {
	a, ok := ctx.Value(actorKey{}).(Actor)
	return a, ok
}

// AuditEntry is one line of the audit log: who did what to what, and why.
// Detail is JSON (nil: none); it never holds a card number or a secret.
type AuditEntry struct {
	ID     int64
	At     time.Time
	Actor  Actor
	Action string // e.g. "payment.charge", "payment.settle", "token.create"
	Object string // e.g. "payment_request:PR-…", "token:7"
	Reason string // required for corrections and settlements
	Detail []byte
}

// TokenVerifier finds the actor of an API token; it answers ErrBadToken
// for a token that is unknown, revoked or malformed.
type TokenVerifier interface {
	VerifyToken(ctx context.Context, token string) (Actor, error)
}

// ErrBadToken is a token that does not open the API.
var ErrBadToken = badToken{}

type badToken struct{}

func (badToken) Error() string {
	return "the API token is unknown, revoked or malformed: ask an administrator for a token (feepos tokens create)"
}
func (badToken) ErrorCode() string { return "unauthorized" }
