# DevPulse ETL.  `make help` lists the targets.
#
# Everything but main() goes into one static library that the binary, the
# tests and the benchmarks link.  Warnings are part of ALL_CFLAGS so that a
# user's CFLAGS can add to them but not remove them; WERROR=1 (CI) makes them
# fatal.  Header dependencies come from -MMD -MP.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
DESTDIR ?=
BUILD   ?= build
CC      ?= cc
OPT     ?= -O2 -g
PKG_CONFIG ?= pkg-config

WARN = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
       -Wpointer-arith -Wformat=2 -Wvla
ifeq ($(CI),true)
WERROR ?= 1
endif
ifeq ($(WERROR),1)
WARN += -Werror
endif

DEB_PKGS = build-essential pkg-config libpq-dev libjansson-dev libcriterion-dev \
           postgresql postgresql-contrib pgbouncer systemd

PKGS = libpq jansson
ALL_CPPFLAGS = -Iinclude -I$(BUILD) -D_GNU_SOURCE $(shell $(PKG_CONFIG) --cflags $(PKGS)) $(CPPFLAGS)
ALL_CFLAGS   = -std=c11 $(OPT) $(WARN) -fopenmp -MMD -MP $(CFLAGS)
ALL_LDFLAGS  = $(OPT) -fopenmp $(LDFLAGS)
LIBS         = $(shell $(PKG_CONFIG) --libs $(PKGS)) -lm

LIB_SRC   = $(filter-out src/cli.c,$(wildcard src/*.c))
LIB_OBJ   = $(LIB_SRC:%.c=$(BUILD)/%.o) $(BUILD)/migrations.o
BIN       = $(BUILD)/devpulse-etl
LIB       = $(BUILD)/libdevpulse.a
TEST_SRC  = $(wildcard tests/*.c)
TEST_OBJ  = $(TEST_SRC:%.c=$(BUILD)/%.o)
TEST_BIN  = $(BUILD)/devpulse-tests
UNIT_SRC  = $(wildcard tests/unit/*.c)
UNIT_OBJ  = $(UNIT_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN  = $(BUILD)/devpulse-unit
BENCH_SRC = $(wildcard bench/*.c)
BENCH_BIN = $(BENCH_SRC:bench/%.c=$(BUILD)/bench/%)
MIGRATIONS = $(sort $(wildcard sql/[0-9]*.sql))

.PHONY: all help deps test test-unit asan tsan bench demo install clean

all: $(BIN) $(BENCH_BIN) devpulse-etl

help:
	@echo "make deps     install the Debian packages the build needs (when missing)"
	@echo "make          build $(BIN) (also linked as ./devpulse-etl) and bench programs"
	@echo "make demo     private PostgreSQL, sample data, nightly run, results"
	@echo "make test     all tests: the unit tests, then the rest against a throwaway PostgreSQL"
	@echo "make test-unit  the unit tests alone: no server, a few seconds"
	@echo "make asan     the tests under AddressSanitizer + UBSan"
	@echo "make tsan     the OpenMP kernel under ThreadSanitizer (clang + libomp)"
	@echo "make bench    benchmarks (bench/run \$$(BENCH_ARGS)), writes bench/RESULTS.md"
	@echo "make install  install the binary into \$$(DESTDIR)\$$(BINDIR)"

deps:
	@tests/install-deps $(DEB_PKGS)

devpulse-etl: $(BIN)
	ln -sf $(BIN) $@

$(BIN): $(BUILD)/src/cli.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

$(LIB): $(LIB_OBJ)
	$(AR) rcs $@ $^

# The migrations are compiled into the binary, so an installed devpulse-etl
# needs no sql/ directory next to it.
$(BUILD)/migrations.c: $(MIGRATIONS) tests/embed-sql
	@mkdir -p $(@D)
	tests/embed-sql $(MIGRATIONS) > $@

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/migrations.o: $(BUILD)/migrations.c
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(TEST_BIN): $(TEST_OBJ) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(shell $(PKG_CONFIG) --libs criterion)

# The unit tests (tests/unit/): the core from hand-built inputs, no server.
$(UNIT_BIN): $(UNIT_OBJ) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS) $(shell $(PKG_CONFIG) --libs criterion)

$(BUILD)/bench/%: $(BUILD)/bench/%.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# The test command of the README: installs what is missing, builds, runs the
# unit tests, then every other test against a throwaway PostgreSQL started by
# tests/with-pg.
test: deps
	$(MAKE) --no-print-directory WERROR=$(WERROR) $(UNIT_BIN) $(TEST_BIN) $(BIN) $(BENCH_BIN)
	$(UNIT_BIN)
	tests/run-tests $(TEST_BIN) $(BIN)

test-unit: deps
	$(MAKE) --no-print-directory WERROR=$(WERROR) $(UNIT_BIN)
	$(UNIT_BIN)

asan: deps
	$(MAKE) --no-print-directory BUILD=build-asan \
	    OPT="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined" \
	    build-asan/devpulse-unit build-asan/devpulse-tests build-asan/devpulse-etl build-asan/bench/gen
	ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp build-asan/devpulse-unit
	ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp tests/run-tests build-asan/devpulse-tests build-asan/devpulse-etl

tsan: deps
	tests/run-tsan

# BENCH_ARGS: options for bench/run, e.g. BENCH_ARGS='--users 500 --days 120'.
bench: deps all
	bench/run $(BENCH_ARGS)

demo: deps
	$(MAKE) --no-print-directory all
	tests/demo $(BIN)

install: $(BIN)
	install -d $(DESTDIR)$(BINDIR)
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/devpulse-etl

clean:
	rm -rf build build-asan build-tsan devpulse-etl

-include $(wildcard $(BUILD)/src/*.d $(BUILD)/tests/*.d $(BUILD)/tests/unit/*.d $(BUILD)/bench/*.d)
