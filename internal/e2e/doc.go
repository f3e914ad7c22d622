// Package e2e holds the end-to-end tests of the web app in a real browser:
// they build the feepos binary, run `feepos serve --demo` on loopback as a
// child process and drive Debian's Chromium through the DevTools protocol
// (chromedp), on a counter PC's screen (1366×768) and on a phone's
// (390×844), writing a screenshot of every step for a person to look at.
//
// The package has no code outside its tests. docs/WEB-E2E.md says how to
// run them, where the screenshots go and how to add a step.
package e2e
