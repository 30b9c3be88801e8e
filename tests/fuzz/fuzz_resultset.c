/* libFuzzer target: the result-set reader (results.jsonl and env.json) on arbitrary bytes.
 * The first byte picks the file: even = results.jsonl, odd = env.json. A set that loads is
 * indexed and queried like compare does. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resultset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cb_resultset rs;
	char err[1024], (*keys)[CB_KEY_MAX];
	const char *text = (const char *)data + 1;

	if (!size)
		return 0;
	memset(&rs, 0, sizeof(rs));
	if (data[0] & 1) {
		cb_resultset_parse_env(&rs, "env.json", text, size - 1, err, sizeof(err));
	} else if (cb_resultset_parse_records(&rs, "results.jsonl", text, size - 1, err, sizeof(err)) == 0) {
		size_t n = cb_resultset_keys(&rs, &keys);

		for (size_t i = 0; i < n; i++) {
			double *v;
			json_object **recs;

			cb_resultset_records(&rs, keys[i], &recs);
			free(recs);
			cb_resultset_values(&rs, keys[i], "ns_per_page", &v);
			free(v);
		}
		free(keys);
	}
	cb_resultset_free(&rs);
	return 0;
}
