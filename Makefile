# The two commands of README.md: `make run` and `make test`.
.PHONY: run test tools soak build bench-ledger fmt

run:
	go run ./cmd/feepos serve --demo

# `go vet -race` builds the packages as the race-enabled tests do, so
# `go test` reuses them instead of building everything (SQLite's C
# included) a second time; no file here depends on the race build tag, so
# vet checks the same code. `go test -vet=off`: vet has just run, with all
# its checks (go test's own vet pass is a subset of them).
# GORACE atexit_sleep_ms=0: by default the race detector sleeps a second
# at the exit of every test binary, in case goroutines still running race
# then; a race during the tests is reported when it happens. (A GORACE of
# your own comes after, and wins.)
test: tools
	gofmt -l . | (! grep .) || (echo "gofmt would change the files above: run gofmt -w ." && exit 1)
	go vet -race ./...
	GORACE="atexit_sleep_ms=0 $$GORACE" go test -race -vet=off -count=1 ./...

# What `make test` needs besides Go: cgo with a C compiler and the C
# library headers (SQLite, the race detector), pdftotext (the PDF
# receipt tests read their text back), Chromium (internal/e2e drives
# the web app in it; $FEEPOS_CHROMIUM names another binary) and python3,
# xmlsec1 and openssl (tools/checkchain checks a day's export), sqlite3
# (bench/reconbench's smoke test runs the baseline with it). One line
# names whatever is missing, before anything is built; .ci/run installs
# it on Debian.
tools:
	@missing=; \
	command -v go >/dev/null 2>&1 || missing="$$missing, go (Go 1.26: https://go.dev/dl/)"; \
	if ! command -v gcc >/dev/null 2>&1; then missing="$$missing, gcc (apt-get install gcc libc6-dev)"; \
	elif ! printf '#include <stdlib.h>\nint main(void) { return 0; }\n' | gcc -x c -o /dev/null - >/dev/null 2>&1; then \
		missing="$$missing, the C library headers (apt-get install libc6-dev)"; fi; \
	command -v pdftotext >/dev/null 2>&1 || missing="$$missing, pdftotext (apt-get install poppler-utils)"; \
	command -v "$${FEEPOS_CHROMIUM:-/usr/bin/chromium}" >/dev/null 2>&1 || missing="$$missing, Chromium at $${FEEPOS_CHROMIUM:-/usr/bin/chromium} (apt-get install chromium, or set FEEPOS_CHROMIUM)"; \
	for t in python3 xmlsec1 openssl; do command -v $$t >/dev/null 2>&1 || missing="$$missing, $$t (apt-get install $$t: tools/checkchain)"; done; \
	command -v sqlite3 >/dev/null 2>&1 || missing="$$missing, sqlite3 (apt-get install sqlite3: the reconciliation benchmark's baseline)"; \
	if [ -z "$$missing" ] && [ "$$(go env CGO_ENABLED)" != 1 ]; then missing=", cgo (unset CGO_ENABLED or set it to 1)"; fi; \
	if [ -n "$$missing" ]; then echo "make test: missing$${missing#,}; install what is missing and run it again (.ci/run installs the Debian packages)" >&2; exit 1; fi

# The long runs of the randomized and crash tests (README.md, "Soak tests").
soak: tools
	FEEPOS_SOAK=1 GORACE="atexit_sleep_ms=0 $$GORACE" go test -race -count=1 -timeout 2h ./...

build:
	go build -o feepos ./cmd/feepos

bench-ledger:
	go run ./bench/ledgerbench
