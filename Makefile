# awscredit -- build, test, demo, bench, install.
#
#   make            release build: build/awscredit.so, build/awscredit
#   make test       packages, sanitizer build (ASan+UBSan, -Werror), unit and
#                   integration tests against a throwaway MariaDB; a
#                   ThreadSanitizer build of host and module for the tests
#                   of code that runs on two threads (assign)
#   make demo       the whole monthly cycle on sample data
#   make bench      benchmarks (bench/), figures as ratios to a peer
#   make install    PREFIX=/usr/local DESTDIR=
#
# Sources are found by wildcard; a part that needs rules of its own keeps
# them in its folder (tests/modules/modules.mk, bench/bench.mk).

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
BUILD   := build
SAN     := $(BUILD)/san
TSAN    := $(BUILD)/tsan
LIBDIR  := $(PREFIX)/lib/awscredit
WEBDIR  := $(PREFIX)/share/awscredit/web

PKGS      := libcurl libxml-2.0 libmariadb jansson zlib libsodium
HOST_PKGS := inih libmicrohttpd jansson libsodium
# libxlsxwriter (the connect adapter's workbooks): Debian 12 ships
# xlsxwriter.pc, some builds do not; then the plain library and zlib.
XLSX_CFLAGS := $(shell pkg-config --cflags xlsxwriter 2>/dev/null)
XLSX_LIBS   := $(shell pkg-config --libs xlsxwriter 2>/dev/null || echo -lxlsxwriter -lz)
PKG_CFLAGS  := $(shell pkg-config --cflags $(PKGS) 2>/dev/null) $(XLSX_CFLAGS)
PKG_LIBS    := $(shell pkg-config --libs $(PKGS) 2>/dev/null) $(XLSX_LIBS)
HOST_CFLAGS := $(shell pkg-config --cflags $(HOST_PKGS) 2>/dev/null) -DAWC_LIBDIR='"$(LIBDIR)"' \
               -DAWC_WEBDIR='"$(WEBDIR)"'
HOST_LIBS   := $(shell pkg-config --libs $(HOST_PKGS) 2>/dev/null)
CMOCKA_LIBS := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN    := -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
           -Wmissing-prototypes -Wpointer-arith -Wvla -Wundef
INC     := -Imodule -Irules -Iadapters -I$(BUILD)/gen
BASE_CFLAGS := -std=gnu11 -D_GNU_SOURCE -fPIC -fvisibility=hidden $(WARN) $(INC) $(PKG_CFLAGS)

REL_CFLAGS := $(BASE_CFLAGS) -O2 -g -DNDEBUG
SAN_FLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
SAN_CFLAGS := $(BASE_CFLAGS) -O1 -g -Werror $(SAN_FLAGS) -DAWC_TEST_BUILD
TSAN_FLAGS  := -fsanitize=thread -fno-omit-frame-pointer
TSAN_CFLAGS := $(BASE_CFLAGS) -O1 -g -Werror $(TSAN_FLAGS) -DAWC_TEST_BUILD

