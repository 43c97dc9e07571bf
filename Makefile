# DevPulse ETL.  `make help` lists the targets.
#
# Everything but main() goes into one static library that the binary, the
# tests and the benchmarks link.  Warnings are part of ALL_CFLAGS so that a
# user's CFLAGS can add to them but not remove them; WERROR=1 (CI) makes them
# fatal.  Header dependencies come from -MMD -MP.

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DOCDIR  ?= $(PREFIX)/share/doc/devpulse-etl
UNITDIR ?= $(PREFIX)/lib/systemd/system
DESTDIR ?=
VERSION  = 0.2.0
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
           postgresql postgresql-contrib pgbouncer systemd prometheus man-db \
           groff-base bsdutils

PKGS = libpq jansson
ALL_CPPFLAGS = -Iinclude -I$(BUILD) -D_GNU_SOURCE $(shell $(PKG_CONFIG) --cflags $(PKGS)) $(CPPFLAGS)
ALL_CFLAGS   = -std=c11 $(OPT) $(WARN) -fopenmp -MMD -MP $(CFLAGS)
ALL_LDFLAGS  = $(OPT) -fopenmp $(LDFLAGS)
LIBS         = $(shell $(PKG_CONFIG) --libs $(PKGS)) -lm

CLI_SRC   = $(wildcard src/cli*.c)
LIB_SRC   = $(filter-out $(CLI_SRC),$(wildcard src/*.c))
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

.PHONY: all help deps test test-unit asan tsan bench demo install uninstall clean FORCE

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
	@echo "make install  binary, man page, systemd units, examples into \$$(DESTDIR)\$$(PREFIX)"
	@echo "make uninstall  remove exactly what make install put there"

deps:
	@tests/install-deps $(DEB_PKGS)

devpulse-etl: $(BIN)
	ln -sf $(BIN) $@

$(BIN): $(CLI_SRC:%.c=$(BUILD)/%.o) $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LIBS)

# Where the build came from, for --version and the ledger: `git describe`
# when this directory is a git checkout of its own, else BUILT_FROM (set it
# when packaging from a tarball).  Rewritten only when it changes, so that
# only cli.c is rebuilt then.
BUILT_FROM ?= not built from git
$(BUILD)/version.h: FORCE
	@mkdir -p $(@D)
	@if [ "$$(git rev-parse --show-toplevel 2>/dev/null)" = "$(CURDIR)" ] && \
	    d=$$(git describe --tags --always --dirty 2>/dev/null); then from="git $$d"; \
	 else from="$(BUILT_FROM)"; fi; \
	 printf '#define DEVPULSE_VERSION "%s (%s)"\n' "$(VERSION)" "$$from" > $@.tmp; \
	 if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/src/cli.o: $(BUILD)/version.h

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

# The units name the binary by its installed path, the man page the
# release; everything else is copied as it is.  uninstall removes these files and the directories that
# are the package's own (DOCDIR), nothing else.
UNITS    = $(wildcard jobs/*.service jobs/*.timer)
EXAMPLES = $(wildcard jobs/*.json) jobs/crontab.example jobs/devpulse-etl.env.example \
           jobs/devpulse-etl.rules.yml
install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(UNITDIR) \
	    $(DESTDIR)$(DOCDIR)/examples
	install -m 755 $(BIN) $(DESTDIR)$(BINDIR)/devpulse-etl
	sed 's|@VERSION@|$(VERSION)|' man/devpulse-etl.1 > $(DESTDIR)$(MANDIR)/man1/devpulse-etl.1
	chmod 644 $(DESTDIR)$(MANDIR)/man1/devpulse-etl.1
	for f in $(UNITS); do \
	    sed 's|/usr/local/bin/devpulse-etl|$(BINDIR)/devpulse-etl|g' $$f > $(DESTDIR)$(UNITDIR)/$${f#jobs/} && \
	    chmod 644 $(DESTDIR)$(UNITDIR)/$${f#jobs/} || exit 1; done
	install -m 644 $(EXAMPLES) $(DESTDIR)$(DOCDIR)/examples/
	install -m 644 README.md LICENSE $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/devpulse-etl $(DESTDIR)$(MANDIR)/man1/devpulse-etl.1
	rm -f $(UNITS:jobs/%=$(DESTDIR)$(UNITDIR)/%)
	rm -f $(EXAMPLES:jobs/%=$(DESTDIR)$(DOCDIR)/examples/%) $(DESTDIR)$(DOCDIR)/README.md \
	    $(DESTDIR)$(DOCDIR)/LICENSE
	rmdir $(DESTDIR)$(DOCDIR)/examples $(DESTDIR)$(DOCDIR) 2>/dev/null || true

clean:
	rm -rf build build-asan build-tsan devpulse-etl

-include $(wildcard $(BUILD)/src/*.d $(BUILD)/tests/*.d $(BUILD)/tests/unit/*.d $(BUILD)/bench/*.d)
