/* `cowbench compare --format json`: the comparison model itself (its schema is in compare.h). */
#include <stdio.h>

#include "render.h"

void cb_render_json(const struct cb_cmp_out *o, json_object *cmp)
{
	fprintf(o->f, "%s\n",
		json_object_to_json_string_ext(cmp, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
							    JSON_C_TO_STRING_NOSLASHESCAPE));
}
