package receipts

// renderTrace, when set (by the tests, export_test.go), is told every
// piece of text a renderer draws and its type size (PDF: points; thermal:
// pixels = dots), so the tests can read back what prints larger than what
// (Decree 254/2026/NĐ-CP Art. 23.2: optional content no larger than the
// mandatory content). Nil in the service: one nil check per line drawn.
var renderTrace func(renderer, text string, size float64)

func traceText(renderer, text string, size float64) {
	if renderTrace != nil {
		renderTrace(renderer, text, size)
	}
}
