/*
 * test_utf8.c: text that is not valid UTF-8 is escaped byte by byte, never
 * dropped; valid text comes back as it was.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>

#include "utf8.h"

struct utf8_case {
    char in[24];
    char out[48];
    bool valid;
};

static struct utf8_case utf8_cases[] = {
    {"", "", true},
    {"plain", "plain", true},
    {"caf\xC3\xA9", "caf\xC3\xA9", true},                 /* é */
    {"caf\xE9", "caf\\xE9", false},                         /* Latin-1 é */
    {"\xE2\x82\xAC 5", "\xE2\x82\xAC 5", true},             /* € */
    {"\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80", true},         /* U+1F600 */
    {"\xC0\xAF", "\\xC0\\xAF", false},                      /* overlong '/' */
    {"\xE0\x80\xAF", "\\xE0\\x80\\xAF", false},             /* overlong, 3 bytes */
    {"\xED\xA0\x80", "\\xED\\xA0\\x80", false},             /* a surrogate */
    {"\xF4\x90\x80\x80", "\\xF4\\x90\\x80\\x80", false},    /* above U+10FFFF */
    {"\xE2\x82", "\\xE2\\x82", false},                      /* cut short at the end */
    {"\xE2\x82x", "\\xE2\\x82x", false},                    /* cut short before a letter */
    {"a\xFF" "b", "a\\xFFb", false},
};

ParameterizedTestParameters(utf8, escape)
{
    return cr_make_param_array(struct utf8_case, utf8_cases, sizeof utf8_cases / sizeof utf8_cases[0]);
}

ParameterizedTest(struct utf8_case *c, utf8, escape)
{
    char *out = utf8_escape(c->in);

    cr_assert_not_null(out);
    cr_expect_str_eq(out, c->out);
    cr_expect_eq(utf8_valid(c->in), c->valid, "%s", c->out);
    cr_expect(utf8_valid(out), "%s", c->out);
    free(out);
}
