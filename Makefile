# Freightliner: `make demo` runs a replication on local registries; `make test` runs every test.
SWIFT ?= swift
PREFIX ?= /usr/local
PYTHON ?= python3
DEBIAN_PACKAGES := libncursesw5-dev libcurl4-openssl-dev zlib1g-dev libssl-dev pkg-config \
                   docker-registry skopeo tmux ncurses-term apache2-utils openssl curl time python3 python3-pip \
                   buildah podman umoci
PYTHON_MODULES := moto:moto[server] boto3:boto3 cryptography:cryptography oras:oras
BIN := .build/release/freightliner
# Figures the reliability tests measure (faults injected, kill cycles, property executions).
FIGURES := $(CURDIR)/.build/figures.txt
SOAK_SECONDS ?= 600
SOAK_FAULT_SEEDS ?= 1 2 3 4 5 6 7 8
FUZZ_COUNT ?= 50000
FUZZ_SECONDS ?= 60
FUZZ_BUILD := .build-fuzz
LSAN_OPTIONS_FILE := $(CURDIR)/Tests/Fixtures/lsan.supp

.PHONY: deps build test soak fuzz libfuzzer sanitize install demo bench clean

## deps: install the Debian packages and Python modules the build, tests and demo need (a Python
## that Debian marks externally managed gets them with --break-system-packages: test machines only)
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
	  $(PYTHON) -c "import $$module" 2>/dev/null || $(PYTHON) -m pip install -q "$$package" 2>/dev/null \
	    || $(PYTHON) -m pip install -q --break-system-packages "$$package"; \
	done

## build: the release binary at .build/release/freightliner
build:
	$(SWIFT) build -c release --product freightliner

## test: every test, against real registries, skopeo, moto and tmux (they start their own servers),
## then the whole suite again under AddressSanitizer and ThreadSanitizer (`make sanitize`)
test: deps
	$(SWIFT) build --build-tests
	@mkdir -p .build && rm -f $(FIGURES)
	FREIGHTLINER_FIGURES=$(FIGURES) FREIGHTLINER_BIN=$(CURDIR)/.build/debug/freightliner $(SWIFT) test --skip-build
	$(MAKE) libfuzzer
	@echo "reliability figures:" && sort $(FIGURES)
	$(MAKE) sanitize

## soak: SIGKILL/resume cycles for SOAK_SECONDS (then the round in progress ends), and the
## fault-injection syncs once per seed in SOAK_FAULT_SEEDS
soak: deps
	$(SWIFT) build --build-tests
	@mkdir -p .build && rm -f $(FIGURES)
	FREIGHTLINER_FIGURES=$(FIGURES) FREIGHTLINER_SOAK_SECONDS=$(SOAK_SECONDS) \
	  $(SWIFT) test --skip-build --filter 'KillSoakTests/killSoak'
	for seed in $(SOAK_FAULT_SEEDS); do \
	  FREIGHTLINER_FIGURES=$(FIGURES) FREIGHTLINER_FAULT_SEED=$$seed $(SWIFT) test --skip-build --filter FaultInjectionTests || exit 1; \
	done
	@echo "soak figures:" && sort $(FIGURES)

## fuzz: every parser property with FUZZ_COUNT generated and mutated inputs each, then the
## coverage-guided libFuzzer harness for FUZZ_SECONDS (600 here, 60 in make test)
fuzz:
	$(SWIFT) build --build-tests
	@mkdir -p .build && rm -f $(FIGURES)
	FREIGHTLINER_FIGURES=$(FIGURES) FREIGHTLINER_PROPERTY_COUNT=$(FUZZ_COUNT) $(SWIFT) test --skip-build --filter PropertyTests
	$(MAKE) libfuzzer FUZZ_SECONDS=600
	@echo "fuzz figures:" && sort $(FIGURES)

## libfuzzer: Fuzz/ParserFuzzer.swift over the parser modules built with coverage and ASan,
## from Fuzz/seeds and the corpus it grew before, for FUZZ_SECONDS; executions to FIGURES
libfuzzer:
	$(SWIFT) build --scratch-path $(FUZZ_BUILD) --target FreightTUI -Xswiftc -sanitize=fuzzer,address
	swiftc -sanitize=fuzzer,address -parse-as-library -g Fuzz/ParserFuzzer.swift -I $(FUZZ_BUILD)/debug/Modules \
	  $(foreach shim,CCrypto CCurl CZlib CCurses,-Xcc -fmodule-map-file=Sources/$(shim)/module.modulemap) \
	  $(foreach module,FreightCore FreightHTTP FreightCloud FreightRegistry FreightEngine FreightTUI,$(FUZZ_BUILD)/debug/$(module).build/*.o) \
	  -lcurl -lcrypto -lz -lncursesw -o $(FUZZ_BUILD)/parser-fuzzer 2> $(FUZZ_BUILD)/link.log \
	  || { grep -v 'ld.gold: warning' $(FUZZ_BUILD)/link.log; exit 1; }
	@mkdir -p $(FUZZ_BUILD)/corpus .build
	SWIFT_BACKTRACE=enable=no LSAN_OPTIONS=suppressions=$(LSAN_OPTIONS_FILE) $(FUZZ_BUILD)/parser-fuzzer -max_total_time=$(FUZZ_SECONDS) \
	  -timeout=10 -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/ $(FUZZ_BUILD)/corpus Fuzz/seeds 2> $(FUZZ_BUILD)/fuzz.log \
	  || { tail -60 $(FUZZ_BUILD)/fuzz.log; exit 1; }
	@grep -E '^stat::(number_of_executed_units|new_units_added)' $(FUZZ_BUILD)/fuzz.log \
	  | sed 's/^stat::\([a-z_]*\): *\(.*\)/figure: libfuzzer.\1 \2/' | tee -a $(FIGURES)

## sanitize: the whole suite under AddressSanitizer, then ThreadSanitizer, each in its own build
## directory; the freightliner binary the CLI tests run is the sanitized one
sanitize: deps
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	LSAN_OPTIONS=suppressions=$(LSAN_OPTIONS_FILE):print_suppressions=0 \
	  $(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	$(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan

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
	rm -rf .build .build-asan .build-tsan .build-fuzz
