package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// progressMin is the file size from which an import shows progress.
const progressMin = 4 << 20

// isTerminal reports whether w is a character device (a terminal): the
// progress bar is for a person watching, never for a pipe or a log.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// readWithProgress reads a file whole, drawing a progress bar on stderr
// when it is a terminal and the file is large.
func readWithProgress(path string, stderr io.Writer) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	size := st.Size()
	if size < progressMin || !isTerminal(stderr) {
		// Sized by the file (io.ReadAll would grow and copy its buffer
		// up to twice the file).
		data := make([]byte, 0, size+1)
		for {
			n, err := f.Read(data[len(data):cap(data)])
			data = data[:len(data)+n]
			if err == io.EOF {
				return data, nil
			}
			if err != nil {
				return nil, fmt.Errorf("read %s: %w", path, err)
			}
			if len(data) == cap(data) {
				data = append(data, 0)[:len(data)] // the file grew: let append size it
			}
		}
	}
	data := make([]byte, 0, size)
	buf := make([]byte, 1<<20)
	last := -1
	for {
		n, err := f.Read(buf)
		data = append(data, buf[:n]...)
		if pct := int(int64(len(data)) * 100 / size); pct != last {
			last = pct
			bar := strings.Repeat("█", pct/4) + strings.Repeat("░", 25-pct/4)
			fmt.Fprintf(stderr, "\rĐang đọc %s %s %3d%%", path, bar, pct)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(stderr)
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
	}
	fmt.Fprintf(stderr, "\rĐang kiểm tra và ghi %s…%s\r", path, strings.Repeat(" ", 20))
	return data, nil
}
