/* golden_tool.c -- regenerates a golden-answer file from the current engine.
 *
 * usage: golden [-w] FILE
 *
 * Prints FILE with every reply replaced by what the engine answers now
 * (comments, directives and queries kept as they are), or with -w rewrites
 * FILE in place (through FILE.new and a rename). For reviewing a change of
 * answers on purpose:
 *
 *   build/tests/golden/golden tests/data/golden/answers.txt |
 *       diff -u tests/data/golden/answers.txt -
 *   build/tests/golden/golden -w tests/data/golden/answers.txt
 *
 * Exit status: 0, 1 when FILE cannot be loaded or written, 2 on usage.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/golden/golden.h"

int main(int argc, char **argv)
{
	struct golden_file *g;
	char err[1024];
	bool wr = argc == 3 && strcmp(argv[1], "-w") == 0;
	const char *path = argv[argc - 1];
	int rc = 0;

	if (argc != 2 + wr || path[0] == '-') {
		fprintf(stderr, "usage: golden [-w] FILE\n");
		return 2;
	}
	if (golden_load(path, &g, err, sizeof(err))) {
		fprintf(stderr, "golden: %s\n", err);
		golden_free(g);
		return 1;
	}
	if (!wr) {
		rc = golden_write(g, stdout) ? 1 : 0;
	} else {
		char tmp[4200];
		snprintf(tmp, sizeof(tmp), "%s.new", path);
		FILE *f = fopen(tmp, "w");
		if (!f || golden_write(g, f) || fclose(f) || rename(tmp, path)) {
			perror(tmp);
			rc = 1;
		} else {
			fprintf(stderr, "golden: %s: %zu answers written\n", path,
				g->count);
		}
	}
	golden_free(g);
	return rc;
}
