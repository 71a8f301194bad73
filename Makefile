# keeptime: GNU make build.
#
#   make            libkeeptime (shared and static), the keeptime command, keeptime.pc
#   make test       the whole suite: format check, unit and kernel tests, the
#                   same tests under ASan+UBSan, CLI tests, and the suite
#                   under other kernels in QEMU (not with KEEPTIME_SKIP_KERNELS=1)
#   make test-kernels  the suite under each kernel of
#                   scripts/kernels/kernels.list in QEMU (docs/kernel-matrix.md)
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
	-fno-stack-protector -fPIE -fvisibility=hidden -fno-sanitize=all \
	-mgeneral-regs-only -fno-asynchronous-unwind-tables

CORE_SRCS := $(wildcard src/core/*.c)
LIB_SRCS := $(wildcard src/lib/*.c)
CLI_SRCS := $(wildcard src/cli/*.c) $(wildcard bench/*.c)
TEST_SRCS := $(wildcard tests/test_*.c)

CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CLI_OBJS := $(CLI_SRCS:%.c=$(BUILD)/%.o)
TEST_BINS := $(TEST_SRCS:tests/%.c=$(BUILD)/tests/%)
TEST_HELPERS := $(BUILD)/tests/helper_exec $(BUILD)/tests/target_workload \
	$(BUILD)/tests/restore_workload $(BUILD)/tests/restore_workload_static

# The parasite: the core linked into a flat blob the library embeds.
PARASITE_ELF := $(BUILD)/parasite/parasite.elf
PARASITE_BIN := $(BUILD)/parasite/parasite.bin
PARASITE_OBJ := $(BUILD)/parasite/parasite_blob.o
LIB_ALL_OBJS := $(LIB_OBJS) $(CORE_OBJS) $(PARASITE_OBJ)

STATIC_LIB := $(BUILD)/libkeeptime.a
SHARED_LIB := $(BUILD)/libkeeptime.so.$(VERSION)
CORE_CHECKED := $(BUILD)/src/core/.no-undefined
KEEPTIME := $(BUILD)/keeptime
WORKLOAD := $(BUILD)/keeptime-workload
PCFILE := $(BUILD)/keeptime.pc

CRITERION_CFLAGS = $(shell pkg-config --cflags criterion 2>/dev/null)
CRITERION_LIBS = $(shell pkg-config --libs criterion 2>/dev/null || echo -lcriterion)

FORMAT_FILES := $(wildcard include/keeptime/*.h src/*/*.c src/*/*.h \
	src/arch/*/*.h bench/*.c bench/*.h tests/*.c tests/*.h tests/fuzz/*.c \
	examples/*.c)

.PHONY: all deps test test-kernels check check-format format demo bench \
	install uninstall clean fuzz

all: $(SHARED_LIB) $(STATIC_LIB) $(KEEPTIME) $(WORKLOAD) $(PCFILE)

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

# The blob must run wherever it is copied: its code may hold no absolute
# address (no R_X86_64_64/32/32S relocation in the sections it is made of).
$(PARASITE_ELF): $(CORE_OBJS) $(CORE_CHECKED) src/core/parasite.lds
	@mkdir -p $(@D)
	@abs=$$(for o in $(CORE_OBJS); do readelf -rW $$o | awk -v o=$$o \
		'/^Relocation section/ { sec = $$3 } \
		 sec !~ /debug/ && $$3 ~ /^R_X86_64_(64|32|32S)$$/ \
		 { print o ": " sec ": " $$3 " " $$5 }'; done); \
	if [ -n "$$abs" ]; then \
		echo "error: the parasite would hold absolute addresses:" >&2; \
		echo "$$abs" >&2; exit 1; \
	fi
	$(LD) -static -nostdlib -z noexecstack -T src/core/parasite.lds \
		-o $@ $(CORE_OBJS)

$(PARASITE_BIN): $(PARASITE_ELF)
	objcopy -O binary $< $@

$(PARASITE_OBJ): src/lib/parasite_blob.S $(PARASITE_BIN)
	$(CC) -c -DPARASITE_BIN='"$(PARASITE_BIN)"' $< -o $@

$(STATIC_LIB): $(LIB_ALL_OBJS) $(CORE_CHECKED)
	@rm -f $@
	$(AR) rcs $@ $(LIB_ALL_OBJS)

$(SHARED_LIB): $(LIB_ALL_OBJS) $(CORE_CHECKED) src/lib/libkeeptime.map
	$(CC) -shared -o $@ $(LIB_ALL_OBJS) $(HOST_LDFLAGS) \
		-Wl,-soname,libkeeptime.so.$(SOVERSION) \
		-Wl,--version-script=src/lib/libkeeptime.map \
		-Wl,--no-undefined -lpthread
	ln -sf libkeeptime.so.$(VERSION) $(BUILD)/libkeeptime.so.$(SOVERSION)
	ln -sf libkeeptime.so.$(SOVERSION) $(BUILD)/libkeeptime.so

$(KEEPTIME): $(CLI_OBJS) $(STATIC_LIB)
	$(CC) -o $@ $(CLI_OBJS) $(STATIC_LIB) $(HOST_LDFLAGS) -lpthread

# The pkg-config file names the directories of the install; make install
# writes it again with the PREFIX and LIBDIR it is given.
PC_SUBST = sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	-e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|'

# The demo's workload, a client of the library like any other.
$(WORKLOAD): $(BUILD)/examples/workload.o $(STATIC_LIB)
	$(CC) -o $@ $< $(STATIC_LIB) $(HOST_LDFLAGS) -lpthread

$(PCFILE): keeptime.pc.in Makefile
	@mkdir -p $(@D)
	$(PC_SUBST) $< > $@

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

# The process test_inject seizes and runs code in.
$(BUILD)/tests/target_workload: tests/target_workload.c
	@mkdir -p $(@D)
	$(CC) $(HOST_CFLAGS) -o $@ $< $(HOST_LDFLAGS) -lpthread

# The process test_restore dumps and restores, dynamically and statically
# linked. Not sanitized (-static rules ASan out, and it is the subject of
# the tests, not code under test); no libkeeptime in it either.
RESTORE_WORKLOAD_CFLAGS := $(BASE_CFLAGS) -D_DEFAULT_SOURCE

$(BUILD)/tests/restore_workload: tests/restore_workload.c
	@mkdir -p $(@D)
	$(CC) $(RESTORE_WORKLOAD_CFLAGS) -o $@ $< $(LDFLAGS)

$(BUILD)/tests/restore_workload_static: tests/restore_workload.c
	@mkdir -p $(@D)
	$(CC) $(RESTORE_WORKLOAD_CFLAGS) -static -o $@ $< $(LDFLAGS)

# Run the suite of this build (BUILD, SAN).
check: all $(TEST_BINS) $(TEST_HELPERS)
	tests/run.sh $(BUILD)

# Fuzzing (libFuzzer, clang): every parser of untrusted input has a target
# tests/fuzz/fuzz_NAME.c with a seed corpus tests/fuzz/corpus/NAME/. Each runs
# FUZZ_SECONDS; new inputs go to build-fuzz/, never into the repository.
FUZZ_SECONDS ?= 20
FUZZ_CC ?= clang
FUZZ_DIR := build-fuzz
FUZZ_CFLAGS := -std=c11 -g -O1 -D_DEFAULT_SOURCE -Iinclude \
	-DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(LIB_SRCS) $(CORE_SRCS) $(PARASITE_OBJ)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< $(LIB_SRCS) $(CORE_SRCS) \
		$(PARASITE_OBJ) -lpthread

fuzz: $(FUZZ_NAMES:%=$(FUZZ_DIR)/fuzz_%)
	@for f in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_DIR)/corpus-$$f; \
		echo "fuzz: $$f for $(FUZZ_SECONDS) s"; \
		dict=; [ -f tests/fuzz/$$f.dict ] && dict=-dict=tests/fuzz/$$f.dict; \
		$(FUZZ_DIR)/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) $$dict \
			-print_final_stats=1 $(FUZZ_DIR)/corpus-$$f \
			tests/fuzz/corpus/$$f 2>$(FUZZ_DIR)/fuzz_$$f.log || \
			{ tail -40 $(FUZZ_DIR)/fuzz_$$f.log; exit 1; }; \
		runs=$$(sed -n 's/^stat::number_of_executed_units: *//p' \
			$(FUZZ_DIR)/fuzz_$$f.log); \
		echo "ok - fuzz $$f: $$runs inputs, no crash"; \
	done

check-format:
	@$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_FILES)
	@echo "format: ok ($(words $(FORMAT_FILES)) files)"

format:
	$(CLANG_FORMAT) -i $(FORMAT_FILES)

test: deps
	tests/all.sh

# The suite of this build under real older (and newer) kernels, each booted
# in QEMU (TCG) from Debian's packages; docs/kernel-matrix.md.
test-kernels: all $(TEST_BINS) $(TEST_HELPERS)
	scripts/kernels/run.sh $(BUILD)

demo: deps all
	scripts/demo.sh $(KEEPTIME) $(WORKLOAD)

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
	$(PC_SUBST) keeptime.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/keeptime.pc
	chmod 0644 $(DESTDIR)$(LIBDIR)/pkgconfig/keeptime.pc
	install -m 0644 docs/keeptime.1 $(DESTDIR)$(MANDIR)/man1/keeptime.1

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/keeptime $(DESTDIR)$(LIBDIR)/libkeeptime.a \
		$(DESTDIR)$(LIBDIR)/libkeeptime.so* \
		$(DESTDIR)$(LIBDIR)/pkgconfig/keeptime.pc \
		$(DESTDIR)$(MANDIR)/man1/keeptime.1
	rm -rf $(DESTDIR)$(INCLUDEDIR)/keeptime

clean:
	rm -rf build build-san $(FUZZ_DIR)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
