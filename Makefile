# rwarden build, test and run targets. See README.md.
# go: the first on PATH; `make deps` (scripts/install-deps.sh) installs one
# new enough for go.mod into /usr/local/go when there is none.
GO        ?= go
BIN       := bin/rwarden
STATE     ?= .state
# staticcheck release 2026.2.2 is module version v0.8.2
STATICCHECK_VERSION := v0.8.2
# Lazy (=): on a fresh machine there is no go yet when make reads this file.
GOBIN      = $(shell $(GO) env GOPATH)/bin

# What `rwarden version` reports: the version is the first "## [x.y.z]"
# heading of CHANGELOG.md, the commit and its date come from git ("unknown"
# outside a git checkout). The commit date, not the time of the build, keeps
# builds of one commit identical.
VERSION   ?= $(shell sed -n 's/^## \[\([0-9][^]]*\)\].*/\1/p' CHANGELOG.md | head -1)
COMMIT    ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
BUILD_DATE ?= $(shell git log -1 --format=%cI 2>/dev/null || echo unknown)
LDFLAGS   := -X main.version=$(VERSION) -X main.commit=$(COMMIT) -X main.buildDate=$(BUILD_DATE)
# Integration tests start real R workers; keep the whole run well under CI's budget.
TEST_TIMEOUT ?= 25m

.PHONY: all build deps run test test-short bench lint fmt fuzz clean model man deb deb-test nfpm docker

# nfpm builds the Debian package (docs/development.md, "Dependencies").
NFPM_VERSION := v2.48.0
NFPM       = $(GOBIN)/nfpm
DEB_ARCH  ?= $(shell dpkg --print-architecture 2>/dev/null || echo amd64)

all: build

deps:
	bash scripts/install-deps.sh

# build also compiles the fork library that forked sessions load into their
# R template (docs/sandbox.md, "Forked sessions"); rwarden finds it next to itself.
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/rwarden
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

# make man: man pages generated from the CLI (cobra/doc), gzipped, in bin/man.
man: build
	rm -rf $(dir $(BIN))man
	./$(BIN) man $(dir $(BIN))man
	gzip -9n $(dir $(BIN))man/*.1

nfpm:
	@$(GO) version -m $(NFPM) 2>/dev/null | grep -q "mod.*github.com/goreleaser/nfpm/v2.*$(NFPM_VERSION)" || \
	  $(GO) install github.com/goreleaser/nfpm/v2/cmd/nfpm@$(NFPM_VERSION)

# make deb: bin/rwarden_VERSION_ARCH.deb (packaging/nfpm.yaml; what it
# installs and how to run it: docs/operations.md).
deb: build man nfpm
	rm -f $(dir $(BIN))rwarden_*.deb
	VERSION=$(VERSION) ARCH=$(DEB_ARCH) $(NFPM) package --config packaging/nfpm.yaml --packager deb --target $(dir $(BIN))
	@ls -l $(dir $(BIN))rwarden_*.deb

# make deb-test: installs the package on this machine (root), starts it and
# evaluates over TLS (scripts/deb-test.sh). Changes the machine: not in CI.
deb-test: deb
	bash scripts/deb-test.sh $(dir $(BIN))rwarden_$(VERSION)_$(DEB_ARCH).deb

# make docker: the container image (packaging/Dockerfile); needs docker.
docker:
	docker build -f packaging/Dockerfile --build-arg COMMIT=$(COMMIT) --build-arg BUILD_DATE=$(BUILD_DATE) -t rwarden:$(VERSION) .

clean:
	rm -rf bin
