# ssotray — build and test.
#
#   make deps    install the Debian packages the build and the tests need
#   make build   build bin/ssotray (pure Go: the verbs and the tray) and
#                bin/ssotray-window (Fyne: the window), which belong together
#   make test    vet, gofmt check, all tests in a private desktop session
#                (Xvfb + D-Bus + gnome-keyring, see .ci/desktop-session),
#                then the Windows package's checks (test-windows-package),
#                then a short fuzz run of the config parser
#   make run     the app (the window; `login` without a display); with no
#                config of your own, against devidp, the bundled demo servers
#   make bench   Go benchmarks, then cmd/bench: ssotray against baselines,
#                one table (in the same session; exits 1 on a missed target)
#   make package the Linux archive bin/ssotray-VERSION-linux-ARCH.tar.xz:
#                binary, .desktop file, icon, autostart entry, install Makefile
#   make package-windows  bin/ssotray-VERSION-windows-amd64/: ssotray.exe
#                and ssotray-window.exe (mingw-w64), which belong together,
#                with icon and version information; and the per-user
#                installer bin/ssotray-VERSION-windows-amd64.msi (wixl)
#   make test-windows  that Windows build checked, and run under Wine: the
#                verbs, the Credential Manager, the idle time, the window,
#                the installer (make test runs it last; SKIP_WINDOWS=1 make
#                test leaves it out)
#   make clean   remove build output

GO ?= go
GOFMT ?= gofmt
BIN ?= bin
SESSION ?= bash .ci/desktop-session
# Each new input the fuzzer finds is minimized for up to -fuzzminimizetime
# (60 s by default), with no fuzzing meanwhile: 1 s keeps the run fuzzing.
FUZZTIME ?= 15s
TEST_TIMEOUT ?= 15m

export CGO_ENABLED = 1
export DEBIAN_FRONTEND = noninteractive

# What the build (cgo, Fyne on X11/OpenGL) and the tests (Xvfb, a Secret
# Service, Chromium, screenshots, input) need on Debian.
DEB_PACKAGES ?= gcc pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev \
	libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev xvfb xauth dbus \
	gnome-keyring libsecret-tools chromium imagemagick xdotool \
	haskell-status-notifier-item-utils desktop-file-utils xz-utils curl

# sudo only when not root.
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
# Wait for another apt or dpkg (unattended-upgrades on a fresh machine)
# instead of failing on its lock.
APT_GET = $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600

.PHONY: all deps deps-windows deps-wine build package package-windows test-windows-package test-windows test-windows-in-session run test test-in-session vet fmt-check bench bench-in-session clean

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

# ssotray is pure Go (no cgo, no libGL): verbs start like any command-line
# tool and the tray idles light. Only ssotray-window links Fyne's driver.
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/ssotray ./cmd/ssotray
	$(GO) build -o $(BIN)/ssotray-window ./cmd/ssotray-window

# Packaging (README, Install). `make package` makes
# $(BIN)/ssotray-VERSION-linux-ARCH.tar.xz: the two binaries, and the .desktop
# file, icon and install Makefile (install, user-install) that `fyne package`
# makes from FyneApp.toml, plus ssotray-window's install rules and an XDG
# autostart entry (assets/package/package.mk), so the tray is there after
# login. VERSION is FyneApp.toml's.
#
# fyne.io/tools v1.7.4 requires Fyne v2.8: as a tool of go.mod it would move
# the app itself off Fyne v2.7, so it is a tool of a module file of its own.
GO_TOOL_FYNE = $(GO) tool -modfile=$(CURDIR)/assets/package/fyne-tool.mod
APP_VERSION = $(shell sed -n 's/^[[:space:]]*Version[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' FyneApp.toml)
APP_ID = $(shell sed -n 's/^[[:space:]]*ID[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' FyneApp.toml)
# Fyne's release mode (as `fyne package --release`): among others, the binary
# no longer looks for a FyneApp.toml beside itself. No -trimpath: it shares no
# build cache with the tests' builds and costs minutes of cgo in CI.
RELEASE_TAGS = release
RELEASE_LDFLAGS = -s -w -X main.version=$(APP_VERSION)
PACKAGE = ssotray-$(APP_VERSION)-linux-$(shell $(GO) env GOARCH)

