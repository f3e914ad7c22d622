package transport

import (
	"fmt"

	"go.bug.st/serial"
	"go.bug.st/serial/enumerator"
)

// PortInfo is one serial port found on this machine.
type PortInfo struct {
	Path         string `json:"path"`                    // e.g. /dev/ttyACM0
	USB          bool   `json:"usb"`                     // a USB serial adapter or USB CDC/ACM terminal
	VID          string `json:"vid,omitempty"`           // USB vendor id, hex, when USB
	PID          string `json:"pid,omitempty"`           // USB product id, hex, when USB
	SerialNumber string `json:"serial_number,omitempty"` // USB serial number, when the device has one
	Product      string `json:"product,omitempty"`       // USB product string, when known
}

// ListPorts lists the serial ports present, with USB details read from
// sysfs on Linux (no cgo, no probing of the devices). Pseudo-terminals are
// not listed.
func ListPorts() ([]PortInfo, error) {
	paths, err := serial.GetPortsList()
	if err != nil {
		return nil, fmt.Errorf("list serial ports: %w", err)
	}
	// The enumerator leaves Name empty for a port without a sysfs device
	// entry, so the plain list is the reference and details are added.
	byPath := map[string]*enumerator.PortDetails{}
	if details, err := enumerator.GetDetailedPortsList(); err == nil {
		for _, d := range details {
			if d.Name != "" {
				byPath[d.Name] = d
			}
		}
	}
	ports := make([]PortInfo, 0, len(paths))
	for _, path := range paths {
		info := PortInfo{Path: path}
		if d, ok := byPath[path]; ok {
			info.USB, info.VID, info.PID = d.IsUSB, d.VID, d.PID
			info.SerialNumber, info.Product = d.SerialNumber, d.Product
		}
		ports = append(ports, info)
	}
	return ports, nil
}
