# cowbench: one binary from lib/*.c and bench/*.c; a new scenario is one new file in bench/.
CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Ilib -MMD -MP
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo unknown)
CPPFLAGS += -DCB_VERSION='"$(VERSION)"'
LDLIBS  := -ljson-c -lnuma -lpfm -luring -lm

B         := build
LIB_SRC   := $(wildcard lib/*.c)
BENCH_SRC := $(wildcard bench/*.c)
UNIT_SRC  := $(wildcard tests/unit/*.c)
LIB_OBJ   := $(LIB_SRC:%.c=$(B)/%.o)
BENCH_OBJ := $(BENCH_SRC:%.c=$(B)/%.o)
UNIT_OBJ  := $(UNIT_SRC:%.c=$(B)/%.o)
# The unit tests link lib/ without the command-line entry point.
CORE_OBJ  := $(filter-out $(B)/lib/main.o,$(LIB_OBJ))

.PHONY: all deps check unit clean
all: $(B)/cowbench

# Installs missing build and test packages (apt-get or dnf) and says what it installs.
deps:
	@scripts/deps.sh

$(B)/cowbench: $(LIB_OBJ) $(BENCH_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/unit_tests: $(UNIT_OBJ) $(CORE_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# The version string changes with every commit: rebuild the object that prints it.
$(B)/lib/env.o $(B)/lib/main.o: $(wildcard .git/index)

check: deps
	@$(MAKE) --no-print-directory all $(B)/unit_tests
	@tests/run.sh

unit: $(B)/unit_tests
	$(B)/unit_tests

clean:
	rm -rf $(B)

-include $(LIB_OBJ:.o=.d) $(BENCH_OBJ:.o=.d) $(UNIT_OBJ:.o=.d)
