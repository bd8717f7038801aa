# ssotray — build and test.
#
#   make deps    install the Debian packages the build and the tests need
#   make build   build bin/ssotray
#   make test    vet, gofmt check, all tests in a private desktop session
#                (Xvfb + D-Bus + gnome-keyring, see .ci/desktop-session),
#                then a short fuzz run of the config parser
#   make run     the app (the window; `login` without a display); with no
#                config of your own, against devidp, the bundled demo servers
#   make bench   benchmarks in the same session
#   make clean   remove build output

GO ?= go
GOFMT ?= gofmt
BIN ?= bin
SESSION ?= bash .ci/desktop-session
FUZZTIME ?= 15s
TEST_TIMEOUT ?= 15m

export CGO_ENABLED = 1
export DEBIAN_FRONTEND = noninteractive

# What the build (cgo, Fyne on X11/OpenGL) and the tests (Xvfb, a Secret
# Service, Chromium, screenshots, input) need on Debian.
DEB_PACKAGES ?= gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev \
	libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev xvfb xauth dbus \
	gnome-keyring libsecret-tools chromium imagemagick xdotool \
	haskell-status-notifier-item-utils

# sudo only when not root.
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
# Wait for another apt or dpkg (unattended-upgrades on a fresh machine)
# instead of failing on its lock.
APT_GET = $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600

.PHONY: all deps build run test test-in-session vet fmt-check bench clean

all: build

deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
		dpkg -s "$$p" 2>/dev/null | grep -q '^Status: install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then \
		echo "deps: all Debian packages are installed"; \
	else \
		echo "deps: installing$$missing"; \
		$(APT_GET) update && \
		$(APT_GET) install -y --no-install-recommends $$missing; \
	fi

build:
	$(GO) build -o $(BIN)/ssotray ./cmd/ssotray

# With no configuration of the user's own (see README, Configuration), the
# demo provider runs on DEMO_ADDR and ssotray signs in against it.
DEMO_ADDR ?= 127.0.0.1:9000
run: deps build
	@$(GO) build -o $(BIN)/devidp ./cmd/devidp
	@verb=""; [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] || verb="login --method authentik"; \
	if [ -n "$$SSOTRAY_CONFIG" ] || [ -f "$${XDG_CONFIG_HOME:-$$HOME/.config}/ssotray/config.yaml" ] || [ -f /etc/ssotray/config.yaml ]; then \
		$(BIN)/ssotray $$verb; \
	else \
		cfg=$$(mktemp -t ssotray-demo.XXXXXX.yaml); \
		$(BIN)/devidp --addr $(DEMO_ADDR) --write-config $$cfg & pid=$$!; \
		trap "kill $$pid 2>/dev/null; rm -f $$cfg" EXIT INT TERM; \
		for i in $$(seq 50); do [ -s $$cfg ] && break; sleep 0.1; done; \
		$(BIN)/ssotray --config $$cfg $$verb; \
	fi

vet:
	$(GO) vet ./...

# Every .go file but those under testdata, vendor and hidden directories.
fmt-check:
	@unformatted=$$(find . -type d \( -name testdata -o -name vendor -o -name '.?*' \) -prune \
		-o -type f -name '*.go' -print | xargs -r $(GOFMT) -l) || { echo "gofmt failed"; exit 1; }; \
	if [ -n "$$unformatted" ]; then \
		echo "gofmt: these files are not formatted (run gofmt -w):"; \
		echo "$$unformatted"; \
		exit 1; \
	fi

test: deps
	$(SESSION) $(MAKE) --no-print-directory test-in-session
	@if [ -d app/config ]; then \
		echo "$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./app/config"; \
		$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) ./app/config; \
	else \
		echo "fuzz: app/config does not exist yet, skipping FuzzParse"; \
	fi

# Runs inside the desktop session (see test).
test-in-session: vet fmt-check
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

bench:
	$(SESSION) $(GO) test -run='^$$' -bench=. ./...

clean:
	rm -rf $(BIN)
