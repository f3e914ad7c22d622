package concertsim

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Entry is one transaction the simulated terminal ran: the ground truth a
// test compares the driver's outcomes with.
type Entry struct {
	Seq      int64     `json:"seq"`
	At       time.Time `json:"at"`
	Priv     string    `json:"priv"`
	Amount   int64     `json:"amount"`
	Currency string    `json:"currency"`
	Status   string    `json:"status"` // the E+ status character sent (or that would have been)
	Charged  bool      `json:"charged"`
	// Acked says the register acknowledged the answer: the terminal
	// counts it delivered. False for an answer never sent (hang), given
	// up after the resends, or not yet delivered.
	Acked bool      `json:"acked"`
	Fault FaultKind `json:"fault,omitempty"`
	// Applied is the fault the transaction ran with, arguments included
	// (a test's ground truth: a fault injected for a request that never
	// reached the terminal may meet a later one).
	Applied Fault `json:"-"`
}

// State is the terminal's counters, kept across restarts in the state file.
type State struct {
	Seq          int64 `json:"seq"`           // transactions run
	ChargedCount int64 `json:"charged_count"` // of which charged
	ChargedTotal int64 `json:"charged_total"` // đồng
}

func loadState(path string) (State, error) {
	var st State
	if path == "" {
		return st, nil
	}
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read simulator state %s: %w", path, err)
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("simulator state %s is damaged (%w): delete it to start the counters again", path, err)
	}
	return st, nil
}

// saveState writes st atomically: a temporary file in the same folder,
// fsync, rename over the old file, fsync of the folder. A crash leaves the
// old or the new state, never half of one.
func saveState(path string, st State) error {
	if path == "" {
		return nil
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("simulator state: %w", err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("simulator state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("simulator state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("simulator state: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("simulator state: %w", err)
	}
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("simulator state: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("simulator state: sync %s: %w", dir, err)
	}
	return nil
}
