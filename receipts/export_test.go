package receipts

// TraceRender sets the renderers' text trace (render_trace.go) for one
// test; the returned function removes it. Tests that use it do not run in
// parallel with other rendering tests.
func TraceRender(f func(renderer, text string, size float64)) (restore func()) {
	renderTrace = f
	return func() { renderTrace = nil }
}
