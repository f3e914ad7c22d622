package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/feepos/feepos/pos"
	"github.com/feepos/feepos/pos/concert"
	"github.com/feepos/feepos/pos/transport"
	"github.com/feepos/feepos/pos/zvt"
)

func (a *app) posCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pos",
		Short: "Talk to one card terminal directly (a technician's tools)",
		RunE:  a.groupHelp,
	}
	cmd.AddCommand(a.posPortsCommand(), a.posDecodeCommand(), a.posPayCommand(), a.posReverseCommand(), a.posStatusCommand(), a.posEODCommand())
	return cmd
}

func (a *app) posPortsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "ports",
		Short: "List serial ports (USB terminals show their vendor and product ids)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ports, err := transport.ListPorts()
			if err != nil {
				return err
			}
			if a.jsonOut {
				if ports == nil {
					ports = []transport.PortInfo{}
				}
				return a.printJSON(ports)
			}
			if len(ports) == 0 {
				fmt.Fprintln(a.stdout, "Không tìm thấy cổng nối tiếp nào.")
				return nil
			}
			w := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "Cổng\tUSB\tVID:PID\tSố sê-ri\tThiết bị")
			for _, p := range ports {
				usb, ids := "", ""
				if p.USB {
					usb, ids = "có", p.VID+":"+p.PID
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", p.Path, usb, ids, p.SerialNumber, p.Product)
			}
			return w.Flush()
		},
	}
}

func (a *app) posDecodeCommand() *cobra.Command {
	var protocol string
	cmd := &cobra.Command{
		Use:   "decode --protocol zvt|concert [HEX ...]",
		Short: "Decode ECR frames or bare messages given in hex, one JSON object per message",
		Long: `Decode frames or bare APDUs/messages. Hex may contain spaces or dashes. Each
argument is one message; if every argument is a single byte ("06 01 07 …"
unquoted), they are read as one message. Without arguments, reads one message
per line from stdin. Card numbers come out masked; track data never.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			decode, parse, err := decoderFor(protocol)
			if err != nil {
				return err
			}
			var inputs []string
			switch {
			case len(args) > 1 && allSingleBytes(args):
				inputs = []string{strings.Join(args, " ")}
			case len(args) > 0:
				inputs = args
			default:
				sc := bufio.NewScanner(a.stdin)
				sc.Buffer(make([]byte, 64*1024), 1024*1024)
				for sc.Scan() {
					if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
						inputs = append(inputs, line)
					}
				}
				if err := sc.Err(); err != nil {
					return fmt.Errorf("read stdin: %w", err)
				}
			}
			enc := json.NewEncoder(a.stdout)
			enc.SetEscapeHTML(false)
			failed := 0
			for i, in := range inputs {
				b, err := parse(in)
				var msg pos.Message
				if err == nil {
					msg, err = decode(b)
				}
				if err != nil {
					failed++
					fmt.Fprintf(a.stderr, "feepos: message %d: %v\n", i+1, err)
					continue
				}
				if err := enc.Encode(msg); err != nil {
					return err
				}
			}
			if failed > 0 {
				return fmt.Errorf("%d of %d messages could not be decoded (see above): check that the hex is complete and the protocol is right", failed, len(inputs))
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&protocol, "protocol", "", "zvt or concert")
	return cmd
}

func decoderFor(protocol string) (func([]byte) (pos.Message, error), func(string) ([]byte, error), error) {
	switch pos.Protocol(protocol) {
	case pos.ZVT:
		return zvt.DecodeAny, zvt.ParseHex, nil
	case pos.Concert:
		return concert.Decode, concert.ParseHex, nil
	}
	return nil, nil, usagef("--protocol must be zvt or concert, got %q", protocol)
}

func allSingleBytes(args []string) bool {
	for _, a := range args {
		if len(a) != 2 {
			return false
		}
	}
	return true
}
