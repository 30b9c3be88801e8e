# cowbench: one binary from lib/*.c and bench/*.c; a new scenario is one new file in bench/.
# Project flags live in CB_* variables; the user's CFLAGS/CPPFLAGS/LDFLAGS (e.g. `make
# CFLAGS=-O0`) come after them, so they can add or override but never drop -D_GNU_SOURCE.
# gcc's format-truncation warning depends on the optimisation level (-O1 sees "truncations" -O2
# does not): it stays a warning, so that a build with any CFLAGS succeeds.
CC      ?= cc
CFLAGS  ?= -O2 -g
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
CB_CFLAGS   := -std=c11 -Wall -Wextra -Werror -Wno-error=format-truncation -MMD -MP
CB_CPPFLAGS := -D_GNU_SOURCE -Ilib -DCB_VERSION='"$(VERSION)"'
CB_LDFLAGS  :=
LDLIBS  := -ljson-c -lnuma -lpfm -luring -lm

# `make SANITIZE=1 ...`: ASan + UBSan (every report fatal), objects and binaries in build-san/.
ifeq ($(SANITIZE),1)
B         := build-san
CB_SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
B         := build
endif
ALL_CFLAGS   = $(CB_CFLAGS) $(CB_SAN) $(CFLAGS)
ALL_CPPFLAGS = $(CB_CPPFLAGS) $(CPPFLAGS)
ALL_LDFLAGS  = $(CB_LDFLAGS) $(CB_SAN) $(LDFLAGS)
LIB_SRC   := $(wildcard lib/*.c)
BENCH_SRC := $(wildcard bench/*.c)
UNIT_SRC  := $(wildcard tests/unit/*.c)
LIB_OBJ   := $(LIB_SRC:%.c=$(B)/%.o)
BENCH_OBJ := $(BENCH_SRC:%.c=$(B)/%.o)
UNIT_OBJ  := $(UNIT_SRC:%.c=$(B)/%.o)
# The unit tests link lib/ without the command-line entry point.
CORE_OBJ  := $(filter-out $(B)/lib/main.o,$(LIB_OBJ))

# `make static [ARCH=x86_64|arm64]`: a -static $(B)/static-ARCH/cowbench for the VM runner's
# initramfs, from objects of its own. Another arch than the host's is cross-compiled against
# Debian's -dev packages of that arch, which scripts/sysroot.sh unpacks into the cache.
HOST_ARCH := $(patsubst aarch64,arm64,$(shell uname -m))
ARCH      ?= $(HOST_ARCH)
S_ARCH    := $(or $(if $(filter x86_64 amd64 x86,$(ARCH)),x86_64),$(if $(filter arm64 aarch64,$(ARCH)),arm64),$(ARCH))
S_DEB     := $(patsubst x86_64,amd64,$(S_ARCH))
S_TRIPLET := $(patsubst arm64,aarch64,$(S_ARCH))-linux-gnu
SB        := build/static-$(S_ARCH)
S_OBJ     := $(LIB_SRC:%.c=$(SB)/%.o) $(BENCH_SRC:%.c=$(SB)/%.o)
ifeq ($(S_ARCH),$(HOST_ARCH))
S_CC      := $(CC)
else
S_CC      := $(S_TRIPLET)-gcc
S_SYSROOT := $(or $(COWBENCH_CACHE),cache)/sysroot-$(S_DEB)
S_STAMP   := $(S_SYSROOT)/.cowbench-sysroot
# Before the cross compiler's own default of the host's /usr/include, whose headers are amd64's.
S_CPPFLAGS := -isystem $(S_SYSROOT)/usr/include
S_LDFLAGS := -L$(S_SYSROOT)/usr/lib/$(S_TRIPLET)
endif
ifneq ($(filter static sysroot,$(MAKECMDGOALS)),)
ifeq ($(filter x86_64 arm64,$(S_ARCH)),)
$(error ARCH=$(ARCH): static builds are for x86_64 or arm64)
endif
endif

.PHONY: all deps check check-kernel check-aa unit clean static sysroot fuzz fuzz-build repeat power

# Fuzz targets (tests/fuzz/fuzz_*.c) on lib/ and bench/ built apart in build-fuzz/: libFuzzer
# with clang, else gcc and tests/fuzz/driver.c's mutation loop; both under ASan + UBSan.
# `make fuzz [FUZZ_TIME=seconds]` runs them side by side (tests/fuzz/run.sh), each for that wall
# time from the seeds of tests/fuzz/seed.sh; any sanitizer report or crash fails it.
FUZZ_TIME ?= 60
FUZZ_CC   ?= $(shell command -v clang >/dev/null 2>&1 && echo clang || echo gcc)
FZ        := build-fuzz-$(FUZZ_CC)
FUZZ_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_LINK := $(if $(filter clang,$(FUZZ_CC)),-fsanitize=fuzzer,)
FUZZ_COMP := $(if $(filter clang,$(FUZZ_CC)),-fsanitize=fuzzer-no-link,)
FUZZ_DRV  := $(if $(filter clang,$(FUZZ_CC)),,$(FZ)/tests/fuzz/driver.o)
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BIN  := $(FUZZ_NAMES:%=$(FZ)/fuzz_%)
FZ_OBJ    := $(patsubst %.c,$(FZ)/%.o,$(filter-out lib/main.c,$(LIB_SRC)) $(BENCH_SRC))
all: $(B)/cowbench

# Installs the missing packages of ROLES (default run; see scripts/deps.sh --list) with apt-get
# or dnf and says what it installs.
ROLES ?= run
deps:
	@scripts/deps.sh $(ROLES)

$(B)/cowbench: $(LIB_OBJ) $(BENCH_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/unit_tests: $(UNIT_OBJ) $(CORE_OBJ)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

# tests/power: copies a result set with known effects multiplied in (json-c and lib's strict
# reader and histogram geometry only).
$(B)/inject: $(B)/tests/power/inject.o $(B)/lib/jsonstrict.o $(B)/lib/hist.o
	$(CC) $(ALL_LDFLAGS) -o $@ $^ -ljson-c -lm

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

static: $(SB)/cowbench

# The cross build's libraries (nothing to do for the host's arch).
sysroot: $(S_STAMP)

ifdef S_STAMP
$(S_STAMP):
	scripts/sysroot.sh $(S_DEB)
endif

$(SB)/cowbench: $(S_OBJ)
	$(S_CC) -static $(CB_LDFLAGS) $(LDFLAGS) $(S_LDFLAGS) -o $@ $^ $(LDLIBS)

$(SB)/%.o: %.c | $(S_STAMP)
	@mkdir -p $(dir $@)
	$(S_CC) $(S_CPPFLAGS) $(ALL_CPPFLAGS) $(CB_CFLAGS) $(CFLAGS) -c -o $@ $<

# The version string changes with every commit: rebuild the object that prints it.
$(B)/lib/env.o $(B)/lib/main.o $(SB)/lib/env.o $(SB)/lib/main.o: $(wildcard .git/index)

check:
	@scripts/deps.sh test
	@$(MAKE) --no-print-directory all $(B)/unit_tests $(B)/inject
	@tests/run.sh

# Opt-in, not part of check: builds Debian's linux-source-6.12 twice (unpatched, and with a
# one-line COW change) and compares them in QEMU; see docs/vms.md ("Your own kernel builds").
check-kernel: all
	@tests/kernel/check.sh

# The A/A comparison of make check (tests/integration/aa.sh) N times in a row (default 10).
check-aa: all
	@for i in $$(seq $(or $(N),10)); do bash tests/integration/aa.sh; done

# make check N times (default 20) in fresh clones; STRESS=1 under stress-ng --cpu 1 --vm 1;
# BESIDE=I: another cowbench suite in a loop beside run I.
repeat:
	@tests/repeat.sh $(or $(N),20) $(if $(STRESS),--stress) $(if $(BESIDE),--beside $(BESIDE))

# What compare finds of effects multiplied into the committed real A/A pair (tests/power/): one
# table, labelled native or TCG. No root, no lock: it runs compare on files.
power:
	@scripts/deps.sh run +jq
	@$(MAKE) --no-print-directory all build/inject
	@tests/power/power.sh

unit: $(B)/unit_tests
	$(B)/unit_tests

$(FZ)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CB_CPPFLAGS) -std=c11 -Wall -Wextra -MMD -MP -O1 -g $(FUZZ_SAN) $(FUZZ_COMP) -c -o $@ $<

$(FZ)/fuzz_%: $(FZ)/tests/fuzz/fuzz_%.o $(FZ_OBJ) $(FUZZ_DRV)
	$(FUZZ_CC) $(FUZZ_SAN) $(FUZZ_LINK) -o $@ $^ $(LDLIBS)

fuzz-build: $(FUZZ_BIN)
.SECONDARY: $(FUZZ_NAMES:%=$(FZ)/tests/fuzz/fuzz_%.o) $(FZ_OBJ) $(FUZZ_DRV)

fuzz: fuzz-build
	@rm -rf $(FZ)/seeds && tests/fuzz/seed.sh $(FZ)/seeds
	@tests/fuzz/run.sh $(FZ) $(FUZZ_CC) $(FUZZ_TIME) $(FUZZ_NAMES)

clean:
	rm -rf build build-san build-fuzz-*

-include $(LIB_OBJ:.o=.d) $(BENCH_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(B)/tests/power/inject.d $(S_OBJ:.o=.d) $(FZ_OBJ:.o=.d)
