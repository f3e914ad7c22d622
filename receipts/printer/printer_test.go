package printer_test

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/receipts"
	"github.com/feepos/feepos/receipts/printer"
	"github.com/feepos/feepos/receipts/printer/printersim"
)

// patient is for a printer that answers and reads: its timeouts never run
// out, however busy the machine (they cost nothing when the printer
// answers). hasty is for a printer that does not (Silent, Hang): a
// timeout that must run out is short, so the test is too; a busy machine
// can only make it run out later.
var (
	patient = printer.Options{StatusTimeout: 10 * time.Second, StallTimeout: 30 * time.Second}
	hasty   = printer.Options{StatusTimeout: 150 * time.Millisecond, StallTimeout: 400 * time.Millisecond}
)

// simulated is a simulator behind one kind of link.
type simulated interface {
	URL() string
	SetState(printersim.State)
	WaitJobs(n int, timeout time.Duration) ([]printersim.Job, error)
	Jobs() []printersim.Job
	StatusRequests() []byte
	Received() int
	Close() error
}

func tcpSim(t *testing.T) simulated {
	t.Helper()
	s, err := printersim.ListenTCP()
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// serialSim is a printer on a pseudo-terminal, opened by printer through
// go.bug.st/serial like a real port.
func serialSim(t *testing.T) simulated {
	t.Helper()
	s, err := printersim.NewSerial()
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

var links = []struct {
	name  string
	start func(*testing.T) simulated
	query string // appended to the URL
}{
	{"tcp", tcpSim, ""},
	{"serial", serialSim, "?baud=115200&parity=none&data=8&stop=1"},
}

// requireReceiptJob checks that the printer got exactly the rendered job: an
// ESC @, raster blocks (GS v 0) and the cut (GS V 66 0) last.
func requireReceiptJob(t *testing.T, job printersim.Job, want []byte) {
	t.Helper()
	require.True(t, job.Cut, "the job must end with the cut")
	require.True(t, bytes.Equal(want, job.Data), "the printer received %d bytes, want the %d rendered", len(job.Data), len(want))
	assert.True(t, bytes.HasPrefix(job.Data, []byte{0x1b, '@'}))
	assert.True(t, bytes.Contains(job.Data, []byte{0x1d, 0x76, 0x30}), "GS v 0 raster image")
	assert.True(t, bytes.HasSuffix(job.Data, []byte{0x1d, 'V', 66, 0}), "feed and cut")
}

func TestPrintOverEachLink(t *testing.T) {
	t.Parallel()
	for _, l := range links {
		t.Run(l.name, func(t *testing.T) {
			for _, dots := range []int{receipts.DotsPerLine80mm, receipts.DotsPerLine58mm} {
				sim := l.start(t)
				job := renderJob(t, dots)
				res, err := printer.PrintTo(context.Background(), sim.URL()+l.query, job, patient)
				require.NoError(t, err)
				assert.Equal(t, len(job), res.Bytes)
				require.NotNil(t, res.Status, "a two-way link reports the status")
				assert.Empty(t, res.Warnings)
				assert.Equal(t, []byte{1, 2, 4}, sim.StatusRequests())
				jobs, err := sim.WaitJobs(1, 30*time.Second)
				require.NoError(t, err)
				require.Len(t, jobs, 1)
				requireReceiptJob(t, jobs[0], job)
			}
		})
	}
}

func TestPrintToDeviceFile(t *testing.T) {
	t.Parallel()
	job := renderJob(t, receipts.DotsPerLine80mm)
	for _, scheme := range []string{"file", "usb"} {
		t.Run(scheme, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "lp0")
			require.NoError(t, os.WriteFile(path, nil, 0o600)) // the device node exists
			res, err := printer.PrintTo(context.Background(), scheme+"://"+path, job, patient)
			require.NoError(t, err)
			assert.Nil(t, res.Status, "no status on a one-way device file")
			assert.Empty(t, res.Warnings)
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			requireReceiptJob(t, printersim.Job{Data: got, Cut: bytes.HasSuffix(got, []byte{0x1d, 'V', 66, 0})}, job)
		})
	}
	t.Run("missing device", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "lp0")
		_, err := printer.PrintTo(context.Background(), "file://"+path, job, patient)
		require.ErrorIs(t, err, printer.ErrUnreachable)
		assert.Contains(t, err.Error(), "USB cable")
		assert.NoFileExists(t, path, "an unplugged printer's device path must not become a plain file")
	})
}

