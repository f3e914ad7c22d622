package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/sim/concertsim"
	"github.com/feepos/feepos/pos/sim/zvtsim"
	"github.com/feepos/feepos/pos/transport"
)

// fullPAN is a card number the test terminals are given unmasked, so that
// a test can prove it never comes out: the drivers' decoders must mask it.
// In ZVT the PAN travels as BCD, whose hex is these same digits.
const fullPAN = "4221510000005678"

// startZVTSim runs a ZVT simulator on a new pseudo-terminal, in-process.
func startZVTSim(t *testing.T) (*zvtsim.Sim, string) {
	t.Helper()
	s, err := zvtsim.New(zvtsim.Config{
		StateFile: filepath.Join(t.TempDir(), "zvtsim.json"),
		Cards:     []zvtsim.Card{{Name: "VISA", Slot: "VISA", PAN: fullPAN, CardType: 10, Expiry: "2709"}},
	})
	require.NoError(t, err)
	ps, err := s.ServePTY(context.Background())
	require.NoError(t, err)
	t.Cleanup(func() { _ = ps.Close() })
	return s, ps.Path
}

// startConcertSim runs a Concert simulator on a new pseudo-terminal.
func startConcertSim(t *testing.T, faults ...concertsim.Fault) (*concertsim.Sim, string) {
	t.Helper()
	s, err := concertsim.New(concertsim.Config{StatePath: filepath.Join(t.TempDir(), "concertsim.json"), PAN: fullPAN})
	require.NoError(t, err)
	s.Inject(faults...)
	p, err := transport.NewPTY()
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = s.Serve(ctx, p.Master) }()
	t.Cleanup(func() { cancel(); <-done; _ = p.Close() })
	return s, p.SlavePath
}

var maskedPAN = regexp.MustCompile(`^\d{0,6}\*+\d{0,4}$`)

func assertMasked(t *testing.T, pan string) {
	t.Helper()
	assert.Regexp(t, maskedPAN, pan)
	assert.LessOrEqual(t, len(pan)-strings.Count(pan, "*"), 10, "at most 6+4 digits: %s", pan)
	assert.NotContains(t, pan, fullPAN)
}

// assertTrace checks --trace output: a hex line then its decoded JSON for
// every frame, and no card number in clear anywhere (nor its ASCII hex,
// as a Concert frame would carry it).
func assertTrace(t *testing.T, stderr string, protocol pos.Protocol) []pos.Message {
	t.Helper()
	compact := strings.ToUpper(strings.ReplaceAll(stderr, " ", ""))
	// fullPAN is ours; 4111… is the Concert simulator's default card.
	for _, pan := range []string{fullPAN, "4111111111111111"} {
		assert.NotContains(t, compact, pan)
		assert.NotContains(t, compact, hexOfASCII(pan))
	}
	var msgs []pos.Message
	lines := strings.Split(stderr, "\n")
	for i, line := range lines {
		if !strings.HasPrefix(line, string(protocol)+" ecr_to_pt ") && !strings.HasPrefix(line, string(protocol)+" pt_to_ecr ") {
			continue
		}
		require.Less(t, i+1, len(lines), "hex line without JSON: %s", line)
		var m pos.Message
		require.NoError(t, json.Unmarshal([]byte(lines[i+1]), &m), "line after %q", line)
		assert.Equal(t, protocol, m.Protocol)
		if m.PANMasked != "" {
			assertMasked(t, m.PANMasked)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

func hexOfASCII(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		b.WriteString(strings.ToUpper(string("0123456789abcdef"[s[i]>>4]) + string("0123456789abcdef"[s[i]&15])))
	}
	return b.String()
}

func kinds(msgs []pos.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Kind)
	}
	return out
}

