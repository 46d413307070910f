# Freightliner: `make demo` runs a replication on local registries; `make test` runs every test.
SWIFT ?= swift
PREFIX ?= /usr/local
PYTHON ?= python3
DEBIAN_PACKAGES := libncursesw5-dev libcurl4-openssl-dev zlib1g-dev libssl-dev pkg-config \
                   docker-registry skopeo tmux ncurses-term apache2-utils openssl curl time python3 python3-pip \
                   buildah podman umoci dpkg-dev lintian ca-certificates pigz nginx strace
PYTHON_MODULES := moto:moto[server] boto3:boto3 cryptography:cryptography oras:oras prometheus_client:prometheus-client \
                  kubernetes_validate:kubernetes-validate
BIN := .build/release/freightliner
# The release binary links the Swift runtime and Foundation statically: it runs on a host with
# Debian's libraries and no Swift toolchain.
RELEASE_FLAGS := -c release --static-swift-stdlib
SOURCES := $(shell find Sources -type f ! -name '*.generated.h') Package.swift
BUILD_INFO := Sources/CBuildInfo/include/build_info.generated.h
VERSION := $(shell sed -n 's/.*current = "\([^"]*\)".*/\1/p' Sources/FreightCore/Support/FreightVersion.swift)
MAN := .build/man/freightliner.1
COMPLETIONS := .build/completions/freightliner.bash .build/completions/_freightliner .build/completions/freightliner.fish
DEB_ARCH = $(shell dpkg --print-architecture)
DEB = .build/freightliner_$(VERSION)_$(DEB_ARCH).deb
# Figures the reliability tests measure (faults injected, kill cycles, property executions).
FIGURES := $(CURDIR)/.build/figures.txt
SOAK_SECONDS ?= 600
SOAK_FAULT_SEEDS ?= 1 2 3 4 5 6 7 8
FUZZ_COUNT ?= 50000
FUZZ_SECONDS ?= 60
FUZZ_BUILD := .build-fuzz
LSAN_OPTIONS_FILE := $(CURDIR)/Tests/Fixtures/lsan.supp
# The manifests are checked against the oldest Kubernetes whose Indexed Jobs have
# backoffLimitPerIndex as a stable feature (1.33) and the newest kubernetes-validate knows.
K8S_VERSIONS := 1.33.0 1.37.0
K8S_MANIFESTS = $(filter-out deploy/kubernetes/kustomization.yaml,$(wildcard deploy/kubernetes/*.yaml))
IMAGE_LAYOUT := .build/image/freightliner
# Suites of what ships (the release binary, the .deb, the container image): nothing sanitized runs there.
RELEASE_SUITES := PackagingTests|ContainerImageTests
# In-process tests (the engine against MemoryRegistry, the dashboard, parsers) run on their own,
# before the rest: in one process with tests that block threads on registries and the binary,
# their async work waited minutes for a thread.
UNIT_SUITES := FreightCoreTests|FreightEngineTests|FreightTUITests

.PHONY: deps tree build man completions deb image k8s-validate test soak fuzz libfuzzer sanitize install demo bench clean

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

## tree: a source tree copied or moved elsewhere keeps precompiled modules that name the old
## path, and swift refuses them: drop those caches (the build then redoes what it must)
tree:
	@mkdir -p .build; \
	if [ -f .build/source-dir ] && [ "$$(cat .build/source-dir)" != "$(CURDIR)" ]; then \
	  echo "this tree was built at $$(cat .build/source-dir): dropping its precompiled module caches"; \
	  rm -rf .build*/*/*/ModuleCache; \
	fi; \
	echo "$(CURDIR)" > .build/source-dir

## build: the release binary at .build/release/freightliner, rebuilt only when a source changed;
## --version tells its commit and build date
build: $(BIN)

$(BIN): $(SOURCES) | tree
	@commit=$$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown); \
	if [ "$$commit" != unknown ] && [ -n "$$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$$commit-dirty"; fi; \
	printf '#define FREIGHTLINER_COMMIT "%s"\n#define FREIGHTLINER_BUILD_DATE "%s"\n' "$$commit" "$$(date -u +%Y-%m-%dT%H:%M:%SZ)" > $(BUILD_INFO)
	@touch Sources/CBuildInfo/include/build_info.h
	$(SWIFT) build $(RELEASE_FLAGS) --product freightliner
	@touch $@

## man: the man page, generated from the command definitions by swift-argument-parser's
## generate-manual (never written by hand)
man: $(MAN)

$(MAN): $(BIN)
	$(SWIFT) build --product generate-manual
	@mkdir -p $(@D)
	.build/debug/generate-manual $(BIN) --output-directory $(@D) --date $$(git log -1 --format=%cs 2>/dev/null || date -u +%Y-%m-%d)
	@# A blank line in a command's discussion is a paragraph break; groff wants it said so.
	sed -i 's/^$$/.Pp/' $@

## completions: bash, zsh and fish completion scripts, from the command definitions
completions: $(COMPLETIONS)

.build/completions/freightliner.bash: $(BIN)
	@mkdir -p $(@D) && $(BIN) --generate-completion-script bash | sed '1{/^#!/d}' > $@
.build/completions/_freightliner: $(BIN)
	@mkdir -p $(@D) && $(BIN) --generate-completion-script zsh > $@
.build/completions/freightliner.fish: $(BIN)
	@mkdir -p $(@D) && $(BIN) --generate-completion-script fish > $@

## deb: a Debian package (binary, themes, man page, completions, copyright, changelog) at
## .build/freightliner_VERSION_ARCH.deb; Depends: comes from the binary's libraries
## (dpkg-shlibdeps), the metadata from deploy/debian/
deb: $(DEB)

$(DEB): $(BIN) $(MAN) $(COMPLETIONS) $(wildcard themes/*.theme) $(wildcard deploy/debian/*)
	@rm -rf .build/deb .build/shlibdeps && mkdir -p .build/deb/DEBIAN .build/shlibdeps/debian
	@$(MAKE) --no-print-directory install PREFIX=/usr DESTDIR=$(CURDIR)/.build/deb
	strip --strip-unneeded --remove-section=.comment --remove-section=.note .build/deb/usr/bin/freightliner
	install -d .build/deb/usr/share/doc/freightliner
	install -m 0644 deploy/debian/copyright .build/deb/usr/share/doc/freightliner/copyright
	install -D -m 0644 deploy/debian/lintian-overrides .build/deb/usr/share/lintian/overrides/freightliner
	@date=$$(git log -1 --format=%cD 2>/dev/null || date -R); \
	printf 'freightliner (%s) unstable; urgency=medium\n\n  * Release %s; see the README.\n\n -- Freightliner developers <developers@freightliner.invalid>  %s\n' \
	  "$(VERSION)" "$(VERSION)" "$$date" | gzip -9n > .build/deb/usr/share/doc/freightliner/changelog.gz
	@chmod 0644 .build/deb/usr/share/doc/freightliner/changelog.gz
	@printf 'Source: freightliner\n\nPackage: freightliner\nArchitecture: any\n' > .build/shlibdeps/debian/control
	@depends=$$(cd .build/shlibdeps && dpkg-shlibdeps -O $(CURDIR)/.build/deb/usr/bin/freightliner 2>/dev/null | sed -n 's/^shlibs:Depends=//p'); \
	test -n "$$depends" || { echo "dpkg-shlibdeps found no dependencies"; exit 1; }; \
	size=$$(du -sk --exclude=DEBIAN .build/deb | cut -f1); \
	sed -e "s/@VERSION@/$(VERSION)/" -e "s/@ARCH@/$(DEB_ARCH)/" -e "s/@DEPENDS@/$$depends/" -e "s/@SIZE@/$$size/" \
	  deploy/debian/control.in > .build/deb/DEBIAN/control
	dpkg-deb --root-owner-group -Zxz --build .build/deb $@

## image: a container image FROM scratch (buildah), as an OCI layout at .build/image/freightliner
## tagged VERSION and latest: the release binary, the Debian libraries it loads, the CA bundle and
## the themes, nothing else (deploy/image/build.sh; push it with
## `freightliner copy oci:.build/image/freightliner:VERSION REGISTRY/freightliner:VERSION`)
image: $(BIN)
	rm -rf $(IMAGE_LAYOUT)
	sh deploy/image/build.sh $(BIN) $(IMAGE_LAYOUT)

## k8s-validate: the Kubernetes manifests under deploy/kubernetes/ (all but kustomization.yaml)
## against the API schemas of each of K8S_VERSIONS, strictly (an unknown field fails), offline
k8s-validate:
	@for version in $(K8S_VERSIONS); do \
	  $(PYTHON) -m kubernetes_validate --strict --quiet --kubernetes-version $$version $(K8S_MANIFESTS) || exit 1; \
	done
	@echo "k8s-validate: $(words $(K8S_MANIFESTS)) manifests valid for Kubernetes $(K8S_VERSIONS)"

## test: every test, against real registries, skopeo, moto and tmux (they start their own servers),
## then the whole suite again under AddressSanitizer and ThreadSanitizer (`make sanitize`)
test: deps tree
	@# Every module a target imports is declared in Package.swift (else a change to it leaves
	@# the importer's objects stale).
	$(PYTHON) .ci/check_imports.py
	@# Every test runs under a time limit (else a hang stalls CI instead of failing a test).
	$(PYTHON) .ci/check_time_limits.py --self-test
	$(PYTHON) .ci/check_time_limits.py
	$(MAKE) k8s-validate
	$(MAKE) deb
	$(SWIFT) build --build-tests
	@mkdir -p .build && rm -f $(FIGURES)
	@# The packaging tests rebuild a release binary in a copied tree, which takes both cores for a
	@# minute or two: they run on their own, before the rest, with the container image's (which
	@# packs the release binary too).
	FREIGHTLINER_FIGURES=$(FIGURES) FREIGHTLINER_BIN=$(CURDIR)/.build/debug/freightliner \
	  FREIGHTLINER_RELEASE_BIN=$(CURDIR)/$(BIN) FREIGHTLINER_DEB=$(CURDIR)/$(DEB) $(SWIFT) test --skip-build --filter '$(RELEASE_SUITES)'
	FREIGHTLINER_FIGURES=$(FIGURES) $(SWIFT) test --skip-build --filter '$(UNIT_SUITES)'
	FREIGHTLINER_FIGURES=$(FIGURES) FREIGHTLINER_BIN=$(CURDIR)/.build/debug/freightliner $(SWIFT) test --skip-build --skip '$(RELEASE_SUITES)|$(UNIT_SUITES)'
	$(MAKE) libfuzzer
	@echo "reliability figures:" && sort $(FIGURES)
	$(MAKE) sanitize

## soak: SIGKILL/resume cycles for SOAK_SECONDS (then the round in progress ends), and the
## fault-injection syncs once per seed in SOAK_FAULT_SEEDS
soak: deps tree
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
fuzz: tree
	$(SWIFT) build --build-tests
	@mkdir -p .build && rm -f $(FIGURES)
	FREIGHTLINER_FIGURES=$(FIGURES) FREIGHTLINER_PROPERTY_COUNT=$(FUZZ_COUNT) $(SWIFT) test --skip-build --filter PropertyTests
	$(MAKE) libfuzzer FUZZ_SECONDS=600
	@echo "fuzz figures:" && sort $(FIGURES)

## libfuzzer: Fuzz/ParserFuzzer.swift over the parser modules built with coverage and ASan,
## from Fuzz/seeds and the corpus it grew before, for FUZZ_SECONDS; executions to FIGURES
## (linked from the objects of today's sources only: a file renamed since the last build leaves
## its old object behind in the build directory)
FUZZ_MODULES = FreightCore FreightHTTP FreightCloud FreightRegistry FreightEngine FreightTUI
libfuzzer:
	$(SWIFT) build --scratch-path $(FUZZ_BUILD) --target FreightTUI -Xswiftc -sanitize=fuzzer,address
	swiftc -sanitize=fuzzer,address -parse-as-library -g Fuzz/ParserFuzzer.swift -I $(FUZZ_BUILD)/debug/Modules \
	  $(foreach shim,CCrypto CCurl CZlib CCurses,-Xcc -fmodule-map-file=Sources/$(shim)/module.modulemap) \
	  $(foreach module,$(FUZZ_MODULES),$(foreach source,$(shell find Sources/$(module) -name '*.swift'),$(FUZZ_BUILD)/debug/$(module).build/$(notdir $(source)).o)) \
	  -lcurl -lcrypto -lz -lncursesw -o $(FUZZ_BUILD)/parser-fuzzer 2> $(FUZZ_BUILD)/link.log \
	  || { grep -v 'ld.gold: warning' $(FUZZ_BUILD)/link.log; exit 1; }
	@mkdir -p $(FUZZ_BUILD)/corpus .build
	SWIFT_BACKTRACE=enable=no LSAN_OPTIONS=suppressions=$(LSAN_OPTIONS_FILE) $(FUZZ_BUILD)/parser-fuzzer -max_total_time=$(FUZZ_SECONDS) \
	  -timeout=10 -print_final_stats=1 -artifact_prefix=$(FUZZ_BUILD)/ $(FUZZ_BUILD)/corpus Fuzz/seeds 2> $(FUZZ_BUILD)/fuzz.log \
	  || { tail -60 $(FUZZ_BUILD)/fuzz.log; exit 1; }
	@grep -E '^stat::(number_of_executed_units|new_units_added)' $(FUZZ_BUILD)/fuzz.log \
	  | sed 's/^stat::\([a-z_]*\): *\(.*\)/figure: libfuzzer.\1 \2/' | tee -a $(FIGURES)

## sanitize: the whole suite under AddressSanitizer, then ThreadSanitizer, each in its own build
## directory; the freightliner binary the CLI tests run is the sanitized one (the packaging
## tests, which run the release binary and the .deb, are left out: nothing sanitized runs there)
sanitize: deps tree
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	LSAN_OPTIONS=suppressions=$(LSAN_OPTIONS_FILE):print_suppressions=0 \
	  $(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan --filter '$(UNIT_SUITES)'
	LSAN_OPTIONS=suppressions=$(LSAN_OPTIONS_FILE):print_suppressions=0 \
	  $(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan --skip '$(RELEASE_SUITES)|$(UNIT_SUITES)'
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	$(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan --filter '$(UNIT_SUITES)'
	$(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan --skip '$(RELEASE_SUITES)|$(UNIT_SUITES)'

## install: the binary, themes, man page and completions under PREFIX (DESTDIR for staging);
## what `make build` made is installed as it is when it is current
install: $(BIN) $(MAN) $(COMPLETIONS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/freightliner/themes $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/bash-completion/completions $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions \
	  $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/freightliner
	install -m 0644 themes/*.theme $(DESTDIR)$(PREFIX)/share/freightliner/themes/
	gzip -9n < $(MAN) > $(DESTDIR)$(PREFIX)/share/man/man1/freightliner.1.gz && chmod 0644 $(DESTDIR)$(PREFIX)/share/man/man1/freightliner.1.gz
	install -m 0644 .build/completions/freightliner.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/freightliner
	install -m 0644 .build/completions/_freightliner $(DESTDIR)$(PREFIX)/share/zsh/vendor-completions/_freightliner
	install -m 0644 .build/completions/freightliner.fish $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d/freightliner.fish

## demo: registries on loopback, sample images and a replication slow enough (about 30 s) to watch
## in the live dashboard: the source behind a throttling proxy, uncompressed layers recompressed
## (--compress gzip), the destination's credentials in a secret of a local moto_server;
## DEMO_FAST=1 is the quick run (open registries, no throttle, no moto), DEMO_UI=plain|json
demo: deps build
	@sh Tests/Fixtures/demo.sh $(BIN)

## bench: freightliner vs skopeo vs the floor on a generated corpus (BENCH_SCALE, BENCH_REPEAT),
## and gzip of one layer on one core and on all against pigz and gzip (BENCH_ONLY=gzip: that
## alone, into results/gzip.json); then the WAN profile: every registry behind nginx (HTTPS,
## HTTP/2, a bench CA), token auth and an emulated link (BENCH_RTT_MS, default 40; BENCH_BANDWIDTH,
## default 40MB a second each way), each tool against the link limit and skopeo.
## BENCH_PROFILE=loopback|wan|both (default both). Prints tables and writes
## Tests/Bench/results/latest.json. Never part of `make test`.
bench: deps build
	$(PYTHON) Tests/Bench/bench.py --bin $(BIN)

clean:
	rm -rf .build .build-asan .build-tsan .build-fuzz
	rm -f $(BUILD_INFO)