# fyne package reads FyneApp.toml in its --src directory and would build
# there, but ours is at the top and the main package in cmd/ssotray; and it
# counts Build up in that FyneApp.toml on every run. So it gets the binary
# built here, and copies of FyneApp.toml and the icon in a staging directory
# (named with _, which ./... skips, as fyne wants a .go file beside
# FyneApp.toml). Its tarball is unpacked, given the autostart entry and its
# install rules, and packed again as $(PACKAGE); only that last packing
# compresses hard. XZ_OPT=-0 make package: 8 s instead of 30, 11 MB
# instead of 10.
package: deps
	@set -e; bin=$(abspath $(BIN)); stage=$$bin/_package; out=$$bin/$(PACKAGE); \
	rm -rf "$$stage" "$$out" "$$out.tar.xz"; mkdir -p "$$stage/src/assets" "$$out"; \
	echo "CGO_ENABLED=0 $(GO) build -tags $(RELEASE_TAGS) -ldflags '$(RELEASE_LDFLAGS)' -o $$stage/ssotray ./cmd/ssotray"; \
	CGO_ENABLED=0 $(GO) build -tags $(RELEASE_TAGS) -ldflags '$(RELEASE_LDFLAGS)' -o "$$stage/ssotray" ./cmd/ssotray; \
	echo "$(GO) build -tags $(RELEASE_TAGS) -ldflags '$(RELEASE_LDFLAGS)' -o $$stage/ssotray-window ./cmd/ssotray-window"; \
	$(GO) build -tags $(RELEASE_TAGS) -ldflags '$(RELEASE_LDFLAGS)' -o "$$stage/ssotray-window" ./cmd/ssotray-window; \
	cp FyneApp.toml "$$stage/src/"; cp assets/icon.png "$$stage/src/assets/"; \
	printf 'package main\n' >"$$stage/src/main.go"; \
	fyne=$$($(GO_TOOL_FYNE) -n fyne); \
	echo "fyne package --target linux --executable $$stage/ssotray"; \
	(cd "$$stage" && XZ_OPT=-0 "$$fyne" package --target linux --src src --executable "$$stage/ssotray"); \
	tar -xJf "$$stage/ssotray.tar.xz" --strip-components=1 -C "$$out"; \
	install -Dm755 "$$stage/ssotray-window" "$$out/usr/local/bin/ssotray-window"; \
	install -Dm644 assets/package/autostart.desktop "$$out/etc/xdg/autostart/$(APP_ID).desktop"; \
	cat assets/package/package.mk >>"$$out/Makefile"; \
	tar -cJf "$$out.tar.xz" --owner=0 --group=0 --numeric-owner -C "$$bin" $(PACKAGE); \
	rm -rf "$$stage" "$$out"; \
	echo "package: $(BIN)/$(PACKAGE).tar.xz"

# The Windows build: cgo (GLFW) through mingw-w64's compiler. -H=windowsgui
# as fyne package does: no console window beside the app's (a verb attaches
# to the console it was started from: app/winconsole). Each .exe gets its
# icon and version information from a .syso (below), and both go into an MSI
# built with msitools' wixl from assets/windows/ssotray.wxs. msitools and
# wixl are separate Debian packages (wixl: the builder; msitools: msiinfo,
# msiextract, for the tests).
DEB_PACKAGES_WINDOWS ?= gcc-mingw-w64-x86-64 msitools wixl
WINDOWS_CC ?= x86_64-w64-mingw32-gcc
deps-windows:
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="$(DEB_PACKAGES_WINDOWS)"

