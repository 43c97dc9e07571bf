/*
 * test_package.c: `make install` and `make uninstall` into a DESTDIR (the
 * files, exactly, and nothing else touched), the man page under
 * `man --warnings`, the systemd units' exposure under `systemd-analyze
 * security --offline=true`, and --version's account of the build.
 */
#include <criterion/criterion.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fixture.h"

/* What `make install PREFIX=/usr` puts in DESTDIR, plus the two files of
 * another package that the test puts there first (LC_ALL=C sort order). */
static const char installed[] =
    "./usr/bin/devpulse-etl\n"
    "./usr/bin/other-tool\n"
    "./usr/lib/systemd/system/devpulse-etl-alert@.service\n"
    "./usr/lib/systemd/system/devpulse-etl-goals.service\n"
    "./usr/lib/systemd/system/devpulse-etl-goals.timer\n"
    "./usr/lib/systemd/system/devpulse-etl-nightly-shard@.service\n"
    "./usr/lib/systemd/system/devpulse-etl-nightly-shard@.timer\n"
    "./usr/lib/systemd/system/devpulse-etl-nightly.service\n"
    "./usr/lib/systemd/system/devpulse-etl-nightly.timer\n"
    "./usr/share/doc/devpulse-etl/LICENSE\n"
    "./usr/share/doc/devpulse-etl/README.md\n"
    "./usr/share/doc/devpulse-etl/examples/backfill-2025.json\n"
    "./usr/share/doc/devpulse-etl/examples/crontab.example\n"
    "./usr/share/doc/devpulse-etl/examples/devpulse-etl.env.example\n"
    "./usr/share/doc/devpulse-etl/examples/devpulse-etl.rules.yml\n"
    "./usr/share/doc/devpulse-etl/examples/goals.json\n"
    "./usr/share/doc/devpulse-etl/examples/nightly.json\n"
    "./usr/share/doc/other/README\n"
    "./usr/share/man/man1/devpulse-etl.1\n";

static const char others[] =
    "./usr/bin/other-tool\n"
    "./usr/share/doc/other/README\n";

/* make TARGET in the source tree, with the build directory of the binary
 * under test, never rebuilding it (-o: it is the one the tests run). */
static int
make_target(char **out, const char *target, const char *destdir)
{
    char *bin = strdup(fx_etl_path()), *build = dirname(bin);
    int rc = fx_shell(out, "make -s --no-print-directory -C %s/.. %s DESTDIR=%s PREFIX=/usr"
                      " BUILD=%s -o %s", fx_tests_dir(), target, destdir, build, fx_etl_path());

    free(bin);
    return rc;
}

static char *
files_in(const char *dir)
{
    char *out;

    cr_assert_eq(fx_shell(&out, "cd %s && find . -type f | LC_ALL=C sort", dir), 0, "%s", out);
    return out;
}

Test(package, install_and_uninstall_into_destdir, .timeout = 120)
{
    char dir[] = "/tmp/devpulse-destdir-XXXXXX", path[256], *out, *version;
    struct stat st;

    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(fx_shell(NULL, "mkdir -p %s/usr/bin %s/usr/share/doc/other && touch"
                          " %s/usr/bin/other-tool %s/usr/share/doc/other/README", dir, dir, dir, dir), 0);
    cr_assert_eq(make_target(&out, "install", dir), 0, "%s", out);
    free(out);
    out = files_in(dir);
    cr_expect_str_eq(out, installed);
    free(out);

    /* The binary is the one built, and runs. */
    cr_assert_eq(fx_shell(&version, "%s --version", fx_etl_path()), 0);
    cr_expect_eq(fx_shell(&out, "%s/usr/bin/devpulse-etl --version", dir), 0);
    cr_expect_str_eq(out, version);
    free(out);
    free(version);
    snprintf(path, sizeof path, "%s/usr/bin/devpulse-etl", dir);
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0755);
    snprintf(path, sizeof path, "%s/usr/lib/systemd/system/devpulse-etl-nightly.service", dir);
    cr_assert_eq(stat(path, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0644);
    /* The units name the binary where it was installed. */
    cr_expect_eq(fx_shell(&out, "cd %s/usr/lib/systemd/system && grep -l /usr/local/bin *;"
                          " grep -c '^ExecStart=/usr/bin/devpulse-etl run /etc/devpulse-etl/jobs/'"
                          " devpulse-etl-nightly.service devpulse-etl-goals.service"
                          " devpulse-etl-nightly-shard@.service", dir), 0, "%s", out);
    cr_expect_str_eq(out, "devpulse-etl-nightly.service:1\ndevpulse-etl-goals.service:1\n"
                          "devpulse-etl-nightly-shard@.service:1\n");
    free(out);
    /* The man page is clean under man --warnings (groff's own warnings). */
    cr_expect_eq(fx_shell(&out, "man --warnings -l %s/usr/share/man/man1/devpulse-etl.1 2>&1 >/dev/null",
                          dir), 0, "%s", out);
    cr_expect_str_eq(out, "", "man --warnings");
    free(out);
    cr_expect_eq(fx_shell(&out, "grep -c '^\\.TH DEVPULSE-ETL 1 [0-9-]* \"devpulse-etl [0-9.]*\"'"
                          " %s/usr/share/man/man1/devpulse-etl.1", dir), 0, "%s", out);
    free(out);

    cr_assert_eq(make_target(&out, "uninstall", dir), 0, "%s", out);
    free(out);
    out = files_in(dir);
    cr_expect_str_eq(out, others, "uninstall left or removed something");
    free(out);
    snprintf(path, sizeof path, "%s/usr/share/doc/devpulse-etl", dir);
    cr_expect_neq(stat(path, &st), 0, "the package's own directory is left");
    fx_shell(NULL, "rm -rf %s", dir);
}

