package server

import "testing"

// fullTestServer is a server with every resource's routes registered, as
// `feepos serve` wires it (the route walk of the OpenAPI test needs them
// all). Each resource that adds routes through a setter adds its call
// here.
func fullTestServer(t *testing.T) *Server {
	t.Helper()
	s, _ := newTestServer(t)
	return s
}
