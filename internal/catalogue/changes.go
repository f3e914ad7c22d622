package catalogue

import "sort"

// ImportOptions are how an import treats the catalogue already stored.
type ImportOptions struct {
	// DeactivateMissing marks the stored fees the file does not list as
	// no longer collected. Without it they are kept as they are: a file of
	// one agency's fees does not end the others'.
	DeactivateMissing bool
	// Source names the file in the audit log (its name, or a description).
	Source string
}

// Changes is what an import does (or, dry, would do) to the stored
// catalogue: fee and procedure codes, sorted.
type Changes struct {
	Added       []string `json:"added"`
	Updated     []string `json:"updated"`
	Unchanged   []string `json:"unchanged"`
	Deactivated []string `json:"deactivated"`

	ProceduresAdded   []string `json:"procedures_added"`
	ProceduresUpdated []string `json:"procedures_updated"`
}

// Empty says whether the import changes nothing.
func (c Changes) Empty() bool {
	return len(c.Added)+len(c.Updated)+len(c.Deactivated)+len(c.ProceduresAdded)+len(c.ProceduresUpdated) == 0
}

// Plan compares the stored catalogue with an incoming one: which fees and
// procedures are new, which differ, which stay, and (with
// DeactivateMissing) which stored active fees the incoming one lacks.
func Plan(stored, incoming Catalogue, opt ImportOptions) Changes {
	var ch Changes
	have := map[string]Fee{}
	for _, f := range stored.Fees {
		have[f.Code] = f
	}
	listed := map[string]bool{}
	for _, f := range incoming.Fees {
		listed[f.Code] = true
		old, ok := have[f.Code]
		switch {
		case !ok:
			ch.Added = append(ch.Added, f.Code)
		case !SameFee(old, f):
			ch.Updated = append(ch.Updated, f.Code)
		default:
			ch.Unchanged = append(ch.Unchanged, f.Code)
		}
	}
	if opt.DeactivateMissing {
		for _, f := range stored.Fees {
			if f.Active && !listed[f.Code] {
				ch.Deactivated = append(ch.Deactivated, f.Code)
			}
		}
	}
	procs := map[string]Procedure{}
	for _, p := range stored.Procedures {
		procs[p.Code] = p
	}
	for _, p := range incoming.Procedures {
		old, ok := procs[p.Code]
		switch {
		case !ok:
			ch.ProceduresAdded = append(ch.ProceduresAdded, p.Code)
		case old != p:
			ch.ProceduresUpdated = append(ch.ProceduresUpdated, p.Code)
		}
	}
	for _, l := range [][]string{ch.Added, ch.Updated, ch.Unchanged, ch.Deactivated, ch.ProceduresAdded, ch.ProceduresUpdated} {
		sort.Strings(l)
	}
	return ch
}

// SameFee says whether two fees hold the same values.
func SameFee(a, b Fee) bool {
	if (a.UnitAmount == nil) != (b.UnitAmount == nil) || (a.UnitAmount != nil && *a.UnitAmount != *b.UnitAmount) {
		return false
	}
	a.UnitAmount, b.UnitAmount = nil, nil
	return a == b
}