# The Windows resources: cmd/winres writes an .ico (from assets/icon.png)
# and a resource script per program (version information from
# FyneApp.toml); mingw-w64's windres compiles each into the .syso that go
# build links into that program when GOOS=windows GOARCH=amd64 (and never
# otherwise). Generated, not committed (.gitignore); made again when an
# input changes.
WINDOWS_WINDRES ?= x86_64-w64-mingw32-windres
WINDOWS_SYSO = cmd/ssotray/rsrc_windows_amd64.syso cmd/ssotray-window/rsrc_windows_amd64.syso
$(WINDOWS_SYSO) &: FyneApp.toml assets/icon.png cmd/winres/main.go | deps-windows
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	echo "$(GO) run ./cmd/winres -app FyneApp.toml -out $$tmp"; \
	$(GO) run ./cmd/winres -app FyneApp.toml -out "$$tmp"; \
	for p in ssotray ssotray-window; do \
		echo "$(WINDOWS_WINDRES) -i $$tmp/$$p.rc -o cmd/$$p/rsrc_windows_amd64.syso"; \
		$(WINDOWS_WINDRES) --input-format=rc --output-format=coff -I "$$tmp" -i "$$tmp/$$p.rc" -o "$$tmp/$$p.syso"; \
		mv "$$tmp/$$p.syso" cmd/$$p/rsrc_windows_amd64.syso; \
	done

WINDOWS_PACKAGE = ssotray-$(APP_VERSION)-windows-amd64
# An MSI's ProductVersion is numbers only: 1.2.3 of 1.2.3-rc1.
MSI_VERSION = $(shell echo '$(APP_VERSION)' | sed 's/[-+].*//')
APP_WEBSITE = $(shell sed -n 's/^[[:space:]]*Website[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' FyneApp.toml)
APP_NAME = $(shell sed -n 's/^[[:space:]]*Name[[:space:]]*=[[:space:]]*"\([^"]*\)".*/\1/p' FyneApp.toml)

# ssotray.com is ssotray.exe built for the console subsystem, for terminals:
# cmd.exe and PowerShell find it first (PATHEXT lists .COM before .EXE) and
# wait for it, so the output comes before the prompt and the exit code is
# the verb's; the Start menu and autostart keep the GUI ssotray.exe, which
# opens no console window.
package-windows: deps-windows $(WINDOWS_SYSO)
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -tags $(RELEASE_TAGS) -ldflags '$(RELEASE_LDFLAGS) -H=windowsgui' \
		-o $(BIN)/$(WINDOWS_PACKAGE)/ssotray.exe ./cmd/ssotray
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) build -tags $(RELEASE_TAGS) -ldflags '$(RELEASE_LDFLAGS)' \
		-o $(BIN)/$(WINDOWS_PACKAGE)/ssotray.com ./cmd/ssotray
	GOOS=windows GOARCH=amd64 CC=$(WINDOWS_CC) $(GO) build -tags $(RELEASE_TAGS) -ldflags '$(RELEASE_LDFLAGS) -H=windowsgui' \
		-o $(BIN)/$(WINDOWS_PACKAGE)/ssotray-window.exe ./cmd/ssotray-window
	cd $(BIN)/$(WINDOWS_PACKAGE) && wixl -a x64 -D Version=$(MSI_VERSION) -D Name=$(APP_NAME) -D Website=$(APP_WEBSITE) \
		-D SourceDir=. -o ../$(WINDOWS_PACKAGE).msi.tmp $(CURDIR)/assets/windows/ssotray.wxs
	mv $(BIN)/$(WINDOWS_PACKAGE).msi.tmp $(BIN)/$(WINDOWS_PACKAGE).msi
	@echo "package-windows: $(BIN)/$(WINDOWS_PACKAGE)/ and $(BIN)/$(WINDOWS_PACKAGE).msi"