func TestPosPayZVTApprovedThenStatusAndEndOfDay(t *testing.T) {
	s, path := startZVTSim(t)

	r := feepos(t, "", "pos", "pay", "--protocol", "zvt", "--port", path, "--amount", "150000", "--json", "--trace")
	require.Equal(t, 0, r.code, r.stderr)
	var res pos.Result
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
	assert.Equal(t, pos.Approved, res.Outcome)
	assert.EqualValues(t, 150000, res.Amount)
	assertMasked(t, res.PANMasked)
	assert.NotZero(t, res.ReceiptNo)
	assert.True(t, strings.HasPrefix(strings.TrimSpace(r.stdout), `{`+"\n"+`  "status": "approved"`), "status first: %s", r.stdout)
	assert.NotContains(t, r.stdout, fullPAN)

	msgs := assertTrace(t, r.stderr, pos.ZVT)
	ks := kinds(msgs)
	assert.Contains(t, ks, "registration")
	assert.Contains(t, ks, "authorization")
	assert.Contains(t, ks, "status_information")
	assert.Contains(t, ks, "line_ack")
	assert.Contains(t, r.stderr, "Mời khách", "intermediate events in Vietnamese")
	assert.Contains(t, r.stderr, "10 02 06 01 ", "frames in hex")

	// The result was confirmed: the terminal booked it.
	require.Eventually(t, func() bool { return len(s.Batch()) == 1 }, 10*time.Second, 10*time.Millisecond)

	r = feepos(t, "", "pos", "status", "--protocol", "zvt", "--port", path, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var st pos.Status
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &st))
	assert.True(t, st.Ready)

	r = feepos(t, "", "pos", "eod", "--protocol", "zvt", "--port", path, "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var eod pos.EndOfDay
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &eod))
	assert.Equal(t, pos.Approved, eod.Outcome)
	assert.EqualValues(t, 150000, eod.Total)
	require.Len(t, eod.Totals, 1)
	assert.Equal(t, pos.BrandTotal{Brand: "VISA", Count: 1, Amount: 150000}, eod.Totals[0])
	assert.Empty(t, s.Batch(), "the batch is closed")
}

func TestPosPayZVTTextAndReverse(t *testing.T) {
	s, path := startZVTSim(t)
	r := feepos(t, "", "pos", "pay", "--protocol", "zvt", "--port", path, "--amount", "20000")
	require.Equal(t, 0, r.code, r.stderr)
	assert.Contains(t, r.stdout, "THÀNH CÔNG")
	assert.Contains(t, r.stdout, "20.000 đồng")
	assert.Contains(t, r.stdout, "422151******5678")

	r = feepos(t, "", "pos", "reverse", "--protocol", "zvt", "--port", path, "--receipt", "1", "--json")
	require.Equal(t, 0, r.code, r.stderr)
	var res pos.Result
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
	assert.Equal(t, pos.Approved, res.Outcome)
	require.Eventually(t, func() bool { return len(s.Batch()) == 0 }, 10*time.Second, 10*time.Millisecond)

	// Nothing left to reverse: the terminal refuses, exit 1.
	r = feepos(t, "", "pos", "reverse", "--protocol", "zvt", "--port", path, "--receipt", "1")
	assert.Equal(t, 1, r.code, r.stderr)
}

func TestPosPayZVTDeclined(t *testing.T) {
	s, path := startZVTSim(t)
	s.Inject(zvtsim.Fault{Kind: zvtsim.FaultDecline, Code: 51})

	r := feepos(t, "", "pos", "pay", "--protocol", "zvt", "--port", path, "--amount", "150000", "--json")
	assert.Equal(t, 1, r.code, r.stderr)
	var res pos.Result
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
	assert.Equal(t, pos.Declined, res.Outcome)
	assert.Equal(t, "51", res.HostCode)
	assert.Contains(t, r.stderr, "nothing was charged")
	assert.Empty(t, s.Batch())

	s.Inject(zvtsim.Fault{Kind: zvtsim.FaultCustomerAbort})
	r = feepos(t, "", "pos", "pay", "--protocol", "zvt", "--port", path, "--amount", "150000")
	assert.Equal(t, 1, r.code, r.stderr)
	assert.Contains(t, r.stdout, "ĐÃ HỦY")
	assert.Contains(t, r.stderr, "aborted")
}

