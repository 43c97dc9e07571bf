/*
 * test_jobfile.c: what `run JOB.json` reads.  A job file is at most 1 MiB,
 * and a signal stops the read: an endless source (/dev/zero, a pipe whose
 * writer never ends) neither fills the memory nor outlives SIGTERM.  No
 * database is needed: DATABASE_URL points nowhere, so any connection would
 * fail with exit 1.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

/* A job file of exactly `size` bytes: a valid goals job padded with spaces. */
static char *
job_file_of_size(size_t size)
{
    static const char job[] = "{\"command\": \"goals\", \"as-of\": \"0001-01-01\"}";
    char *path = strdup("/tmp/devpulse-job-XXXXXX");
    FILE *f;
    int fd;

    cr_assert_not_null(path);
    fd = mkstemp(path);
    cr_assert(fd >= 0);
    f = fdopen(fd, "w");
    cr_assert_not_null(f);
    fputs(job, f);
    for (size_t i = sizeof job - 1; i < size; i++)
        fputc(' ', f);
    fclose(f);
    return path;
}

/*
 * 1 MiB is read whole (this one then fails on its value, exit 2, which
 * shows it was parsed); one byte more is refused as too large.
 */
Test(jobfile, at_most_one_mib)
{
    char *path = job_file_of_size(1 << 20), *out;

    cr_expect_eq(fx_shell(&out, FX_NOWHERE " %s run %s", fx_etl_path(), path), 2, "%s", out);
    cr_expect(strstr(out, "--as-of is too early") != NULL, "1 MiB was not read whole: %s", out);
    free(out);
    unlink(path);
    free(path);
    path = job_file_of_size((1 << 20) + 1);
    cr_expect_eq(fx_shell(&out, FX_NOWHERE " %s run %s", fx_etl_path(), path), 2, "%s", out);
    cr_expect(strstr(out, "a job file is at most 1048576 bytes (1 MiB)") != NULL, "%s", out);
    free(out);
    unlink(path);
    free(path);
}

/*
 * A source that goes on and on (/dev/zero's bytes, here 3 MiB of them
 * through a pipe, so that a broken limit cannot fill the memory) is read up
 * to the limit, then refused.
 */
Test(jobfile, endless_source_stops_at_the_limit)
{
    char *out;

    cr_expect_eq(fx_shell(&out, "head -c 3145728 /dev/zero | " FX_NOWHERE " %s run /dev/stdin",
                          fx_etl_path()), 2, "%s", out);
    cr_expect(strstr(out, "/dev/stdin: a job file is at most 1048576 bytes") != NULL, "%s", out);
    free(out);
}

/*
 * SIGTERM while the file is read: the writer of a FIFO has sent a "{" and
 * keeps it open.  The run stops at once with 143; before, it went on
 * waiting until the writer gave up 5 seconds later and then failed on the
 * JSON (exit 2).  The writer opens the FIFO only once the engine has, so
 * the signal comes after the engine set up its signal handling.
 */
Test(jobfile, sigterm_stops_the_read, .timeout = 60)
{
    char *out;
    int rc = fx_shell(&out,
        "(d=$(mktemp -d); mkfifo $d/job.json; "
        "{ " FX_NOWHERE " %s run $d/job.json; echo \"exit $?\"; } & "
        "exec 3>$d/job.json; printf '{' >&3; sleep 0.5; "
        "kill -TERM $(pgrep -f \"run $d/job.json\" | head -1); "
        "sleep 5; exec 3>&-; wait; rm -r $d)", fx_etl_path());

    cr_expect_eq(rc, 0, "%s", out);
    cr_expect(strstr(out, "exit 143") != NULL, "not stopped by SIGTERM: %s", out);
    cr_expect(strstr(out, "reading the job file: cancelled by SIGTERM") != NULL, "%s", out);
    free(out);
}
