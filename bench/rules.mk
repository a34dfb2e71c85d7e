# bench/rules.mk -- the rule-evaluation benchmark (included by the Makefile).
#
#   make build/bench/bench-rules && build/bench/bench-rules
#
# 1,000,000 credits against 1,000 rules on one core, and the speed-up of
# the index over a brute-force scan (see bench/bench-rules.c).  Built from
# the rule sources alone (no libxml2: the XML importer is not needed).

BENCH_RULES_SRC := bench/bench-rules.c rules/rule.c rules/match.c rules/split.c \
                   module/err.c module/alloc.c module/date.c

$(BUILD)/bench/bench-rules: $(BENCH_RULES_SRC) rules/rule.h rules/split.h module/awc.h \
                            module/awscredit.h module/date.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -DNDEBUG $(WARN) -Imodule -Irules \
	    -o $@ $(BENCH_RULES_SRC)

BENCH_TOOLS += $(BUILD)/bench/bench-rules
