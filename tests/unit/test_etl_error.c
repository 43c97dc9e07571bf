/*
 * test_etl_error.c: re-wrapping an error keeps what makes it worth a retry
 * (its SQLSTATE and connection_lost), and which errors are retried.
 *
 * The engine retries an attempt only when etl_error_retryable says so; an
 * error that a caller prefixes ("source database (--source-dsn): ...") must
 * still say so, or a lost --source-dsn connection would fail the run at once.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "etl_error.h"

/* As db_fail leaves a lost connection: the server's text, no SQLSTATE. */
static struct etl_error
lost(void)
{
    struct etl_error e;

    etl_fail(&e, "checking row level security: server closed the connection unexpectedly");
    e.connection_lost = true;
    return e;
}

Test(etl_error, prefix_keeps_a_lost_connection)
{
    struct etl_error e = lost();

    cr_assert(etl_error_retryable(&e));
    cr_expect_eq(etl_error_prefix(&e, "source database (%s)", "--source-dsn"), -1);
    cr_expect_str_eq(e.text, "source database (--source-dsn): checking row level security:"
                     " server closed the connection unexpectedly");
    cr_expect(e.connection_lost);
    cr_expect_str_eq(e.sqlstate, "");
    cr_expect(etl_error_retryable(&e), "a prefixed lost connection is still retried");
}

/* A connection that could not be made stays one through a prefix (a
 * retry tells it from a loss); etl_fail clears it like the other flags. */
Test(etl_error, prefix_keeps_not_connected_and_fail_clears_it)
{
    struct etl_error e;

    etl_fail(&e, "cannot connect to the database: FATAL:  database \"r\" is not currently"
                 " accepting connections");
    cr_expect(!e.not_connected);
    e.not_connected = true;
    etl_error_prefix(&e, "source database (--source-dsn)");
    cr_expect(e.not_connected);
    cr_expect(!e.connection_lost);
    cr_expect(!etl_error_retryable(&e), "only a retry makes it worth another attempt (job.c)");
    etl_fail(&e, "anything");
    cr_expect(!e.not_connected);
}

Test(etl_error, prefix_keeps_the_sqlstate)
{
    struct etl_error e;

    etl_fail(&e, "reading profiles: terminating connection due to administrator command");
    strcpy(e.sqlstate, "57P01");
    etl_error_prefix(&e, "source database (--source-dsn)");
    cr_expect_str_eq(e.sqlstate, "57P01");
    cr_expect(!e.connection_lost);
    cr_expect(etl_error_retryable(&e));
    cr_expect_str_eq(e.text, "source database (--source-dsn): reading profiles: terminating"
                     " connection due to administrator command");
}

/* What etl_fail wrapping did before: the flags cleared, not retried. */
Test(etl_error, fail_clears_the_flags)
{
    struct etl_error e = lost();

    strcpy(e.sqlstate, "08006");
    etl_fail(&e, "source database (--source-dsn): %s", "anything");
    cr_expect(!e.connection_lost);
    cr_expect_str_eq(e.sqlstate, "");
    cr_expect(!etl_error_retryable(&e));
}

Test(etl_error, suffix_keeps_the_flags_and_all_of_itself)
{
    struct etl_error e = lost();
    char suffix[200];
    size_t len;

    strcpy(e.sqlstate, "40001");
    cr_expect_eq(etl_error_suffix(&e, "; try again %s", "later"), -1);
    cr_expect_str_eq(e.text, "checking row level security: server closed the connection"
                     " unexpectedly; try again later");
    cr_expect(e.connection_lost);
    cr_expect_str_eq(e.sqlstate, "40001");
    /* A text that fills the buffer is cut so that the suffix fits whole. */
    memset(e.text, 'x', sizeof e.text - 1);
    e.text[sizeof e.text - 1] = '\0';
    memset(suffix, 'y', sizeof suffix - 1);
    suffix[sizeof suffix - 1] = '\0';
    etl_error_suffix(&e, "%s", suffix);
    len = strlen(e.text);
    cr_expect_eq(len, sizeof e.text - 1);
    cr_expect_str_eq(e.text + len - strlen(suffix), suffix);
    cr_expect_eq(e.text[len - strlen(suffix) - 1], 'x');
}

Test(etl_error, prefix_cuts_the_end)
{
    struct etl_error e;

    etl_fail(&e, "%s", "");
    memset(e.text, 'x', sizeof e.text - 1);
    e.text[sizeof e.text - 1] = '\0';
    etl_error_prefix(&e, "where");
    cr_expect_eq(strlen(e.text), sizeof e.text - 1);
    cr_expect_eq(strncmp(e.text, "where: xxx", 10), 0);
}

struct retry_case {
    char sqlstate[6];
    bool lost;
    bool retried;
};

Test(etl_error, retryable)
{
    static const struct retry_case cases[] = {
        {"", true, true},           /* the connection is gone */
        {"08006", false, true},     /* connection failure */
        {"57P01", false, true},     /* admin shutdown */
        {"57P03", false, true},     /* cannot connect now */
        {"40001", false, true},     /* serialization failure */
        {"40P01", false, true},     /* deadlock */
        {"57014", false, false},    /* statement_timeout: fails fast */
        {"42501", false, false},    /* insufficient privilege */
        {"", false, false},         /* the engine's own error */
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct etl_error e;

        etl_fail(&e, "what failed");
        strcpy(e.sqlstate, cases[i].sqlstate);
        e.connection_lost = cases[i].lost;
        cr_expect_eq(etl_error_retryable(&e), cases[i].retried, "sqlstate '%s', lost %d",
                     cases[i].sqlstate, cases[i].lost);
    }
}