# The Windows package's own checks (cmd/ssotray/windows_package_test.go):
# the icon, version information and subsystem of the three programs, and
# the MSI's tables, on the package just built; test-windows runs it first. (The
# tests there named TestWine... install the MSI and run app/winconsole's
# tests under Wine: they need SSOTRAY_TEST_WINE=1 and a prefix, and skip
# here.) Then go vet on the whole tree as built for Windows, with the
# package's tags so that it reuses that build.
test-windows-package: package-windows
	SSOTRAY_WINDOWS_BIN=$(abspath $(BIN))/$(WINDOWS_PACKAGE) \
		$(GO) test -count=1 -run '^TestWindowsPackage' ./cmd/ssotray
	GOOS=windows GOARCH=amd64 CC=$(WINDOWS_CC) $(GO) vet -tags $(RELEASE_TAGS) ./...

# With no configuration of the user's own (see README, Configuration), the
# demo provider runs on DEMO_ADDR (and Navidrome's stand-in on
# DEMO_NAVIDROME_ADDR) and ssotray signs in against it; DEMO_BROWSER, when
# set, is the browser command of the demo's configuration.
DEMO_ADDR ?= 127.0.0.1:9000
DEMO_NAVIDROME_ADDR ?= 127.0.0.1:4533
DEMO_BROWSER ?=
run: deps build
	@$(GO) build -o $(BIN)/devidp ./cmd/devidp
	@verb=""; [ -n "$$DISPLAY$$WAYLAND_DISPLAY" ] || verb="login --method authentik"; \
	if [ -n "$$SSOTRAY_CONFIG" ] || [ -f "$${XDG_CONFIG_HOME:-$$HOME/.config}/ssotray/config.yaml" ] || [ -f /etc/ssotray/config.yaml ]; then \
		$(BIN)/ssotray $$verb; \
	else \
		cfg=$$(mktemp -t ssotray-demo.XXXXXX.yaml); \
		$(BIN)/devidp --addr $(DEMO_ADDR) --navidrome-addr $(DEMO_NAVIDROME_ADDR) \
			--browser "$(DEMO_BROWSER)" --write-config $$cfg & pid=$$!; \
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
		echo "$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=1s ./app/config"; \
		$(GO) test -run='^$$' -fuzz='^FuzzParse$$' -fuzztime=$(FUZZTIME) -fuzzminimizetime=1s ./app/config; \
	else \
		echo "fuzz: app/config does not exist yet, skipping FuzzParse"; \
	fi
	@if [ "$(SKIP_WINDOWS)" = 1 ]; then \
		echo "test: SKIP_WINDOWS=1, so the Windows build is not tested (make test-windows)"; \
	else \
		$(MAKE) --no-print-directory test-windows; \
	fi

# Runs inside the desktop session (see test).
test-in-session: vet fmt-check
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) ./...

# The Windows build under Wine (README, Windows, What is tested): the .exe
# files of package-windows run in a Wine prefix (.ci/wine/prefix: Debian's
# Wine 8.0 plus a ProcessPrng DLL of ours, which Go 1.22+ needs), which is
# kept in WINE_PREFIX between runs and made again only when missing or
# stale; its lock keeps two checkouts from sharing its Credential Manager at
# once. In the desktop session for its X display (the window's screenshot):
# the Go tests of app/tokenstore, app/idle, app/filelock and app/renewlock
# cross-compiled and run under Wine, app/tray's notification test on the
# display (it needs a notification area), then cmd/ssotray's TestWine*,
# which drive ssotray.exe.
DEB_PACKAGES_WINE ?= wine64 gcc-mingw-w64-x86-64
WINE_PREFIX ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/ssotray/wine-prefix
WINE_TEST_PACKAGES = ./app/tokenstore ./app/idle ./app/filelock ./app/renewlock

deps-wine:
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="$(DEB_PACKAGES_WINE)"

test-windows: deps deps-wine test-windows-package
	@mkdir -p "$(dir $(WINE_PREFIX))"
	flock "$(WINE_PREFIX).lock" $(SESSION) $(MAKE) --no-print-directory test-windows-in-session

