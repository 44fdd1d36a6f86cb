# rwarden build, test and run targets. See README.md.
GO        ?= go
BIN       := bin/rwarden
STATE     ?= .state
# staticcheck release 2026.2.2 is module version v0.8.2
STATICCHECK_VERSION := v0.8.2
GOBIN     := $(shell $(GO) env GOPATH)/bin
# Integration tests start real R workers; keep the whole run well under CI's budget.
TEST_TIMEOUT ?= 25m

.PHONY: all build deps run test test-short bench lint fmt fuzz clean model

all: build

deps:
	bash scripts/install-deps.sh

# build also compiles the fork library that forked sessions load into their
# R template (docs/sandbox.md, "Forked sessions"); rwarden finds it next to itself.
build:
	$(GO) build -trimpath -o $(BIN) ./cmd/rwarden
	gcc -O2 -Wall -fPIC -shared -o $(dir $(BIN))rwarden_fork.so sandbox/forklib/rwarden_fork.c

# make run: installs what is missing, builds, and starts rwarden on its
# embedded defaults (TLS on 127.0.0.1 with a dev certificate, a demo user).
run: deps build
	./$(BIN) serve --state-dir $(STATE)

# make test: go vet, unit tests and the integration tests against real R,
# with the race detector (the pool, the workers' I/O and the server are
# concurrent; a race there can mean a write to someone else's descriptor).
# Tests that keep artifacts (the browser test's screenshots) put them under .artifacts/.
test: deps
	$(GO) vet ./...
	RWARDEN_ARTIFACTS=$(CURDIR)/.artifacts $(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...

test-short:
	$(GO) test -short -count=1 ./...

bench: deps build
	bash scripts/bench.sh

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null; git ls-files --others --exclude-standard '*.go' 2>/dev/null)); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	@test -x $(GOBIN)/staticcheck && $(GOBIN)/staticcheck -version | grep -q "($(patsubst v%,%,$(STATICCHECK_VERSION)))" || \
	  $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(GOBIN)/staticcheck ./...

# make model: regenerate the static policy's parameter model
# (policy/model/params.tsv) from the installed R after an R or package
# upgrade; review its diff like code.
model: deps
	$(GO) generate ./policy/model

fmt:
	gofmt -w $$(git ls-files '*.go'; git ls-files --others --exclude-standard '*.go')

clean:
	rm -rf bin
