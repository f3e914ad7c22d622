// Package printersim is an ESC/POS receipt printer for tests: it listens
// on TCP loopback (TCP) or sits on the master side of a pseudo-terminal
// (Serial), answers DLE EOT status requests from a state the test sets,
// and records the bytes of each job. It parses the stream as a printer
// does (commands, the length of each GS v 0 image), so a status request
// is told from image data, and a job ends at the cut (GS V).
package printersim

import (
	"fmt"
	"slices"
	"sync"
	"time"
)

// State is what the simulated printer reports or does.
type State string

const (
	OK           State = "ok"
	PaperOut     State = "paper_out"
	PaperNearEnd State = "paper_near_end"
	CoverOpen    State = "cover_open"
	Offline      State = "offline"
	Silent       State = "silent" // never answers DLE EOT (many cheap printers)
	Hang         State = "hang"   // stops reading: the sender's writes stall
)

// answers are the replies to DLE EOT 1, 2, 4 in each state, as an Epson
// TM printer sends them (0x12 is the fixed pattern with nothing set).
var answers = map[State][3]byte{
	OK:           {0x12, 0x12, 0x12},
	PaperOut:     {0x1A, 0x32, 0x7E}, // offline; stopped at paper end; near end and end sensors
	PaperNearEnd: {0x12, 0x12, 0x1E}, // near-end sensor only
	CoverOpen:    {0x1A, 0x16, 0x12}, // offline; cover open
	Offline:      {0x1A, 0x12, 0x12}, // offline, no cause given
}

// Job is one print job as received.
type Job struct {
	Data []byte
	Cut  bool // ended with GS V; false when the link closed first
}

// Printer is the simulated printer: its state and what it received. TCP
// and Serial feed it.
type Printer struct {
	mu       sync.Mutex
	state    State
	jobs     []Job
	requests []byte // n of each DLE EOT n received
	received int    // job bytes received, finished jobs or not
	changed  chan struct{}
}

// NewPrinter makes a printer in state OK.
func NewPrinter() *Printer {
	return &Printer{state: OK, changed: make(chan struct{})}
}

// notify wakes everyone waiting for a change; p.mu is held.
func (p *Printer) notify() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// SetState changes what the printer reports from now on.
func (p *Printer) SetState(s State) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state = s
	p.notify()
}

// State is the current state.
func (p *Printer) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state
}

// Jobs returns the jobs finished so far (cut, or cut short by the link
// closing).
func (p *Printer) Jobs() []Job {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.jobs)
}

// StatusRequests returns n of every DLE EOT n received, in order.
func (p *Printer) StatusRequests() []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.requests)
}

// Received counts the job bytes received, including an unfinished job.
func (p *Printer) Received() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.received
}

// WaitJobs waits until n jobs are finished and returns them.
func (p *Printer) WaitJobs(n int, timeout time.Duration) ([]Job, error) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		p.mu.Lock()
		if len(p.jobs) >= n {
			jobs := slices.Clone(p.jobs)
			p.mu.Unlock()
			return jobs, nil
		}
		changed := p.changed
		got := len(p.jobs)
		p.mu.Unlock()
		select {
		case <-changed:
		case <-t.C:
			return nil, fmt.Errorf("printersim: %d job(s) after %v, want %d", got, timeout, n)
		}
	}
}

// waitReadable blocks while the printer hangs; false when done closed.
func (p *Printer) waitReadable(done <-chan struct{}) bool {
	for {
		p.mu.Lock()
		hung, changed := p.state == Hang, p.changed
		p.mu.Unlock()
		if !hung {
			return true
		}
		select {
		case <-changed:
		case <-done:
			return false
		}
	}
}

// session parses one link's byte stream.
type session struct {
	p       *Printer
	pending []byte // received, not yet parsed (an incomplete command)
	job     []byte
	inJob   bool
}

// feed parses b and returns what the printer answers.
func (s *session) feed(b []byte) []byte {
	s.pending = append(s.pending, b...)
	var reply []byte
	for len(s.pending) > 0 {
		n, kind := s.command()
		switch kind {
		case incomplete:
			return reply
		case request:
			req := s.pending[2]
			s.p.mu.Lock()
			s.p.requests = append(s.p.requests, req)
			st := s.p.state
			s.p.notify()
			s.p.mu.Unlock()
			if a, ok := answers[st]; ok {
				switch req {
				case 1:
					reply = append(reply, a[0])
				case 2:
					reply = append(reply, a[1])
				case 3:
					reply = append(reply, 0x12) // error cause: none
				case 4:
					reply = append(reply, a[2])
				}
			}
		case data, cut:
			s.job = append(s.job, s.pending[:n]...)
			s.inJob = true
			s.p.mu.Lock()
			s.p.received += n
			s.p.mu.Unlock()
			if kind == cut {
				s.finish(true)
			}
		}
		s.pending = s.pending[n:]
	}
	return reply
}

type commandKind int

const (
	incomplete commandKind = iota
	request                // DLE EOT n
	data                   // anything else of a job
	cut                    // GS V: the end of a job
)

// command measures the command at the start of s.pending.
func (s *session) command() (int, commandKind) {
	b := s.pending
	need := func(n int) bool { return len(b) >= n }
	switch b[0] {
	case 0x10: // DLE
		if !need(3) {
			return 0, incomplete
		}
		if b[1] == 0x04 && b[2] >= 1 && b[2] <= 4 {
			return 3, request
		}
	case 0x1b: // ESC
		if !need(2) {
			return 0, incomplete
		}
		return 2, data // ESC @ and the like: two bytes is enough here
	case 0x1d: // GS
		if !need(2) {
			return 0, incomplete
		}
		switch b[1] {
		case 'v': // GS v 0 m xL xH yL yH d1…dk
			if !need(8) {
				return 0, incomplete
			}
			n := 8 + (int(b[4])+int(b[5])<<8)*(int(b[6])+int(b[7])<<8)
			if !need(n) {
				return 0, incomplete
			}
			return n, data
		case 'V': // GS V m, or GS V m n for m = 65, 66
			if !need(3) {
				return 0, incomplete
			}
			if b[2] == 65 || b[2] == 66 {
				if !need(4) {
					return 0, incomplete
				}
				return 4, cut
			}
			return 3, cut
		}
	}
	return 1, data
}

// finish records the current job.
func (s *session) finish(cut bool) {
	if !s.inJob {
		return
	}
	s.p.mu.Lock()
	s.p.jobs = append(s.p.jobs, Job{Data: s.job, Cut: cut})
	s.p.notify()
	s.p.mu.Unlock()
	s.job, s.inJob = nil, false
}

// end is the link closing: an unfinished job is recorded as such.
func (s *session) end() {
	s.job = append(s.job, s.pending...)
	s.pending = nil
	s.finish(false)
}
