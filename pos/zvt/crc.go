package zvt

// crcTable is CRC-16/KERMIT (CCITT polynomial 0x1021 reflected = 0x8408,
// init 0x0000, no final xor), the checksum of the serial transport
// (PA00P016 Teil 2, "CRC"). Reference: crc("123456789") = 0x2189.
var crcTable = func() (t [256]uint16) {
	for i := range t {
		c := uint16(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0x8408
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}()

// CRC returns the CRC-16/KERMIT of data.
func CRC(data []byte) uint16 {
	return crcUpdate(0, data)
}

func crcUpdate(crc uint16, data []byte) uint16 {
	for _, b := range data {
		crc = crc>>8 ^ crcTable[byte(crc)^b]
	}
	return crc
}

// FrameCRC is the checksum a serial frame carries for apdu: it covers the
// unstuffed APDU and the ETX, not the DLE STX, not the DLE before ETX and
// not the stuffing DLEs. It is sent low byte first.
func FrameCRC(apdu []byte) uint16 {
	return crcUpdate(crcUpdate(0, apdu), []byte{ETX})
}
