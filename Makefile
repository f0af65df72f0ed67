# The two commands a newcomer needs are `make run` and `make test`.
GO      ?= go
DATA    ?= ./data
PKGS    ?= ./...

.PHONY: run test test-crash test-short bench lint build

## run: build and start the server on the embedded store with the demo district
run:
	$(GO) run ./cmd/paidan serve --demo --data $(DATA)

## test: every test with the race detector, then the full-size district run
## (1,871 teams, 10,000 orders) without it: under -race that test plays 1,000
## orders, because the detector makes the full run take over ten minutes.
test:
	$(GO) test -race -count=1 -timeout 20m $(PKGS)
	$(GO) test -count=1 -timeout 10m -run 'TestHaidianDistrictTenThousandOrders' ./app/simulate/

## test-crash: the kill -9 durability test with 200 kills instead of 20
test-crash:
	PAIDAN_CRASH_KILLS=200 $(GO) test -count=1 -timeout 30m -run 'Crash' -v ./eventstore/embedded/

## bench: the store benchmark (see README for the others)
bench:
	$(GO) run ./cmd/paidan bench store

## lint: formatting and vet
lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

build:
	$(GO) build -o bin/paidan ./cmd/paidan
