# tests/fuzz/fuzz.mk -- libFuzzer targets for the parsers (tests/fuzz/fuzz_*.c);
# included by the Makefile.  tests/fuzz/README.md says what each target checks.
#
#   make fuzz                               every target for FUZZ_SECONDS (60) each
#   make fuzz FUZZ_SECONDS=600              longer
#   make fuzz FUZZ_TARGETS=fuzz_cur         one target (or a blank-separated list)
#   make fuzz-build                         build the binaries only
#
# Everything is compiled with clang (FUZZ_CC) into $(BUILD)/fuzz/: the
# sources a target needs (FUZZ_SRC_<target>) with coverage, ASan and UBSan,
# the target itself with -fsanitize=fuzzer,address,undefined.  No object of
# the gcc builds is reused.  A run works on a copy of tests/fuzz/corpus/<t>/
# in $(BUILD)/fuzz/run/<t>/ (tests/fixtures/... are read-only extra seeds),
# so the repository is never written.  A crash, a failed check (abort), a
# leak or a timeout fails `make fuzz`; the input is left as
# $(BUILD)/fuzz/<target>-crash-<sha1> (or -leak-, -timeout-, -oom-) and its
# path is printed with the top of the stack.

FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_ALL     := $(sort $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_TARGETS ?= $(FUZZ_ALL)

FUZZ_SAN       := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
                  -fno-omit-frame-pointer
FUZZ_BASEFLAGS := -std=gnu11 -D_GNU_SOURCE -O1 -g $(WARN) $(INC) $(PKG_CFLAGS) -DAWC_TEST_BUILD
# libFuzzer flags common to every run; -timeout catches a hang of one input.
FUZZ_RUNFLAGS  := -timeout=30 -rss_limit_mb=2048 -print_final_stats=1

# What each target links, besides the allocator and the error messages.
FUZZ_COMMON              := module/alloc.c module/err.c
FUZZ_SRC_fuzz_cur        := adapters/cur_file.c module/aggregate.c module/money.c module/date.c
FUZZ_SRC_fuzz_rules_xml  := rules/rules_xml.c rules/rules_csv.c rules/wbuf.c rules/rule.c rules/split.c \
                            module/date.c
FUZZ_SRC_fuzz_rules_csv  := $(FUZZ_SRC_fuzz_rules_xml)
FUZZ_SRC_fuzz_money      := module/money.c rules/split.c
FUZZ_SRC_fuzz_credit_id  := module/credit_id.c
FUZZ_SRC_fuzz_csv        := module/csv.c
FUZZ_SRC_fuzz_grants_csv := module/grants_csv.c module/csv.c module/accounts.c module/money.c \
                            module/date.c
FUZZ_SRC_fuzz_splitspec  := module/assign.c module/money.c rules/split.c
FUZZ_SRC_fuzz_xmlrpc     := adapters/invoicing_xmlrpc.c adapters/http_body.c module/money.c
FUZZ_SRC_fuzz_connect    := adapters/invoicing_connect.c adapters/http_body.c module/money.c
FUZZ_SRC_fuzz_spool_ack  := adapters/invoicing_spool.c module/money.c module/csvout.c module/out.c
FUZZ_SRC_fuzz_manifest   := host/loader.c
FUZZ_SRC_fuzz_ini        := host/inifile.c module/config.c
# fuzz_s3_list, fuzz_athena, fuzz_billing: the AWS adapters, from $(FUZZ_LIBALL)

# Longest input each target is given (libFuzzer -max_len), and read-only
# seed folders besides the target's own corpus.
FUZZ_MAXLEN_fuzz_cur       := 16384
FUZZ_MAXLEN_fuzz_rules_xml := 8192
FUZZ_MAXLEN_fuzz_rules_csv := 8192
FUZZ_SEEDS_fuzz_cur        := tests/fixtures/cur tests/fixtures/aws/s3
FUZZ_SEEDS_fuzz_rules_xml  := tests/fixtures/rules
FUZZ_SEEDS_fuzz_rules_csv  := tests/fixtures/rules
FUZZ_SEEDS_fuzz_csv        := tests/fixtures/rules
FUZZ_MAXLEN_fuzz_grants_csv := 8192
FUZZ_MAXLEN_fuzz_xmlrpc    := 8192
FUZZ_MAXLEN_fuzz_connect   := 8192
FUZZ_MAXLEN_fuzz_athena    := 8192
FUZZ_MAXLEN_fuzz_billing   := 8192
FUZZ_MAXLEN_fuzz_s3_list   := 8192
FUZZ_MAXLEN_fuzz_spool_ack := 4096

fuzz_bin  = $(FUZZ_DIR)/bin/$(1)
fuzz_objs = $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(FUZZ_COMMON) $(FUZZ_SRC_$(1)))

.PHONY: fuzz fuzz-build

fuzz-build: $(foreach t,$(FUZZ_TARGETS),$(call fuzz_bin,$(t)))

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_BASEFLAGS) $(if $(filter host/%,$<),$(HOST_CFLAGS)) $(FUZZ_SAN) \
	    -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

# A target without a FUZZ_SRC_ list links against every module source and
# lets the linker pick what it needs.
FUZZ_LIBALL := $(FUZZ_DIR)/libawc-fuzz.a
$(FUZZ_LIBALL): $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(MODULE_SRC))
	rm -f $@ && ar rcs $@ $^

define FUZZ_TARGET_RULE
$(call fuzz_bin,$(1)): tests/fuzz/$(1).c $(if $(FUZZ_SRC_$(1)),$(call fuzz_objs,$(1)),$(FUZZ_LIBALL)) \
                       tests/fuzz/fuzz.mk
	@mkdir -p $$(dir $$@)
	$(FUZZ_CC) $(FUZZ_BASEFLAGS) -Ihost $(HOST_CFLAGS) -Werror $(FUZZ_SAN) -fsanitize=fuzzer \
	    -MMD -MP -o $$@ $$< $$(filter %.o %.a,$$^) $(PKG_LIBS) $(HOST_LIBS) -ldl -lpthread -lm
