/* libFuzzer target: the suite config parser on arbitrary bytes (NUL bytes included). The real
 * scenarios are linked in, so run lines resolve as in `cowbench suite`. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cb_config cfg;
	char err[1024], *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (cb_config_parse_mem("fuzz.conf", text, size, &cfg, err, sizeof(err)) == 0)
		cb_config_free(&cfg);
	free(text);
	return 0;
}