/* Each service unit is hardened to an exposure of 2.0 or less. */
Test(package, units_exposure)
{
    char *out;
    int n = 0;
    static const char *const units[] = {"devpulse-etl-nightly.service", "devpulse-etl-goals.service",
                                        "devpulse-etl-nightly-shard@.service",
                                        "devpulse-etl-alert@.service"};

    if (access("/usr/bin/systemd-analyze", X_OK) != 0)
        cr_skip_test("systemd-analyze is not installed");
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        /* --threshold is in tenths: fails above 2.0. */
        int rc = fx_shell(&out, "systemd-analyze security --offline=true --threshold=20 %s/../jobs/%s",
                          fx_tests_dir(), units[i]);

        cr_expect_eq(rc, 0, "%s: %s", units[i], out);
        cr_expect(strstr(out, "Overall exposure level") != NULL, "%s: %s", units[i], out);
        n++;
        free(out);
    }
    /* Every service in jobs/ is in the list above. */
    cr_assert_eq(fx_shell(&out, "ls %s/../jobs/*.service | wc -l", fx_tests_dir()), 0);
    cr_expect_eq(atoi(out), n);
    free(out);
}

/* --version: the release, then `git describe` in a git checkout, else the
 * Makefile's fallback (or BUILT_FROM when a packager sets it). */
Test(package, version_says_where_the_build_came_from)
{
    char dir[] = "/tmp/devpulse-version-XXXXXX", *out, *describe, *top, *root, expected[256];

    cr_assert_eq(fx_shell(&out, "%s --version", fx_etl_path()), 0);
    root = realpath(fx_tests_dir(), NULL);
    *strrchr(root, '/') = '\0';
    if (fx_shell(&top, "git -C %s rev-parse --show-toplevel", root) == 0 &&
        strncmp(top, root, strlen(root)) == 0 && top[strlen(root)] == '\n') {
        /* `git describe` of the commit built (TAG-N-gHASH or HASH, maybe
         * -dirty): a commit of this repository, HEAD or older. */
        char *from = strstr(out, " (git "), *hash;

        cr_assert_not_null(from, "%s", out);
        snprintf(expected, sizeof expected, "%s", from + 6);
        expected[strcspn(expected, ")")] = '\0';
        if (strstr(expected, "-dirty") != NULL)
            *strstr(expected, "-dirty") = '\0';
        hash = strstr(expected, "-g") != NULL ? strrchr(expected, 'g') + 1 : expected;
        cr_expect_eq(fx_shell(&describe, "git -C %s merge-base --is-ancestor %s HEAD", root, hash), 0,
                     "%s is not a commit of %s: %s", hash, root, describe);
        free(describe);
    }
    free(top);
    free(out);
    cr_assert_not_null(mkdtemp(dir));
    cr_assert_eq(fx_shell(&out, "GIT_DIR=/nonexistent make -s -C %s BUILD=%s %s/version.h && cat %s/version.h",
                          root, dir, dir, dir), 0, "%s", out);
    cr_expect(strncmp(out, "#define DEVPULSE_VERSION \"", 26) == 0 &&
              strstr(out, " (not built from git)\"\n") != NULL, "%s", out);
    free(out);
    cr_assert_eq(fx_shell(&out, "GIT_DIR=/nonexistent make -s -C %s BUILD=%s BUILT_FROM='release tarball'"
                          " %s/version.h && cat %s/version.h", root, dir, dir, dir), 0, "%s", out);
    cr_expect(strstr(out, " (release tarball)\"\n") != NULL, "%s", out);
    free(out);
    fx_shell(NULL, "rm -rf %s", dir);
    free(root);
}