endef
$(foreach t,$(FUZZ_ALL),$(eval $(call FUZZ_TARGET_RULE,$(t))))

# Running one target: fuzz-run-<target> (all of them under `make -j2 fuzz`
# run two at a time).  It prints one line (executions, coverage, result) and
# leaves ok/fail in $(FUZZ_DIR)/<target>.status; `fuzz` fails at the end if
# any target failed, so every target runs even when one finds a crash.
FUZZ_RUN = run=$(FUZZ_DIR)/run/$$t; log=$(FUZZ_DIR)/$$t.log; st=$(FUZZ_DIR)/$$t.status; \
    rm -rf $$run $$st && mkdir -p $$run/corpus || exit 1; \
    if [ -d tests/fuzz/corpus/$$t ]; then cp -R tests/fuzz/corpus/$$t/. $$run/corpus/; fi; \
    extra=""; for s in $$seeds; do if [ -d $$s ]; then extra="$$extra $$s"; fi; done; \
    start=$$(date +%s); \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    $(FUZZ_DIR)/bin/$$t $$run/corpus $$extra -max_total_time=$(FUZZ_SECONDS) $(FUZZ_RUNFLAGS) \
        -max_len=$$maxlen -artifact_prefix=$(FUZZ_DIR)/$$t- > $$log 2>&1; \
    rc=$$?; secs=$$(( $$(date +%s) - start )); \
    execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $$log | tail -n 1); \
    cov=$$(grep -E '^\#[0-9]+' $$log | grep -o 'cov: [0-9]* ft: [0-9]*' | tail -n 1); \
    corp=$$(ls $$run/corpus | wc -l); \
    if [ $$rc -eq 0 ]; then \
        echo ok > $$st; \
        echo "$$t: ok, $${execs:-?} executions in $${secs}s, $${cov:-cov: ?}, corpus $$corp"; \
    else \
        echo fail > $$st; \
        art=$$(sed -n 's/.*Test unit written to \(.*\)$$/\1/p' $$log | tail -n 1); \
        echo "$$t: FAILED (exit $$rc) after $${execs:-?} executions in $${secs}s; input: $${art:-none}; log: $$log"; \
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|fuzz_[a-z_]*: check failed)' $$log \
            | head -n 5 | sed 's/^/    /'; \
        grep -E '^ *\#[0-9]+ 0x.* in .*\.c:[0-9]+' $$log | grep -v -E 'csu/|compiler-rt' \
            | head -n 8 | sed 's/^/    /'; \
    fi

define FUZZ_RUN_RULE
.PHONY: fuzz-run-$(1)
fuzz-run-$(1): $(call fuzz_bin,$(1))
	@t=$(1); seeds="$(FUZZ_SEEDS_$(1))"; maxlen=$(or $(FUZZ_MAXLEN_$(1)),4096); $$(FUZZ_RUN)
endef
$(foreach t,$(FUZZ_ALL),$(eval $(call FUZZ_RUN_RULE,$(t))))

fuzz: $(foreach t,$(FUZZ_TARGETS),fuzz-run-$(t))
	@fail=0; for t in $(FUZZ_TARGETS); do \
	    if [ "$$(cat $(FUZZ_DIR)/$$t.status 2>/dev/null)" != ok ]; then fail=1; fi; \
	done; \
	if [ $$fail -ne 0 ]; then echo "fuzz: FAILED (inputs and logs in $(FUZZ_DIR)/)"; exit 1; fi; \
	echo "fuzz: all targets ok ($(FUZZ_SECONDS)s each)"

# --- replay of tests/fuzz/crashes/ in `make test` ------------------------------
# Every target compiled with gcc, ASan and UBSan (the sanitizer build's
# flags, no libFuzzer), LLVMFuzzerTestOneInput renamed to
# awc_replay_<target>, into one cmocka binary among the unit tests
# (tests/fuzz/replay.c): each file of tests/fuzz/crashes/ is a test case run
# once against the target its name starts with.
REPLAY_DIR  := $(SAN)/fuzz-replay
REPLAY_BIN  := $(SAN)/tests/unit/test_fuzz_crashes
REPLAY_OBJ  := $(patsubst %,$(REPLAY_DIR)/%.o,$(FUZZ_ALL))
REPLAY_HOST := $(SAN)/obj/host/loader.o $(SAN)/obj/host/inifile.o
UNIT_BIN    += $(REPLAY_BIN)

$(REPLAY_DIR)/replay_targets.h: tests/fuzz/fuzz.mk $(wildcard tests/fuzz/fuzz_*.c)
	@mkdir -p $(dir $@)
	printf 'TARGET(%s)\n' $(FUZZ_ALL) > $@.tmp && mv $@.tmp $@

$(REPLAY_DIR)/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) -Ihost $(HOST_CFLAGS) -DLLVMFuzzerTestOneInput=awc_replay_$* \
	    -MMD -MP -c $< -o $@

$(REPLAY_BIN): tests/fuzz/replay.c $(REPLAY_DIR)/replay_targets.h $(REPLAY_OBJ) $(REPLAY_HOST) \
               $(SAN)/libawc.a
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) -I$(REPLAY_DIR) -o $@ $< $(REPLAY_OBJ) $(REPLAY_HOST) $(SAN)/libawc.a \
	    $(PKG_LIBS) $(HOST_LIBS) $(CMOCKA_LIBS) -ldl -lpthread -lm
