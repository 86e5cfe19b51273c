# mqsim - one flat Makefile (Lua style: explicit flags in named blocks).
#
#   make            install missing packages, build ./mqsim
#   make demo       build, then run a conversion with a budget and the report
#   make test       build and run every test; ends with "N passed, N failed"
#   make asan       the whole suite under AddressSanitizer + UBSan
#   make bench      engine and end-to-end benchmarks and the issue-19 targets, figures printed
#   make bench-day  the same with the 24-hour row (minutes long)
#   make pgo        ./mqsim built with profile-guided optimisation (opt-in)
#   make validate   closed-form queueing cases -> docs/VALIDATION.md
#   make install    mqsim, its man page and bash completion under PREFIX
#   make conformance the real Java / pika / Go clients vs their profiles -> docs/VALIDATION.md
#
# Objects go to $(BUILD) (build/ by default, build/asan for sanitizers), so the
# two builds never mix. Sources are picked up by folder: sim/ (engine),
# models/ (broker and client models; models/change/, io/change/ and
# load/change/ hold the change types), io/ (scenario in, results out),
# cli/ (the mqsim commands). tests/test_*.c are cmocka groups, one binary each.

CC      ?= cc
BUILD   ?= build
OPT     ?= -O2 -g
# Link-time optimisation: the hot paths cross module boundaries (sim_now,
# the random streams, statistics, the event queue), and inlining them across
# files took the end-to-end benchmark from 2.92 to 2.40 s (scale 0.1). The
# sanitizer build turns it off.
LTO     ?= -flto=auto
SAN     ?=
CSTD    = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
WARN    = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes
# OpenMPI (multi-host sweeps): flags from pkg-config, read when a recipe
# runs, i.e. after scripts/deps.sh has installed it.
MPI_CFLAGS = $(shell pkg-config --cflags ompi-c 2>/dev/null)
MPI_LIBS   = $(shell pkg-config --libs ompi-c 2>/dev/null)
CFLAGS  = $(CSTD) $(WARN) $(OPT) $(LTO) $(SAN) -I. $(MPI_CFLAGS) -MMD -MP
LDFLAGS = $(OPT) $(LTO) $(SAN)
CORE_LIBS = -lcyaml -lyaml -ljansson -lcsv -lplot -lpng -lgsl -lgslcblas $(MPI_LIBS) -lpthread -lm
LIBS    = $(CORE_LIBS) -lrabbitmq -lcurl
TESTLIBS = -lcmocka

