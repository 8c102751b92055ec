/* replay.c -- runs a fuzz target over the files of seed corpus directories.
 *
 * Usage: replay DIR... ; every regular file is one input (the first 64 KiB of
 * it). Exits non-zero when a directory cannot be read or holds no input (a
 * corpus that silently vanished would make the test pass without testing).
 * Knot's tests-fuzz/main.c does the same for its targets.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	static uint8_t buf[1 << 16];
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f) {
		perror(path);
		return -1;
	}
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

int main(int argc, char **argv)
{
	size_t inputs = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR...\n", argv[0]);
		return 1;
	}
	for (int i = 1; i < argc; i++) {
		DIR *d = opendir(argv[i]);
		struct dirent *e;
		size_t here = 0;

		if (!d) {
			perror(argv[i]);
			return 1;
		}
		while ((e = readdir(d)) != NULL) {
			char path[4096];
			struct stat st;

			snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
			if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
				continue;
			if (replay_file(path) != 0) {
				closedir(d);
				return 1;
			}
			here++;
		}
		closedir(d);
		if (here == 0) {
			fprintf(stderr, "replay: %s holds no input\n", argv[i]);
			return 1;
		}
		inputs += here;
	}
	printf("replay: %zu inputs\n", inputs);
	return 0;
}
