# bench/bench.mk -- build rules for the benchmark tools; included by the
# Makefile (-include), which owns the `bench` target itself.
#
#   $(BUILD)/bench/gen-cur   deterministic CUR CSV generator (bench/gen-cur.c)
#
# BENCH_TOOLS lists what the benchmarks need built first.

BENCH_TOOLS := $(BUILD)/bench/gen-cur

$(BUILD)/bench/gen-cur: bench/gen-cur.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -D_GNU_SOURCE -O2 -g $(WARN) -o $@ $<
