# The two commands of README.md: `make run` and `make test`.
.PHONY: run test build bench-ledger fmt

run:
	go run ./cmd/feepos serve --demo

test:
	gofmt -l . | (! grep .) || (echo "gofmt would change the files above: run gofmt -w ." && exit 1)
	go vet ./...
	go test -race -count=1 ./...

build:
	go build -o feepos ./cmd/feepos

bench-ledger:
	go run ./bench/ledgerbench
