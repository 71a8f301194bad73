# keeptime: GNU make build.
#
#   make            libkeeptime (shared and static), the keeptime command, keeptime.pc
#   make test       the whole suite: format check, unit and kernel tests, the
#                   same tests under ASan+UBSan, CLI tests
#   make demo       narrated walk-through and the benchmark
#   make bench      the benchmark alone
#   make install PREFIX=/usr/local DESTDIR=
#
# Variables: BUILD (output directory, default build/), SAN=1 (ASan+UBSan
# build into build-san/), CC, CFLAGS, LDFLAGS.

VERSION := 0.1.0
SOVERSION := 0

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

CC ?= cc
AR ?= ar
LD ?= ld
NM ?= nm
CLANG_FORMAT ?= clang-format

ifeq ($(SAN),1)
BUILD ?= build-san
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
BUILD ?= build
SAN_FLAGS :=
endif

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wundef -Wvla
CFLAGS ?= -O2 -g
BASE_CFLAGS := -std=c11 $(WARNINGS) $(CFLAGS) -MMD -MP

# Host code: libc allowed; symbols hidden unless exported by KT_API.
HOST_CFLAGS := $(BASE_CFLAGS) -D_DEFAULT_SOURCE -fPIC -fvisibility=hidden \
	-Iinclude $(SAN_FLAGS)
HOST_LDFLAGS := $(LDFLAGS) $(SAN_FLAGS)

# The freestanding core: no libc, no sanitizers, no stack protector. It must
# also run inside a restorer blob, so it is position independent.
CORE_CFLAGS := $(BASE_CFLAGS) -ffreestanding -nostdlib -fno-builtin \
	-fno-stack-protector -fPIE -fvisibility=hidden -fno-sanitize=all