# Runs inside the desktop session, holding the prefix's lock (see test-windows).
test-windows-in-session:
	@set -e; started=$$(date +%s); \
	wine=$$(bash .ci/wine/prefix "$(WINE_PREFIX)"); \
	tests=$(abspath $(BIN))/wine-tests; mkdir -p "$$tests"; \
	for pkg in $(WINE_TEST_PACKAGES); do \
		exe="$$tests/$$(basename $$pkg).test.exe"; \
		echo "GOOS=windows $(GO) test -c -o $$exe $$pkg && wine64 $$exe"; \
		GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) test -c -o "$$exe" "$$pkg"; \
		(cd "$$pkg" && env -u SSOTRAY_TEST_DESKTOP -u DISPLAY SSOTRAY_TEST_WINDOWS=1 WINEPREFIX="$(WINE_PREFIX)" \
			WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml,winemenubuilder.exe=" \
			"$$wine" "$$exe" -test.count=1 -test.timeout=5m) || { echo "FAIL $$pkg under Wine"; exit 1; }; \
		echo "ok   $$pkg under Wine"; \
	done; \
	exe="$$tests/tray.test.exe"; \
	echo "GOOS=windows $(GO) test -c -o $$exe ./app/tray && wine64 $$exe -test.run 'TestWindowsBalloon|TestFill|TestNotifyIconDataLayout' (on the display)"; \
	GOOS=windows GOARCH=amd64 CGO_ENABLED=0 $(GO) test -c -o "$$exe" ./app/tray; \
	(cd app/tray && SSOTRAY_TEST_WINE_DISPLAY=1 WINEPREFIX="$(WINE_PREFIX)" \
		WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml,winemenubuilder.exe=" \
		"$$wine" "$$exe" -test.run '^(TestWindowsBalloon|TestFill|TestNotifyIconDataLayout)$$' -test.count=1 -test.timeout=2m) || { echo "FAIL ./app/tray under Wine"; exit 1; }; \
	echo "ok   ./app/tray's notifications under Wine"; \
	echo "$(GO) test -run '^TestWine' ./cmd/ssotray (ssotray.exe under wine64)"; \
	SSOTRAY_TEST_WINE=1 SSOTRAY_WINE="$$wine" WINEPREFIX="$(WINE_PREFIX)" \
		WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml,winemenubuilder.exe=" \
		SSOTRAY_WINDOWS_BIN="$(abspath $(BIN))/$(WINDOWS_PACKAGE)" SSOTRAY_WINDOWS_VERSION="$(APP_VERSION)" \
		$(GO) test -count=1 -timeout 10m -run '^TestWine' ./cmd/ssotray; \
	echo "test-windows: $$(( $$(date +%s) - started )) s under Wine"

# The programs cmd/bench compares, built as `make build` builds ssotray.
bench: deps build
	$(GO) build -o $(BIN)/barewindow ./cmd/bench/barewindow
	CGO_ENABLED=0 $(GO) build -o $(BIN)/minimal ./cmd/bench/minimal
	$(GO) build -o $(BIN)/testbrowser ./oidc/oidctest/testbrowser
	$(GO) build -o $(BIN)/bench ./cmd/bench
	$(SESSION) $(MAKE) --no-print-directory bench-in-session

# Runs inside the desktop session (see bench): the Go benchmarks of the
# packages that have any (a package's TestMain may build binaries, so not
# every package is run for nothing), then cmd/bench's table, which exits 1
# when a target is missed and 2 when a figure could not be measured.
# BENCH_FLAGS go to cmd/bench, and then the Go benchmarks are left out:
# BENCH_FLAGS="-only startup" looks into one phase.
bench-in-session:
	@[ -n "$(BENCH_FLAGS)" ] || pkgs=$$(grep -rl --include='*_test.go' '^func Benchmark' . | xargs -r -n1 dirname | sort -u); \
	if [ -n "$$pkgs" ]; then \
		echo "$(GO) test -run='^$$' -bench=. -benchmem" $$pkgs; \
		$(GO) test -run='^$$' -bench=. -benchmem $$pkgs || exit 1; \
	fi
	$(BIN)/bench -bin $(BIN) $(BENCH_FLAGS)

clean:
	rm -rf $(BIN)
	rm -f $(WINDOWS_SYSO)
