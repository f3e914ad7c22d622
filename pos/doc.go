// Package pos will own the card terminal: the Terminal interface, result
// types and error kinds, with the ZVT and Concert drivers, the transports and
// the simulator in sub-packages. Not built yet: issue 3.
package pos