CORE_SRCS := $(wildcard src/core/*.c)
LIB_SRCS := $(wildcard src/lib/*.c)
CLI_SRCS := $(wildcard src/cli/*.c) $(wildcard bench/*.c)
TEST_SRCS := $(wildcard tests/test_*.c)

CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/%.o)
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
TEST_HELPERS := $(BUILD)/tests/helper_exec

STATIC_LIB := $(BUILD)/libkeeptime.a
SHARED_LIB := $(BUILD)/libkeeptime.so.$(VERSION)
CORE_CHECKED := $(BUILD)/src/core/.no-undefined
KEEPTIME := $(BUILD)/keeptime
PCFILE := $(BUILD)/keeptime.pc

CRITERION_CFLAGS = $(shell pkg-config --cflags criterion 2>/dev/null)
CRITERION_LIBS = $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

FORMAT_FILES := $(wildcard include/keeptime/*.h src/*/*.c src/*/*.h \
	src/arch/*/*.h bench/*.c bench/*.h tests/*.c tests/*.h)

.PHONY: all deps test check check-format format demo bench install \
	uninstall clean

all: $(SHARED_LIB) $(STATIC_LIB) $(KEEPTIME) $(PCFILE)

deps:
	@scripts/deps.sh

$(BUILD)/src/core/%.o: src/core/%.c
	@mkdir -p $(@D)
	$(CC) $(CORE_CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -c $< -o $@

# The core must not need anything from outside itself: link it into one
# relocatable object and fail on any undefined symbol.
$(CORE_CHECKED): $(CORE_OBJS)
	$(LD) -r -o $(BUILD)/src/core/core.o $(CORE_OBJS)
	@undef=$$($(NM) -u $(BUILD)/src/core/core.o); \
	if [ -n "$$undef" ]; then \
		echo "error: the freestanding core has undefined symbols:" >&2; \
		echo "$$undef" >&2; exit 1; \
	fi
	@touch $@

$(STATIC_LIB): $(LIB_OBJS) $(CORE_OBJS) $(CORE_CHECKED)
	@rm -f $@
	$(AR) rcs $@ $(LIB_OBJS) $(CORE_OBJS)

$(SHARED_LIB): $(LIB_OBJS) $(CORE_OBJS) $(CORE_CHECKED) src/lib/libkeeptime.map
	$(CC) -shared -o $@ $(LIB_OBJS) $(CORE_OBJS) $(HOST_LDFLAGS) \
		-Wl,-soname,libkeeptime.so.$(SOVERSION) \
		-Wl,--version-script=src/lib/libkeeptime.map \
		-Wl,--no-undefined -lpthread
	ln -sf libkeeptime.so.$(VERSION) $(BUILD)/libkeeptime.so.$(SOVERSION)
	ln -sf libkeeptime.so.$(SOVERSION) $(BUILD)/libkeeptime.so

$(KEEPTIME): $(CLI_OBJS) $(STATIC_LIB)
	$(CC) -o $@ $(CLI_OBJS) $(STATIC_LIB) $(HOST_LDFLAGS) -lpthread

$(PCFILE): keeptime.pc.in Makefile
	@mkdir -p $(@D)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
		-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
		$< > $@

# Tests. test_core links the freestanding core alone; the others the library.
$(BUILD)/tests/%.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) $(CRITERION_CFLAGS) -c $< -o $@

$(BUILD)/tests/test_core: $(BUILD)/tests/test_core.o $(BUILD)/tests/kt_test.o \
		$(CORE_OBJS) $(CORE_CHECKED)
	$(CC) -o $@ $(BUILD)/tests/test_core.o $(BUILD)/tests/kt_test.o \
		$(CORE_OBJS) $(HOST_LDFLAGS) $(CRITERION_LIBS)

$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(BUILD)/tests/kt_test.o $(STATIC_LIB)
	$(CC) -o $@ $< $(BUILD)/tests/kt_test.o $(STATIC_LIB) $(HOST_LDFLAGS) \
		$(CRITERION_LIBS) -lpthread

$(BUILD)/tests/helper_exec: tests/helper_exec.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -o $@ $< $(HOST_LDFLAGS)

# Run the suite of this build (BUILD, SAN).
check: all $(TEST_BINS) $(TEST_HELPERS)
	tests/run.sh $(BUILD)

check-format:
	@$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_FILES)
	@echo "format: ok ($(words $(FORMAT_FILES)) files)"

format:
	$(CLANG_FORMAT) -i $(FORMAT_FILES)

test: deps
	$(MAKE) check-format
	$(MAKE) check
	$(MAKE) SAN=1 check
	tests/cli.sh $(BUILD)/keeptime

demo: deps all
	scripts/demo.sh $(KEEPTIME)

bench: all
	$(KEEPTIME) bench

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR)/keeptime $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(KEEPTIME) $(DESTDIR)$(BINDIR)/keeptime
	install -m 0644 $(STATIC_LIB) $(DESTDIR)$(LIBDIR)/libkeeptime.a
	install -m 0755 $(SHARED_LIB) $(DESTDIR)$(LIBDIR)/libkeeptime.so.$(VERSION)
	ln -sf libkeeptime.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libkeeptime.so.$(SOVERSION)
	ln -sf libkeeptime.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libkeeptime.so
	install -m 0644 include/keeptime/keeptime.h $(DESTDIR)$(INCLUDEDIR)/keeptime/
	install -m 0644 $(PCFILE) $(DESTDIR)$(LIBDIR)/pkgconfig/keeptime.pc
	install -m 0644 docs/keeptime.1 $(DESTDIR)$(MANDIR)/man1/keeptime.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/keeptime $(DESTDIR)$(LIBDIR)/libkeeptime.a \
		$(DESTDIR)$(LIBDIR)/libkeeptime.so* \
		$(DESTDIR)$(LIBDIR)/pkgconfig/keeptime.pc \
		$(DESTDIR)$(MANDIR)/man1/keeptime.1
	rm -rf $(DESTDIR)$(INCLUDEDIR)/keeptime

clean:
	rm -rf build build-san

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
