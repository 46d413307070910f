# Freightliner: `make demo` runs a replication on local registries; `make test` runs every test.
SWIFT ?= swift
PREFIX ?= /usr/local
PYTHON ?= python3
DEBIAN_PACKAGES := libncursesw5-dev libcurl4-openssl-dev zlib1g-dev libssl-dev pkg-config \
                   docker-registry skopeo tmux apache2-utils openssl curl time
PYTHON_MODULES := moto:moto[server] boto3:boto3 cryptography:cryptography
BIN := .build/release/freightliner

.PHONY: deps build test install demo bench clean

## deps: install the Debian packages and Python modules the build, tests and demo need
deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "missing Debian packages:$$missing"; echo "run: sudo apt-get install -y$$missing"; exit 1; \
	  fi; \
	fi
	@for entry in $(PYTHON_MODULES); do \
	  module=$${entry%%:*}; package=$${entry#*:}; \
	  $(PYTHON) -c "import $$module" 2>/dev/null || $(PYTHON) -m pip install -q "$$package"; \
	done

## build: the release binary at .build/release/freightliner
build:
	$(SWIFT) build -c release --product freightliner

## test: every test, against real registries, skopeo, moto and tmux (they start their own servers)
test: deps
	$(SWIFT) build --build-tests
	FREIGHTLINER_BIN=$(CURDIR)/.build/debug/freightliner $(SWIFT) test --skip-build

## install: the binary and themes under PREFIX
install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/freightliner/themes
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/freightliner
	install -m 0644 themes/*.theme $(DESTDIR)$(PREFIX)/share/freightliner/themes/

## demo: two registries on loopback, sample images, and a live replication between them
demo: deps build
	@sh Tests/Fixtures/demo.sh $(BIN)

## bench: freightliner vs skopeo vs the floor on a generated corpus (BENCH_SCALE, BENCH_REPEAT);
## prints a table and writes Tests/Bench/results/latest.json. Never part of `make test`.
bench: deps build
	$(PYTHON) Tests/Bench/bench.py --bin $(BIN)

clean:
	rm -rf .build