MODULE_SRC := $(wildcard module/*.c rules/*.c adapters/*.c)
HOST_SRC   := $(wildcard host/*.c)
MIGRATIONS := $(sort $(wildcard sql/migrations/*.sql))
GEN_SRC    := $(BUILD)/gen/migrations.c

REL_MOD_OBJ  := $(patsubst %.c,$(BUILD)/obj/%.o,$(MODULE_SRC)) $(BUILD)/obj/gen/migrations.o
REL_HOST_OBJ := $(patsubst %.c,$(BUILD)/obj/%.o,$(HOST_SRC))
SAN_MOD_OBJ  := $(patsubst %.c,$(SAN)/obj/%.o,$(MODULE_SRC)) $(SAN)/obj/gen/migrations.o
SAN_HOST_OBJ := $(patsubst %.c,$(SAN)/obj/%.o,$(HOST_SRC))
TSAN_MOD_OBJ  := $(patsubst %.c,$(TSAN)/obj/%.o,$(MODULE_SRC)) $(TSAN)/obj/gen/migrations.o
TSAN_HOST_OBJ := $(patsubst %.c,$(TSAN)/obj/%.o,$(HOST_SRC))

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(patsubst tests/unit/%.c,$(SAN)/tests/unit/%,$(UNIT_SRC))
INTEG_SRC := $(wildcard tests/integration/test_*.c)
INTEG_BIN := $(patsubst tests/integration/%.c,$(SAN)/tests/integration/%,$(INTEG_SRC))
TEST_SUPPORT_SRC := $(wildcard tests/support/*.c)
SAN_SUPPORT_OBJ  := $(patsubst %.c,$(SAN)/obj/%.o,$(TEST_SUPPORT_SRC))

.PHONY: all release san tsan test unit integration demo bench install uninstall clean deps check-money
.DEFAULT_GOAL := all

all: release
release: $(BUILD)/awscredit.so $(BUILD)/awscredit $(BUILD)/plugin.manifest
san: $(SAN)/awscredit.so $(SAN)/awscredit $(SAN)/plugin.manifest $(SAN)/libawc.a
tsan: $(TSAN)/awscredit.so $(TSAN)/awscredit $(TSAN)/plugin.manifest

# --- generated: migrations embedded in the module --------------------------
$(GEN_SRC): $(MIGRATIONS) scripts/embed-sql
	@mkdir -p $(dir $@)
	sh scripts/embed-sql $(MIGRATIONS) > $@.tmp && mv $@.tmp $@

# --- release -----------------------------------------------------------------
$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(REL_CFLAGS) $(if $(filter host/%,$<),$(HOST_CFLAGS)) -MMD -MP -c $< -o $@
$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(REL_CFLAGS) -c $< -o $@
$(BUILD)/awscredit.so: $(REL_MOD_OBJ)
	$(CC) -shared -Wl,-z,defs -Wl,--as-needed -o $@ $^ $(PKG_LIBS) -lm
$(BUILD)/awscredit: $(REL_HOST_OBJ)
	$(CC) -o $@ $^ $(HOST_LIBS) -ldl -lpthread
$(BUILD)/plugin.manifest: plugin.manifest
	@mkdir -p $(dir $@)
	cp $< $@

# --- sanitizer/test build ----------------------------------------------------
$(SAN)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) $(if $(filter host/%,$<),$(HOST_CFLAGS)) -MMD -MP -c $< -o $@
$(SAN)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) -c $< -o $@
$(SAN)/awscredit.so: $(SAN_MOD_OBJ)
	$(CC) -shared $(SAN_FLAGS) -o $@ $^ $(PKG_LIBS) -lm
$(SAN)/awscredit: $(SAN_HOST_OBJ)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(HOST_LIBS) -ldl -lpthread
$(SAN)/plugin.manifest: plugin.manifest
	@mkdir -p $(dir $@)
	cp $< $@

# --- ThreadSanitizer build (host and module only) ----------------------------
$(TSAN)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(TSAN_CFLAGS) $(if $(filter host/%,$<),$(HOST_CFLAGS)) -MMD -MP -c $< -o $@
$(TSAN)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(dir $@)
	$(CC) $(TSAN_CFLAGS) -c $< -o $@
$(TSAN)/awscredit.so: $(TSAN_MOD_OBJ)
	$(CC) -shared $(TSAN_FLAGS) -o $@ $^ $(PKG_LIBS) -lm
$(TSAN)/awscredit: $(TSAN_HOST_OBJ)
	$(CC) $(TSAN_FLAGS) -o $@ $^ $(HOST_LIBS) -ldl -lpthread
$(TSAN)/plugin.manifest: plugin.manifest
	@mkdir -p $(dir $@)
	cp $< $@
$(SAN)/libawc.a: $(SAN_MOD_OBJ)
	rm -f $@ && ar rcs $@ $^
$(SAN)/tests/unit/%: tests/unit/%.c $(SAN)/libawc.a $(SAN_SUPPORT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) -Itests/support -o $@ $< $(SAN_SUPPORT_OBJ) $(SAN)/libawc.a $(PKG_LIBS) $(CMOCKA_LIBS) -lm
$(SAN)/tests/integration/%: tests/integration/%.c $(SAN)/libawc.a $(SAN_SUPPORT_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) -Itests/support -o $@ $< $(SAN_SUPPORT_OBJ) $(SAN)/libawc.a $(PKG_LIBS) $(CMOCKA_LIBS) -lpthread -lm

-include tests/modules/modules.mk
-include tests/fuzz/fuzz.mk
-include $(wildcard bench/*.mk)

# --- test ----------------------------------------------------------------------
deps:
	sh scripts/deps

check-money:
	sh scripts/check-money

test: deps
	$(MAKE) -j2 release san tsan $(UNIT_BIN) $(INTEG_BIN) $(TEST_MODULES)
	$(MAKE) check-money
	AWC_BUILD=$(BUILD) sh tests/run

unit: san $(UNIT_BIN)
	AWC_BUILD=$(BUILD) sh tests/run unit

integration: san tsan $(INTEG_BIN) $(TEST_MODULES)
	AWC_BUILD=$(BUILD) sh tests/run integration

demo: deps
	$(MAKE) release
	sh scripts/demo

bench: deps
	$(MAKE) release $(BENCH_TOOLS)
	sh bench/run

# --- install ---------------------------------------------------------------------
install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PREFIX)/include \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0755 $(BUILD)/awscredit $(DESTDIR)$(PREFIX)/bin/awscredit
	install -m 0644 $(BUILD)/awscredit.so $(DESTDIR)$(LIBDIR)/awscredit.so
	install -m 0644 plugin.manifest $(DESTDIR)$(LIBDIR)/plugin.manifest
	install -m 0644 module/awscredit.h $(DESTDIR)$(PREFIX)/include/awscredit.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(shell sed -n 's/^version *= *//p' plugin.manifest)|g' \
	    scripts/awscredit.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/awscredit.pc
	if [ -f docs/awscredit.1 ]; then install -m 0644 docs/awscredit.1 $(DESTDIR)$(PREFIX)/share/man/man1/awscredit.1; fi
	install -d $(DESTDIR)$(WEBDIR)
	install -m 0644 web/*.html web/*.css web/*.js web/*.svg $(DESTDIR)$(WEBDIR)/

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/awscredit $(DESTDIR)$(LIBDIR)/awscredit.so \
	    $(DESTDIR)$(LIBDIR)/plugin.manifest $(DESTDIR)$(PREFIX)/include/awscredit.h \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig/awscredit.pc $(DESTDIR)$(PREFIX)/share/man/man1/awscredit.1
	rm -rf $(DESTDIR)$(WEBDIR)

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