# Two executables from one main.c: mqsim, and mqsim-broker, the same with the
# real-broker tester (load/ and the load and capture commands) and its client
# libraries, whose thirty-odd shared libraries would cost every run some 6 ms
# to load. mqsim runs `load` and `capture` by exec'ing mqsim-broker
# (cli/cli_broker_exec.c). Tests link everything.
BROKER_SRC = $(wildcard load/*.c) $(wildcard load/change/*.c) cli/cmd_load.c cli/cmd_capture.c
CORE_SRC = $(wildcard sim/*.c) $(wildcard models/*.c) $(wildcard models/change/*.c) $(wildcard io/*.c) \
           $(wildcard io/change/*.c) \
           $(filter-out cli/main.c cli/cli_broker_exec.c $(BROKER_SRC),$(wildcard cli/*.c))
CORE_OBJ = $(CORE_SRC:%.c=$(BUILD)/%.o)
LIB_OBJ  = $(CORE_OBJ) $(BROKER_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ = $(BUILD)/cli/main.o
TEST_SRC = $(wildcard tests/test_*.c)
TEST_BIN = $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
DEPS_OK  = build/.deps-ok

# libFuzzer harnesses (tests/fuzz/fuzz_*.c): the whole library rebuilt with
# clang, ASan and UBSan into build/fuzz. `make fuzz` runs each target for
# FUZZ_SECONDS (30 min) on a copy of its committed seed corpus
# (tests/corpus/fuzz/<target>/), growing build/fuzz/corpus/<target>/;
# `make test` runs each for 15 s (tests/test_fuzz.c).
FUZZ_TARGETS = scenario set summary budget
FUZZ_SECONDS ?= 1800
FUZZ_BUILD   = build/fuzz
FUZZ_BIN     = $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

.PHONY: all deps demo test asan bench bench-day pgo validate clean baselines drivers conformance install \
        fuzz fuzz-bin
.SECONDARY:
all: mqsim drivers

# The real-library drivers of `mqsim load --clients real` (load/clients/):
# always under build/ (lt_real.c looks there, whatever $(BUILD) is). The Go
# one builds against Debian's amqp091-go source tree, without modules, with
# its build cache under build/ (so CI as root never writes to a HOME).
JAVA_DRIVER = build/java/MqsimClientJava.class
GO_DRIVER   = build/mqsim-client-go
drivers: $(JAVA_DRIVER) $(GO_DRIVER)

$(JAVA_DRIVER): load/clients/java/MqsimClientJava.java | $(DEPS_OK)
	@mkdir -p build/java
	javac -Xlint:-options -d build/java -cp /usr/share/java/amqp-client.jar $<

$(GO_DRIVER): load/clients/go/main.go | $(DEPS_OK)
	@mkdir -p build/gocache
	cd load/clients/go && GOCACHE=$(CURDIR)/build/gocache GO111MODULE=off \
	    GOPATH=/usr/share/gocode go build -o $(CURDIR)/$@.tmp . && mv $(CURDIR)/$@.tmp $(CURDIR)/$@

$(DEPS_OK): scripts/deps.sh
	@mkdir -p build
	sh scripts/deps.sh
	@touch $@

deps: $(DEPS_OK)

mqsim: $(BUILD)/mqsim $(BUILD)/mqsim-broker
	@if [ "$(BUILD)" = build ]; then cp $(BUILD)/mqsim mqsim; cp $(BUILD)/mqsim-broker mqsim-broker; fi

$(BUILD)/mqsim: $(MAIN_OBJ) $(CORE_OBJ) $(BUILD)/cli/cli_broker_exec.o
	$(CC) $(LDFLAGS) -o $@ $^ $(CORE_LIBS)

$(BUILD)/mqsim-broker: $(MAIN_OBJ) $(LIB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BUILD)/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIB_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(TESTLIBS) $(LIBS)

# A conversion with a budget, 10 replications and the report: the verdict and
# the report's path come last. A failing budget (exit 3) is the demo's point,
# not an error.
demo: mqsim
	@./mqsim run scenarios/demo/conversion.yaml --replications 10 --report \
	    --out results/demo-conversion; r=$$?; [ $$r -eq 0 ] || [ $$r -eq 3 ] || exit $$r; \
	    echo "open $$(pwd)/results/demo-conversion/report.html in a browser"

test: $(BUILD)/mqsim $(BUILD)/mqsim-broker $(TEST_BIN) drivers fuzz-bin
	@bash tests/run.sh $(BUILD)

# The fuzz binaries need their own objects (clang, -fsanitize=fuzzer-no-link);
# a recursive make gives them BUILD=build/fuzz like `make asan` does. clang's
# -Wfor-loop-analysis flags an argument loop that steps over option values
# on purpose (cmd_bench.c); gcc has no such warning.
fuzz-bin: | $(DEPS_OK)
	@if command -v clang >/dev/null; then \
	    $(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang LTO= OPT="-O1 -g" \
	        SAN="-fsanitize=fuzzer-no-link,address,undefined -Wno-for-loop-analysis" \
	        $(FUZZ_BIN); \
	else echo "fuzz: no clang, fuzz targets not built"; fi

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(LIB_OBJ)
	$(CC) $(LDFLAGS) -fsanitize=fuzzer -o $@ $^ $(LIBS)

fuzz: fuzz-bin
	@for t in $(FUZZ_TARGETS); do \
	    mkdir -p $(FUZZ_BUILD)/corpus/$$t $(FUZZ_BUILD)/crashes/$$t; \
	    echo "fuzz $$t: $(FUZZ_SECONDS) s"; \
	    $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        -artifact_prefix=$(FUZZ_BUILD)/crashes/$$t/ \
	        $(FUZZ_BUILD)/corpus/$$t tests/corpus/fuzz/$$t 2>&1 | \
	        grep -E '^(#[0-9]+ *DONE|stat::|==[0-9]+==ERROR|SUMMARY)' ; \
	done

asan:
	$(MAKE) BUILD=build/asan OPT="-O1 -g -fno-omit-frame-pointer" LTO= \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" test

bench: mqsim
	./mqsim bench hold --pending 1000 --events 20000000
	./mqsim bench hold --pending 1000000 --events 20000000
	./mqsim bench cancel --pending 1000000
	@echo "end-to-end scaling (1x, 10x, 100x the message count; target at 100x: <= 4 s, < 1 GiB):"
	./mqsim bench e2e --curve
	@echo "metric tables (16 000 client groups; a 40 000-row compare):"
	@sh scripts/bench-tables.sh ./mqsim $(BUILD)
	@sh scripts/bench-targets.sh ./mqsim $(BUILD)

bench-day: mqsim
	@BENCH_DAY=1 sh scripts/bench-targets.sh ./mqsim $(BUILD)

# Profile-guided ./mqsim (opt-in; objects in build/pgo): an instrumented
# build runs the end-to-end benchmark at scale 0.05 and the M/M/1 bench
# scenario, then everything is compiled again with the profile. Same
# floating-point code (no fast-math), so the same output bytes; about 10 %
# fewer instructions end to end (docs/MODEL.md, "Speed"). Twice the build
# time, so the default build does not do it.
PGO_BUILD = build/pgo
pgo:
	rm -rf $(PGO_BUILD)
	$(MAKE) --no-print-directory BUILD=$(PGO_BUILD) \
	    OPT="$(OPT) -fprofile-generate -fprofile-update=single" $(PGO_BUILD)/mqsim
	$(PGO_BUILD)/mqsim bench e2e --scale 0.05 > /dev/null
	$(PGO_BUILD)/mqsim run scenarios/bench/mm1-1e6.yaml --out $(PGO_BUILD)/train-mm1 > /dev/null
	find $(PGO_BUILD) -name '*.o' -delete
	rm -f $(PGO_BUILD)/mqsim
	$(MAKE) --no-print-directory BUILD=$(PGO_BUILD) \
	    OPT="$(OPT) -fprofile-use -fprofile-correction" $(PGO_BUILD)/mqsim
	cp $(PGO_BUILD)/mqsim mqsim
	$(MAKE) --no-print-directory build/mqsim-broker
	cp build/mqsim-broker mqsim-broker

validate: mqsim
	./mqsim validate

# Regenerate results/baselines/<name>/ (summary.csv, summary.json and the
# scenario path) for every bundled scenario; tests/test_compare.c compares a
# fresh run of each against it. Commit the result when a change is deliberate.
baselines: $(BUILD)/mqsim
	@set -e; for f in $$(find scenarios -name '*.yaml' -not -path 'scenarios/invalid/*' -not -path 'scenarios/bench/*' | sort); do \
	    n=$$(echo $${f#scenarios/} | sed 's|\.yaml$$||; s|/|-|g'); d=results/baselines/$$n; \
	    rm -rf $$d; r=0; $(BUILD)/mqsim run $$f --out $$d >/dev/null || r=$$?; \
	    if [ $$r -ne 0 ] && [ $$r -ne 3 ]; then echo "baselines: $$f failed ($$r)"; exit 1; fi; \
	    rm -f $$d/*.png $$d/timeseries.csv; echo $$f > $$d/scenario.txt; echo "baseline $$d"; \
	done

# PREFIX=/usr/local by default; DESTDIR for packaging.
PREFIX ?= /usr/local
install: mqsim
	install -D -m 755 mqsim $(DESTDIR)$(PREFIX)/bin/mqsim
	install -D -m 755 mqsim-broker $(DESTDIR)$(PREFIX)/bin/mqsim-broker
	install -D -m 644 docs/mqsim.1 $(DESTDIR)$(PREFIX)/share/man/man1/mqsim.1
	install -D -m 644 scripts/mqsim.bash-completion \
	    $(DESTDIR)$(PREFIX)/share/bash-completion/completions/mqsim

# The real client libraries against their profiles (scripts/conformance.sh):
# every library x disruption, 3 real runs per cell (1 for the long ones),
# each beside `mqsim run --replications 5`; rewrites the table in
# docs/VALIDATION.md. About 2 hours, one private broker (two for the
# conversion cells) at a time.
conformance: $(BUILD)/mqsim $(BUILD)/mqsim-broker drivers
	MQSIM=$(BUILD)/mqsim sh scripts/conformance.sh run 3 \
	    java-close pika-close go-close java-silence8 pika-silence8 go-silence8 \
	    java-restart pika-restart go-restart java-conv pika-conv go-conv \
	    java-refuse pika-refuse go-refuse
	MQSIM=$(BUILD)/mqsim sh scripts/conformance.sh run 1 \
	    java-silence30 pika-silence30 go-silence30 java-silencelong pika-silencelong \
	    go-silencelong java-outage pika-outage go-outage
	MQSIM=$(BUILD)/mqsim sh scripts/conformance.sh docs

clean:
	rm -rf build mqsim mqsim-broker

-include $(shell find build -name '*.d' 2>/dev/null)
