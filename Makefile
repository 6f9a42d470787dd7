# Gatehouse: build, test and benchmark.
#
#   make test    install what the tests need (Debian), then vet and run
#                every test: Go unit and integration tests under the race
#                detector, then the real command-line clients
#   make build   build ./gatehouse
#   make bench   run the benchmark command against a loopback server

GO ?= go
# Debian packages the client tests drive.
DEBIAN_PACKAGES := awscli rclone s3cmd curl
# apt-get needs root; use sudo when not root and sudo exists.
SUDO := $(shell [ "$$(id -u)" != 0 ] && command -v sudo >/dev/null && echo sudo)

.PHONY: test deps vet gotest clients build bench clean

test: deps vet gotest clients

# deps installs the missing Debian packages quietly, and skips apt
# entirely when all are present or the machine has no apt.
deps:
	@if ! command -v dpkg-query >/dev/null 2>&1; then \
		echo "deps: not a Debian system; install $(DEBIAN_PACKAGES) yourself"; exit 0; \
	fi; \
	missing=""; \
	for p in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' \
			|| missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "deps: installing$$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq \
			--no-install-recommends $$missing >/dev/null; \
	fi

vet:
	$(GO) vet ./...

gotest:
	$(GO) test -race -count=1 -timeout 15m ./...

# clients drives the aws CLI, rclone and s3cmd against a real server.
clients:
	@if [ -f test/clients/run.sh ]; then bash test/clients/run.sh; \
	else echo "clients: test/clients/run.sh not present; skipped"; fi

# The version `gatehouse version` prints: the nearest tag, or the commit.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null)

build:
	$(GO) build -ldflags "-X gatehouse.dev/gatehouse/internal/cli.version=$(VERSION)" \
		-o gatehouse ./cmd/gatehouse

bench:
	$(GO) run ./cmd/gatehouse bench

clean:
	rm -f gatehouse