// A link lost after the command reached the terminal: the outcome is
// unknown, and the message says not to charge again and how to find out.
func TestPosPayZVTUnknown(t *testing.T) {
	s, path := startZVTSim(t)
	s.Inject(zvtsim.Fault{Kind: zvtsim.FaultHangUp, Target: zvtsim.TargetResult})
	r := feepos(t, "", "pos", "pay", "--protocol", "zvt", "--port", path, "--amount", "150000", "--json")
	assert.Equal(t, 1, r.code, r.stderr)
	var res pos.Result
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
	assert.Equal(t, pos.Unknown, res.Outcome)
	assert.Contains(t, r.stderr, "MAY have been charged")
	assert.Contains(t, r.stderr, "feepos pos status")
	assert.Contains(t, r.stderr, "Repeat Receipt")
}

func TestPosPayConcert(t *testing.T) {
	s, path := startConcertSim(t)
	r := feepos(t, "", "pos", "pay", "--protocol", "concert", "--port", path, "--amount", "150000", "--reference", "HS-0001", "--json", "--trace")
	require.Equal(t, 0, r.code, r.stderr)
	var res pos.Result
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
	assert.Equal(t, pos.Approved, res.Outcome)
	assert.EqualValues(t, 150000, res.Amount)
	assert.Equal(t, "HS-0001", res.Reference)
	assertMasked(t, res.PANMasked)
	ks := kinds(assertTrace(t, r.stderr, pos.Concert))
	assert.Contains(t, ks, "payment_request")
	assert.Contains(t, ks, "payment_answer")
	assert.Contains(t, ks, "enq")
	require.Len(t, s.Charged("HS-0001"), 1)

	_, path = startConcertSim(t, concertsim.Fault{Kind: concertsim.FaultDecline})
	r = feepos(t, "", "pos", "pay", "--protocol", "concert", "--port", path, "--amount", "150000", "--json")
	assert.Equal(t, 1, r.code, r.stderr)
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
	assert.Equal(t, pos.Declined, res.Outcome)

	// What E+ cannot do is a handled failure that says what to do instead.
	r = feepos(t, "", "pos", "status", "--protocol", "concert", "--port", path)
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "not supported")
}

func TestPosTransportErrorWhenThePortIsMissing(t *testing.T) {
	r := feepos(t, "", "pos", "pay", "--protocol", "zvt", "--port", filepath.Join(t.TempDir(), "ttyNONE"), "--amount", "1000", "--json")
	assert.Equal(t, 1, r.code)
	var res pos.Result
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
	assert.Equal(t, pos.TransportError, res.Outcome)
	assert.Contains(t, r.stderr, "nothing was charged")
}

func TestPosUsageErrors(t *testing.T) {
	base := []string{"pos", "pay", "--protocol", "zvt", "--port", "/dev/null"}
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing amount", base, "--amount is required"},
		{"decimal amount", append(base, "--amount", "1.5"), "whole number"},
		{"negative amount", append(base, "--amount=-3"), "whole number"},
		{"not a number", append(base, "--amount", "abc"), "whole number"},
		{"zero", append(base, "--amount", "0"), "greater than 0"},
		{"both port and tcp", append(base, "--tcp", "127.0.0.1:1", "--amount", "1"), "not both"},
		{"neither port nor tcp", []string{"pos", "pay", "--protocol", "zvt", "--amount", "1"}, "--port"},
		{"bad protocol", []string{"pos", "pay", "--protocol", "x", "--port", "/dev/null", "--amount", "1"}, "zvt or concert"},
		{"concert over tcp", []string{"pos", "status", "--protocol", "concert", "--tcp", "127.0.0.1:1"}, "not supported"},
		{"reverse without receipt", []string{"pos", "reverse", "--protocol", "zvt", "--port", "/dev/null"}, "--receipt is required"},
		{"bad password", append(base, "--amount", "1", "--password", "12"), "6 digits"},
		{"bad parity", append(base, "--amount", "1", "--parity", "sideways"), "parity"},
		{"repeats original on concert", []string{"pos", "pay", "--protocol", "concert", "--port", "/dev/null", "--amount", "1", "--repeats-original-receipt"}, "for ZVT terminals only"},
		{"sim bad protocol", []string{"sim", "--protocol", "x"}, "zvt or concert"},
		{"sim unknown fault", []string{"sim", "--protocol", "zvt", "--fault", "explode"}, "valid faults: "},
		{"sim concert tcp", []string{"sim", "--protocol", "concert", "--tcp", "127.0.0.1:0"}, "not supported"},
		{"sim fault rate", []string{"sim", "--protocol", "zvt", "--fault-rate", "2"}, "between 0 and 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errOut strings.Builder
			code := run(context.Background(), c.args, strings.NewReader(""), &out, &errOut)
			assert.Equal(t, 2, code, errOut.String())
			assert.Contains(t, errOut.String(), c.want)
			assert.Empty(t, out.String())
		})
	}
}