func TestPrinterRefusesWhenItCannotPrint(t *testing.T) {
	t.Parallel()
	job := renderJob(t, receipts.DotsPerLine80mm)
	cases := []struct {
		state  printersim.State
		kind   error
		inText []string
	}{
		{printersim.PaperOut, printer.ErrPaperOut, []string{"out of paper", "Máy in hết giấy: thay cuộn giấy rồi in lại"}},
		{printersim.CoverOpen, printer.ErrCoverOpen, []string{"cover is open", "Nắp máy in đang mở"}},
		{printersim.Offline, printer.ErrOffline, []string{"offline", "Máy in đang ngoại tuyến"}},
	}
	for _, l := range links {
		for _, c := range cases {
			t.Run(l.name+"/"+string(c.state), func(t *testing.T) {
				sim := l.start(t)
				sim.SetState(c.state)
				res, err := printer.PrintTo(context.Background(), sim.URL()+l.query, job, patient)
				require.ErrorIs(t, err, c.kind)
				for _, s := range c.inText {
					assert.Contains(t, err.Error(), s)
				}
				var pe *printer.Error
				require.True(t, errors.As(err, &pe))
				assert.NotEmpty(t, pe.TextVI)
				assert.Zero(t, res.Bytes)
				// Nothing but the status requests reached the printer.
				assert.Equal(t, []byte{1, 2, 4}, sim.StatusRequests())
				time.Sleep(50 * time.Millisecond) // let a stray byte arrive, if any was sent
				assert.Zero(t, sim.Received(), "no job bytes may be sent")
				assert.Empty(t, sim.Jobs())
			})
		}
	}
}

func TestPrinterWarnsButPrints(t *testing.T) {
	t.Parallel()
	job := renderJob(t, receipts.DotsPerLine58mm)
	// A silent printer's status wait must run out (short); its job must
	// not stall (patient).
	silent := printer.Options{StatusTimeout: hasty.StatusTimeout, StallTimeout: patient.StallTimeout}
	cases := []struct {
		state   printersim.State
		warning string
		status  bool
		opts    printer.Options
	}{
		{printersim.PaperNearEnd, "paper_near_end", true, patient},
		{printersim.Silent, "status_unknown", false, silent},
	}
	for _, l := range links {
		for _, c := range cases {
			t.Run(l.name+"/"+string(c.state), func(t *testing.T) {
				sim := l.start(t)
				sim.SetState(c.state)
				res, err := printer.PrintTo(context.Background(), sim.URL()+l.query, job, c.opts)
				require.NoError(t, err)
				require.Len(t, res.Warnings, 1)
				assert.Equal(t, c.warning, res.Warnings[0].Code)
				assert.NotEmpty(t, res.Warnings[0].TextVI)
				assert.Equal(t, c.status, res.Status != nil)
				if c.status {
					assert.True(t, res.Status.PaperNearEnd)
				}
				jobs, err := sim.WaitJobs(1, 30*time.Second)
				require.NoError(t, err)
				requireReceiptJob(t, jobs[0], job)
			})
		}
	}
}

func TestHungPrinterTimesOut(t *testing.T) {
	t.Parallel()
	job := renderJob(t, receipts.DotsPerLine80mm)
	for _, l := range links {
		t.Run(l.name, func(t *testing.T) {
			sim := l.start(t)
			sim.SetState(printersim.Hang)
			start := time.Now()
			_, err := printer.PrintTo(context.Background(), sim.URL()+l.query, job, hasty)
			elapsed := time.Since(start)
			require.Error(t, err)
			assert.ErrorIs(t, err, printer.ErrStalled)
			assert.ErrorIs(t, err, printer.ErrPartlyPrinted)
			assert.Contains(t, err.Error(), "may be partly printed")
			assert.Contains(t, err.Error(), "in lại biên lai")
			assert.Less(t, elapsed, 15*time.Second, "ended by the stall timeout, not by the test's")
			assert.Empty(t, sim.Jobs())
		})
	}
}

func TestCancelStopsAJob(t *testing.T) {
	t.Parallel()
	sim := tcpSim(t)
	sim.SetState(printersim.Hang)
	job := renderJob(t, receipts.DotsPerLine80mm)
	// The hung printer answers no status: the status wait (10 ms) runs
	// out, the job is written until the socket is full, and the ctx ends
	// the stalled write a second later (only the ctx can: the stall
	// timeout is a minute).
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	start := time.Now()
	_, err := printer.PrintTo(ctx, sim.URL(), job,
		printer.Options{StatusTimeout: 10 * time.Millisecond, StallTimeout: time.Minute})
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.ErrorIs(t, err, printer.ErrPartlyPrinted)
	assert.Less(t, time.Since(start), 15*time.Second)
}

func TestConnectionRefused(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	_, err = printer.PrintTo(context.Background(), "tcp://"+addr, []byte{0x1b, '@'}, patient)
	require.ErrorIs(t, err, printer.ErrUnreachable)
	assert.Contains(t, err.Error(), "cannot connect")
	assert.Contains(t, err.Error(), "Không kết nối được máy in")
	assert.Contains(t, err.Error(), "connection refused")
}

func TestMissingSerialPort(t *testing.T) {
	t.Parallel()
	_, err := printer.PrintTo(context.Background(), "serial:///dev/ttyUSB-feepos-missing", []byte{0x1b, '@'}, patient)
	require.ErrorIs(t, err, printer.ErrUnreachable)
	assert.Contains(t, err.Error(), "no such port")
}
