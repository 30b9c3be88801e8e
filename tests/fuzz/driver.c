/* Without clang's libFuzzer: a plain mutation loop over the seed corpus (flip, insert, delete,
 * splice bytes), built with gcc under ASan/UBSan. Usage: driver SECONDS CORPUS_DIR. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Bytes that matter to JSON and configs (the NUL included). */
static const char cb_alphabet[] = "{}[]\",:0123456789eE.-+\\nNIu\n=#'/ \t";

int main(int argc, char **argv)
{
	uint8_t *seeds[4096], buf[1 << 16];
	size_t lens[4096], n = 0;
	unsigned long long execs = 0;
	time_t end;
	struct dirent *de;
	DIR *d;

	if (argc != 3 || !(d = opendir(argv[2]))) {
		fprintf(stderr, "usage: %s SECONDS CORPUS_DIR\n", argv[0]);
		return 2;
	}
	while ((de = readdir(d)) && n < 4096) {
		char path[4096];
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", argv[2], de->d_name);
		if (!(f = fopen(path, "rb")))
			continue;
		seeds[n] = malloc(sizeof(buf));
		lens[n] = fread(seeds[n], 1, sizeof(buf), f);
		fclose(f);
		n++;
	}
	closedir(d);
	if (!n)
		return 2;
	srand((unsigned)time(NULL));
	end = time(NULL) + atoi(argv[1]);
	while (time(NULL) < end) {
		size_t s = (size_t)rand() % n, len = lens[s];

		memcpy(buf, seeds[s], len);
		for (int k = 1 + rand() % 8; k > 0; k--) {
			size_t at = len ? (size_t)rand() % len : 0;

			switch (rand() % 4) {
			case 0:
				if (len)
					buf[at] ^= (uint8_t)(1u << (rand() % 8));
				break;
			case 1:
				if (len < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = (uint8_t)cb_alphabet[(size_t)rand() % sizeof(cb_alphabet)];
					len++;
				}
				break;
			case 2:
				if (len) {
					memmove(buf + at, buf + at + 1, len - at - 1);
					len--;
				}
				break;
			default: {
				size_t o = (size_t)rand() % n, from = lens[o] ? (size_t)rand() % lens[o] : 0,
				       cnt = (size_t)rand() % 64;

				if (cnt > lens[o] - from)
					cnt = lens[o] - from;
				if (at + cnt <= sizeof(buf)) {
					memcpy(buf + at, seeds[o] + from, cnt);
					if (at + cnt > len)
						len = at + cnt;
				}
			}
			}
		}
		LLVMFuzzerTestOneInput(buf, len);
		execs++;
	}
	for (size_t i = 0; i < n; i++)
		free(seeds[i]);
	printf("mutation loop: %llu executions, no report\n", execs);
	return 0;
}
