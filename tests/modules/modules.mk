# tests/modules/modules.mk -- test modules for tests/integration/test_host.sh
# (included by the Makefile).
#
# One good module and deliberately wrong ones.  Every case <c> is
# tests/modules/testmod.c compiled with -DTESTMOD_CASE_<c> ('-' becomes '_')
# into $(SAN)/modules/<c>/awscredit.so, with tests/modules/<c>.manifest copied
# next to it as plugin.manifest.  See testmod.c for what each case gets wrong.

TESTMOD_CASES := good major major-lib minor minor-lib small ops-null missing-hook \
                 null-desc no-entry manifest-version manifest-ops manifest-keys \
                 manifest-hooks entry-name bad-manifest no-library
TESTMOD_DIR   := $(SAN)/modules

TEST_MODULES := $(foreach c,$(TESTMOD_CASES),$(TESTMOD_DIR)/$(c)/awscredit.so \
                                              $(TESTMOD_DIR)/$(c)/plugin.manifest)

.PHONY: test-modules
test-modules: $(TEST_MODULES)

$(TESTMOD_DIR)/%/awscredit.so: tests/modules/testmod.c module/awscredit.h tests/modules/modules.mk
	@mkdir -p $(dir $@)
	$(CC) $(SAN_CFLAGS) -DTESTMOD_CASE_$(subst -,_,$*) -shared -o $@ $< $(SAN_FLAGS)

$(TESTMOD_DIR)/%/plugin.manifest: tests/modules/%.manifest
	@mkdir -p $(dir $@)
	cp $< $@
