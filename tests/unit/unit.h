/* unit.h -- the one main() every CUnit suite in tests/unit/ shares.
 *
 * Each test_<module>.c holds a single CUnit suite: its main() lists the
 * tests in a static table of struct unit_test and hands it to unit_run(),
 * which builds the registry, runs the suite in verbose mode and turns the
 * outcome into the exit status meson reads. Anything a suite needs before
 * its tests (globals, environment) stays in that file's main(), ahead of
 * the call; set-up and tear-down that belong to the suite go in as the
 * CUnit init and clean functions. Header only: the tests link no library
 * of their own.
 */
#ifndef LEVEE_TESTS_UNIT_H
#define LEVEE_TESTS_UNIT_H

#include <CUnit/Basic.h>
#include <stddef.h>

/* One row of a suite's table: the name CUnit prints and the test. */
struct unit_test {
	const char *name;
	CU_TestFunc fn;
};

/* How many rows a static table of struct unit_test holds. */
#define UNIT_COUNT(tests) (sizeof(tests) / sizeof((tests)[0]))

/*
 * unit_run() - register @suite with its @n @tests, run it, clean up.
 * @init and @clean are the suite's CUnit set-up and tear-down (NULL for
 * none). Returns 0 when every test passed, 1 when an assertion or a test
 * failed or @init did, 2 when CUnit could not build the registry (no
 * memory, a duplicate name); the registry is always cleaned up. Main
 * thread only: CUnit's registry is a process global.
 */
static inline int unit_run(const char *suite, CU_InitializeFunc init,
			   CU_CleanupFunc clean,
			   const struct unit_test *tests, size_t n)
{
	CU_pSuite s;
	unsigned failed;
	size_t i;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	s = CU_add_suite(suite, init, clean);
	for (i = 0; s && i < n; i++)
		if (!CU_add_test(s, tests[i].name, tests[i].fn))
			s = NULL;
	if (!s) {
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed() +
		 CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}

#endif /* LEVEE_TESTS_UNIT_H */
