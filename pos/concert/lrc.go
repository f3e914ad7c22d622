package concert

// LRC is the longitudinal redundancy check of a Concert frame: the XOR of
// every byte after STX up to and including ETX (pyTeliumManager
// TeliumData.lrc over data[1:-1]; pypostelium generate_lrc over
// real_msg_with_etx). Pass exactly those bytes.
func LRC(b []byte) byte {
	var x byte
	for _, c := range b {
		x ^= c
	}
	return x
}

// Frame wraps a message text as it goes on the line: STX text ETX LRC.
func Frame(text []byte) []byte {
	f := make([]byte, 0, len(text)+3)
	f = append(f, STX)
	f = append(f, text...)
	f = append(f, ETX)
	return append(f, LRC(f[1:]))
}