// syncBuffer is a strings.Builder safe for the simulator's log goroutine.
type syncBuffer struct {
	lw  lockedWriter
	buf strings.Builder
}

func newSyncBuffer() *syncBuffer {
	b := &syncBuffer{}
	b.lw.w = &b.buf
	return b
}

func (b *syncBuffer) Write(p []byte) (int, error) { return b.lw.Write(p) }
func (b *syncBuffer) String() string {
	b.lw.mu.Lock()
	defer b.lw.mu.Unlock()
	return b.buf.String()
}

// TestSimCommand runs `feepos sim` as a script would: read the first line,
// pay against it with `feepos pos pay`, stop it.
func TestSimCommand(t *testing.T) {
	t.Chdir(t.TempDir()) // the default state file goes under ./feepos-data/

	for _, c := range []struct {
		protocol pos.Protocol
		args     []string
		port     string
	}{
		{pos.ZVT, nil, "--port"},
		{pos.ZVT, []string{"--tcp", "127.0.0.1:0"}, "--tcp"},
		{pos.Concert, nil, "--port"},
	} {
		t.Run(string(c.protocol)+" "+c.port, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			pr, pw, err := os.Pipe()
			require.NoError(t, err)
			defer pr.Close()
			simErr := newSyncBuffer()
			args := append([]string{"sim", "--protocol", string(c.protocol), "--fault", "decline"}, c.args...)
			exit := make(chan int, 1)
			go func() {
				defer pw.Close()
				exit <- run(ctx, args, strings.NewReader(""), pw, simErr)
			}()

			lines := bufio.NewReader(pr)
			first, err := lines.ReadString('\n')
			require.NoError(t, err, simErr.String())
			require.True(t, strings.HasPrefix(first, "listening on "), first)
			addr := strings.TrimSpace(strings.TrimPrefix(first, "listening on "))
			if c.port == "--tcp" {
				assert.NotContains(t, addr, ":0", "the real port is printed")
			}

			// The first payment meets the queued fault, the second goes through.
			r := feepos(t, "", "pos", "pay", "--protocol", string(c.protocol), c.port, addr, "--amount", "150000", "--json")
			assert.Equal(t, 1, r.code, r.stderr)
			assert.Contains(t, r.stdout, `"status": "declined"`)
			r = feepos(t, "", "pos", "pay", "--protocol", string(c.protocol), c.port, addr, "--amount", "150000", "--json", "--trace")
			require.Equal(t, 0, r.code, r.stderr)
			var res pos.Result
			require.NoError(t, json.Unmarshal([]byte(r.stdout), &res))
			assert.Equal(t, pos.Approved, res.Outcome)
			assertMasked(t, res.PANMasked)
			assertTrace(t, r.stderr, c.protocol)

			require.Eventually(t, func() bool {
				return strings.Contains(simErr.String(), "status=approved") || strings.Contains(simErr.String(), "charged=true")
			},
				10*time.Second, 20*time.Millisecond, simErr.String())
			cancel()
			select {
			case code := <-exit:
				assert.Equal(t, 0, code, simErr.String())
			case <-time.After(15 * time.Second):
				t.Fatal("feepos sim did not stop when cancelled")
			}
			assert.Contains(t, simErr.String(), "simulator stopped")
			assert.NotContains(t, simErr.String(), fullPAN)
			assert.FileExists(t, filepath.Join("feepos-data", "sim-"+string(c.protocol)+".json"))
		})
	}
}
