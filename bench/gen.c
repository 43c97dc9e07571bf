/*
 * bench/gen.c: synthetic DevPulse source data, loaded with COPY.
 *
 *   gen --users N --days D --seed S [--end-date YYYY-MM-DD] [--dsn DSN]
 *       [--quiet] [--help]
 *
 *   --users N      number of profiles (1 .. 2000000)
 *   --days D       days of daily rows, ending at end-date (1 .. 20000)
 *   --seed S       PRNG seed, an unsigned 64-bit integer
 *   --end-date D   last day of the window, default 2025-12-31 (fixed, so that
 *                  the output does not depend on today)
 *   --dsn DSN      libpq connection string; else $DATABASE_URL; else libpq's
 *                  PG* environment variables
 *   --quiet        no progress messages on stderr
 *   --help         this text
 *
 * Fills the source tables of sql/001_schema.sql in foreign-key order:
 * auth.users (id only), profiles, workspaces, workspace_members,
 * platform_connections, monitors, github_repositories, github_contributions,
 * youtube_videos, youtube_channel_stats, devto_articles, goals.
 * analytics_snapshots stays empty: it is what the engine writes.
 *
 * The data is skewed the way real data is (lognormal "fame" per user, Pareto
 * stars, a few very active users), and it always contains, at modest rates,
 * the edge cases that SPEC.md makes the engine handle: odd and invalid time
 * zones, instants at local midnights and DST switches, unusable monitors,
 * drafts, rows after end-date, invalid goals.  Small runs (50-200 users) hold
 * each of them, because edge cases are handed out round-robin, not by chance.
 *
 * Determinism: the output is a function of (users, days, seed, end-date) and
 * of the server's time zone database.  Every value comes from xoshiro256**
 * streams seeded from --seed (one stream per table and one per connection for
 * the daily tables), never from rand() or the clock.  Instants meant to sit at
 * "23:30 local" are computed from local midnights that the server itself
 * reports (`date::timestamp AT TIME ZONE zone`), so they sit exactly where
 * the engine will put the day boundary.
 *
 * Everything happens in one transaction, and the program refuses to run when
 * profiles already has rows.  At the end it prints on stdout one line per
 * table with its row count and a line with the total, seconds and rows/s.
 * Exit status: 0 loaded and committed, 1 failure (nothing committed),
 * 2 usage error.
 *
 * Reading order (each section starts with a banner):
 *   messages and memory; the PRNG; uuids, dates, timestamps; fixed
 *   vocabularies (zones, names, texts); the model (every table but the daily
 *   ones, in memory); time placement (instants at local midnights and DST
 *   switches); building the model: users, workspaces, connections, items,
 *   then monitors and goals with their edge cases; the server (empty check,
 *   valid zones, local midnights); COPY in text format; the row writers, one
 *   per table; options and main.
 *
 * Why one file.  It is one program with one data structure (`model`) that
 * every section reads or fills: the writers alone call close to thirty helpers
 * of the COPY, model and PRNG sections.  Split into files, most of its static
 * functions would become a header of extern declarations, without
 * separating anything a reader could then ignore; read top to bottom, the
 * sections above already come in the order the data is made.
 *
 * Why it repeats the calendar (days_from_civil and civil_from_days, the date
 * and time formats) instead of linking the engine's calendar.c and tz.c.
 * The generator is the independent side of every check: the tests compare
 * the engine with tests/reference.sql on its data, and its edge cases
 * (instants at local midnights, DST days, ISO week 53, leap days) are placed
 * by what the server says (`date::timestamp AT TIME ZONE zone`), not by the
 * engine.  Linking the engine's calendar would let a bug there shape the data
 * and hide itself in the checks.  It links none of libdevpulse.a: the bench
 * rule of the Makefile lists the library, but no symbol of it is used (`nm`).
 */

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#define DEFAULT_END_DATE "2025-12-31"
#define FUTURE_DAYS 10      /* rows go up to this many days after end-date */
#define OLD_YEARS 8         /* old repositories/videos: up to this far back */
#define NO_TIME INT64_MIN   /* a NULL timestamptz or date */
#define COPY_CHUNK ((size_t)1 << 20)

static bool quiet;

/* ------------------------------------------------------------------ */
/* Messages and memory                                                 */
/* ------------------------------------------------------------------ */

__attribute__((format(printf, 1, 2)))
static void fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("gen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

__attribute__((format(printf, 1, 2)))
static void progress(const char *fmt, ...)
{
    va_list ap;

    if (quiet)
        return;
    va_start(ap, fmt);
    fputs("gen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

/* libpq messages end with a newline; print them on one line. */
static void fail_pg(const char *what, const char *pg_message)
{
    size_t n = strlen(pg_message);

    while (n > 0 && (pg_message[n - 1] == '\n' || pg_message[n - 1] == ' '))
        n--;
    fail("%s: %.*s", what, (int)n, pg_message);
}

/* Running out of memory is not worth recovering from in a generator. */
static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        fail("out of memory");
        exit(1);
    }
    return p;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);

    if (!p) {
        fail("out of memory");
        exit(1);
    }
    return p;
}

/* Makes room for one more element in a growable array (arr, n, cap). */
#define RESERVE(arr, n, cap)                                           \
    do {                                                               \
        if ((n) == (cap)) {                                            \
            (cap) = (cap) ? 2 * (cap) : 256;                           \
            (arr) = xrealloc((arr), (cap) * sizeof *(arr));            \
        }                                                              \
    } while (0)

#define COUNT_OF(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* PRNG: xoshiro256** seeded through splitmix64                        */
/* ------------------------------------------------------------------ */

typedef struct {
    uint64_t s[4];
} rng;

/* The splitmix64 finalizer: a bijection on 64-bit values. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* Stream `stream`, number `index`, of the run's seed.  Each table, and each
 * connection's daily rows, draws from its own stream, so that changing how one
 * table is made does not reshuffle the others. */
static void rng_init(rng *r, uint64_t seed, uint64_t stream, uint64_t index)
{
    uint64_t x = seed ^ mix64((stream << 40) ^ index);

    for (int i = 0; i < 4; i++) {
        x += 0x9E3779B97F4A7C15ULL;
        r->s[i] = mix64(x);
    }
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(rng *r)
{
    uint64_t *s = r->s;
    const uint64_t result = rotl(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;

    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, 1). */
static double rng_unit(rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in (0, 1): safe for log(). */
static double rng_open(rng *r)
{
    return ((double)(rng_next(r) >> 11) + 0.5) * 0x1.0p-53;
}

/* Uniform in 0 .. n-1 (n >= 1); the modulo bias is negligible here. */
static int64_t rng_below(rng *r, int64_t n)
{
    return (int64_t)(rng_next(r) % (uint64_t)n);
}

/* Uniform in lo .. hi, both included. */
static int64_t rng_range(rng *r, int64_t lo, int64_t hi)
{
    return lo + rng_below(r, hi - lo + 1);
}

static bool rng_chance(rng *r, double p)
{
    return rng_unit(r) < p;
}

static double rng_normal(rng *r)
{
    return sqrt(-2.0 * log(rng_open(r))) * cos(6.283185307179586 * rng_unit(r));
}

static double rng_lognormal(rng *r, double mu, double sigma)
{
    return exp(mu + sigma * rng_normal(r));
}

/* Pareto with x_min 1: heavy tail, P(X > x) = x^-alpha. */
static double rng_pareto(rng *r, double alpha)
{
    return pow(rng_open(r), -1.0 / alpha);
}

/* Number of failures before a success, with the given mean. */
static int64_t rng_geometric(rng *r, double mean)
{
    if (mean <= 0)
        return 0;
    return (int64_t)floor(log(rng_open(r)) / log(mean / (1.0 + mean)));
}

static int64_t rng_poisson(rng *r, double lambda)
{
    if (lambda <= 0)
        return 0;
    if (lambda > 30) {
        double v = floor(lambda + sqrt(lambda) * rng_normal(r) + 0.5);
        return v < 0 ? 0 : (int64_t)v;
    }
    double limit = exp(-lambda), p = rng_unit(r);
    int64_t k = 0;
    while (p > limit) {
        p *= rng_unit(r);
        k++;
    }
    return k;
}

/* PRNG stream numbers (see rng_init). */
enum {
    STREAM_USERS = 1, STREAM_WORKSPACES, STREAM_CONNECTIONS, STREAM_ITEMS,
    STREAM_MONITORS, STREAM_GOALS, STREAM_REPO_TEXT, STREAM_VIDEO_TEXT,
    STREAM_ARTICLE_TEXT, STREAM_CONTRIBUTIONS, STREAM_CHANNEL_STATS,
    STREAM_ROW_IDS, STREAM_CONNECTION_TEXT,
};

/* ------------------------------------------------------------------ */
/* UUIDs, dates, timestamps                                            */
/* ------------------------------------------------------------------ */

typedef struct {
    char s[37];
} uuid_str;

static const char HEX[] = "0123456789abcdef";

/* A version-4 uuid from 128 bits, as 36 characters (no NUL).  The version
 * and variant bits overwrite bits 12-15 of hi and 62-63 of lo, never the top
 * 48 bits of hi (see id_sequence). */
static void format_uuid_bits(uint64_t hi, uint64_t lo, char *out)
{
    unsigned char b[16];

    for (int i = 0; i < 8; i++) {
        b[i] = (unsigned char)(hi >> (56 - 8 * i));
        b[8 + i] = (unsigned char)(lo >> (56 - 8 * i));
    }
    b[6] = (unsigned char)((b[6] & 0x0F) | 0x40);
    b[8] = (unsigned char)((b[8] & 0x3F) | 0x80);
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *out++ = '-';
        *out++ = HEX[b[i] >> 4];
        *out++ = HEX[b[i] & 15];
    }
}

static void format_uuid(rng *r, char *out)
{
    uint64_t hi = rng_next(r);

    format_uuid_bits(hi, rng_next(r), out);
}

static void new_uuid(rng *r, uuid_str *u)
{
    format_uuid(r, u->s);
    u->s[36] = '\0';
}

/* Ids of the rows written straight into COPY (repositories, videos, articles
 * and the daily tables) come out in ascending order: the top 48 bits grow by
 * exponential gaps, which are the spacings of sorted uniform samples, so the
 * ids are distributed like sorted random uuids.  Together with connections
 * visited in id order, every btree of those tables but the date indexes sees
 * ascending keys and takes PostgreSQL's rightmost-leaf fast path instead of a
 * random descent: the load is several times faster, the data the same. */
typedef struct {
    rng r;
    uint64_t prefix;            /* top 48 bits of the last id */
    double mean_gap;
} id_sequence;

static void id_sequence_init(id_sequence *seq, uint64_t seed, uint64_t table,
                             double expected_rows)
{
    rng_init(&seq->r, seed, STREAM_ROW_IDS, table);
    seq->prefix = 0;
    /* spread over ~90% of the space so that the sum of gaps stays below 2^48 */
    seq->mean_gap = 0.9 * 0x1.0p48 / (expected_rows + 1);
}

static void format_next_id(id_sequence *seq, char *out)
{
    const uint64_t limit = ((uint64_t)1 << 48) - 1;
    uint64_t gap = 1 + (uint64_t)(-log(rng_open(&seq->r)) * seq->mean_gap);

    /* past the estimate (cannot happen for the counts made here): keep order */
    seq->prefix = seq->prefix < limit - gap ? seq->prefix + gap : seq->prefix + 1;
    uint64_t hi = seq->prefix << 16 | (rng_next(&seq->r) & 0xFFFF);
    format_uuid_bits(hi, rng_next(&seq->r), out);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;

    if (a % b != 0 && ((a < 0) != (b < 0)))
        q--;
    return q;
}

/* Day number (days since 1970-01-01) of a proleptic Gregorian date, and back
 * (Howard Hinnant's civil calendar algorithms). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    const int64_t era = floor_div(y, 400);
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    const int64_t era = floor_div(z, 146097);
    const int64_t doe = z - era * 146097;
    const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Writes v as exactly `width` zero-padded digits. */
static char *put_fixed(char *p, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

/* "YYYY-MM-DD" (10 characters, no NUL); years 1000..9999. */
static char *put_date(char *p, int64_t day)
{
    int y, m, d;

    civil_from_days(day, &y, &m, &d);
    p = put_fixed(p, (unsigned)y, 4);
    *p++ = '-';
    p = put_fixed(p, (unsigned)m, 2);
    *p++ = '-';
    return put_fixed(p, (unsigned)d, 2);
}

/* "YYYY-MM-DD HH:MM:SS+00" (22 characters, no NUL) for a Unix time. */
static char *put_timestamp(char *p, int64_t t)
{
    int64_t day = floor_div(t, 86400);
    unsigned sec = (unsigned)(t - day * 86400);

    p = put_date(p, day);
    *p++ = ' ';
    p = put_fixed(p, sec / 3600, 2);
    *p++ = ':';
    p = put_fixed(p, sec / 60 % 60, 2);
    *p++ = ':';
    p = put_fixed(p, sec % 60, 2);
    *p++ = '+';
    *p++ = '0';
    *p++ = '0';
    return p;
}

/* Parses a strict YYYY-MM-DD into a day number; -1 when it is not a date. */
static int parse_date(const char *s, int64_t *day)
{
    int y, m, d, y2, m2, d2;

    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return -1;
    y = atoi(s);
    m = atoi(s + 5);
    d = atoi(s + 8);
    if (m < 1 || m > 12 || d < 1 || d > 31)
        return -1;
    *day = days_from_civil(y, m, d);
    civil_from_days(*day, &y2, &m2, &d2);
    return y == y2 && m == m2 && d == d2 ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* Fixed vocabularies                                                  */
/* ------------------------------------------------------------------ */

enum { GITHUB, YOUTUBE, DEVTO, TWITTER, N_PLATFORMS };
static const char *const PLATFORM_NAME[N_PLATFORMS] = {
    "github", "youtube", "devto", "twitter"
};

/* profiles.timezone values.  The common zones carry most users; the others
 * are edge cases for the engine: odd offsets, DST rules of every kind
 * (30-minute DST, DST at midnight, southern hemisphere), POSIX-style and
 * fixed-offset names, and invalid values that must fall back to UTC. */
typedef struct {
    const char *name;   /* NULL: profiles.timezone IS NULL */
    unsigned weight;    /* relative frequency among the common zones */
} zone_def;

#define N_COMMON_ZONES 12   /* the first entries; the others are edge cases */

static const zone_def ZONES[] = {
    {"UTC", 120},
    {"Europe/Berlin", 90},
    {"America/New_York", 90},
    {"America/Los_Angeles", 70},
    {"Europe/London", 60},
    {"Asia/Kolkata", 60},
    {"Europe/Paris", 40},
    {"America/Chicago", 40},
    {"America/Sao_Paulo", 30},
    {"Asia/Tokyo", 30},
    {"Australia/Sydney", 25},
    {"Asia/Singapore", 20},
    /* edge cases: weight 0, one user in five gets the next one in turn */
    {"Australia/Lord_Howe", 0},  /* +10:30, DST +30 min */
    {"Asia/Kathmandu", 0},       /* +05:45 */
    {"Australia/Eucla", 0},      /* +08:45 */
    {"Pacific/Chatham", 0},      /* +12:45, DST */
    {"America/St_Johns", 0},     /* -03:30, DST */
    {"America/Santiago", 0},     /* DST at midnight, southern */
    {"America/Havana", 0},       /* DST at midnight */
    {"Africa/Cairo", 0},         /* DST at midnight */
    {"Pacific/Kiritimati", 0},   /* +14 */
    {"Pacific/Pago_Pago", 0},    /* -11 */
    {"Asia/Tehran", 0},          /* +03:30 */
    {"Etc/GMT+5", 0},            /* POSIX sign: UTC-5 */
    {"EST5EDT", 0},              /* valid, POSIX-style */
    /* invalid: the engine uses UTC and warns */
    {NULL, 0},
    {"", 0},
    {"europe/berlin", 0},
    {" UTC", 0},
    {"Mars/Olympus", 0},
};
#define N_ZONES ((int)COUNT_OF(ZONES))

static const char *const FIRST[] = {
    "ada", "alan", "grace", "linus", "ken", "dennis", "barbara", "margaret",
    "guido", "bjarne", "anders", "yukihiro", "rich", "rob", "james", "sophie",
    "lena", "omar", "priya", "chen", "mateo", "aisha", "ivan", "kofi", "sara",
    "noah", "mia", "liam", "emma", "yuki",
};
static const char *const LAST[] = {
    "lovelace", "turing", "hopper", "torvalds", "thompson", "ritchie",
    "liskov", "hamilton", "rossum", "stroustrup", "hejlsberg", "matsumoto",
    "hickey", "pike", "gosling", "wilson", "fischer", "haddad", "sharma",
    "wei", "garcia", "okafor", "petrov", "mensah", "kowalski", "nguyen",
    "kim", "silva", "tanaka", "berg",
};
/* Some display names outside ASCII. */
static const char *const UNICODE_NAMES[] = {
    "José Álvarez", "Zoë Müller", "李雷", "Søren Ærø", "Łukasz Żółw",
    "Ñusta Quispe", "Đorđe Petrović", "Ayşe Yılmaz",
};
static const char *const BIOS[] = {
    "Open source maintainer.", "Backend engineer, coffee driven.",
    "I write about Rust and databases.", "Building developer tools.",
    "Frontend dev. Accessibility nerd.", "Teaching code on YouTube.",
    "SRE by day, gamer by night.", "Making the web faster, one byte at a time.",
};
static const char *const ADJ[] = {
    "fast", "tiny", "lazy", "quantum", "rusty", "async", "simple", "awesome",
    "open", "micro", "hyper", "smart", "secure", "cloud", "neo", "retro",
    "silent", "blue", "red", "green",
};
static const char *const NOUN[] = {
    "parser", "cache", "router", "engine", "toolkit", "server", "bot", "cli",
    "dashboard", "compiler", "api", "scheduler", "logger", "notes",
    "dotfiles", "blog", "game", "sdk", "proxy", "db",
};
static const char *const LANGUAGES[] = {
    "C", "Rust", "Go", "Python", "TypeScript", "JavaScript", "Java", "Kotlin",
    "Ruby", "Shell", "C++", "Haskell", "Zig", "Elixir",
};
static const char *const TAGS[] = {
    "javascript", "webdev", "beginners", "programming", "tutorial", "python",
    "react", "devops", "rust", "career", "opensource", "ai", "productivity",
    "go", "css",
};
static const int SYNC_FREQUENCIES[] = {15, 15, 15, 30, 60, 5, 1440};

static const char *pick(rng *r, const char *const *list, size_t n)
{
    return list[rng_below(r, (int64_t)n)];
}
#define PICK(r, list) pick((r), (list), COUNT_OF(list))

/* ------------------------------------------------------------------ */
/* The model: everything but the daily tables, kept in memory          */
/* ------------------------------------------------------------------ */

typedef struct {
    uuid_str id;
    int zone;                   /* index into ZONES */
    char handle[40];            /* ASCII user name on the platforms */
    char display[64];
    bool display_null;
    int bio;                    /* index into BIOS, -1 NULL */
    int64_t created_at;
    double fame;                /* popularity multiplier, lognormal */
    double activity;            /* chance of a contribution on a weekday */
    double commit_mean;         /* commits on an active day */
    bool has[N_PLATFORMS];
    int conn[N_PLATFORMS];      /* index into conns, -1 none */
    int ws[4];                  /* workspaces owned or joined */
    bool ws_owner[4];
    int n_ws;
} user_row;

typedef struct {
    uuid_str id;
    int owner;
    int number;
    int64_t created_at;
} workspace_row;

typedef struct {
    int ws;
    int user;
    const char *role;
    int64_t joined_at;
} member_row;

typedef struct {
    uuid_str id;
    int user;
    int platform;
    bool active;
    char platform_user_id[32];
    int64_t created_at;
    int64_t last_synced_at;     /* NO_TIME: never */
    char sync_hms[24];          /* time of day the daily rows were written */
    int first_item;             /* repositories / videos / articles */
    int n_items;
} conn_row;

typedef struct {
    int conn;
    int64_t github_repo_id;
    int64_t created_at;
} repo_row;

typedef struct {
    int conn;
    int64_t published_at;
} video_row;

typedef struct {
    int conn;
    int64_t devto_article_id;
    int64_t published_at;       /* NO_TIME: a draft */
} article_row;

typedef struct {
    uuid_str id;
    int user;
    int ws;                     /* -1: NULL */
    const char *platform;
    int conn;
    const char *type;
    char resource[40];
    bool resource_null;
    bool active;
    int sync_frequency;
    int64_t created_at;
} monitor_row;

typedef struct {
    uuid_str id;
    int user;
    int ws;                     /* -1: personal */
    const char *platform;
    const char *type;
    char target[32];
    char current[32];
    const char *unit;
    int64_t start_day;
    int64_t end_day;            /* NO_TIME: open-ended */
    bool achieved;
    int64_t achieved_at;        /* NO_TIME: NULL */
    int64_t created_at;
    int64_t updated_at;
} goal_row;

/* Local midnights per zone, as the server computes them. */
typedef struct {
    int64_t base_day;           /* mid[z][0] is for this day */
    int n_days;
    int64_t *mid;               /* [zone * n_days + k] */
    int *dst_days[N_ZONES];     /* days in the window not 24 h long */
    int n_dst[N_ZONES];
} zone_clock;

typedef struct {
    uint64_t seed;
    int days;
    int64_t first_day;          /* first day of the window */
    int64_t end_day;            /* end-date */
    zone_clock clock;
    char (*day_text)[11];       /* "YYYY-MM-DD" for clock.base_day + k */

    user_row *users;
    size_t n_users;
    workspace_row *ws;
    size_t n_ws;
    member_row *members;
    size_t n_members, cap_members;
    conn_row *conns;
    size_t n_conns, cap_conns;
    int *conn_order;            /* connection indexes in ascending id order */
    repo_row *repos;
    size_t n_repos, cap_repos;
    video_row *videos;
    size_t n_videos, cap_videos;
    article_row *articles;
    size_t n_articles, cap_articles;
    monitor_row *monitors;
    size_t n_monitors, cap_monitors;
    goal_row *goals;
    size_t n_goals, cap_goals;
} model;


static void model_free(model *m)
{
    free(m->clock.mid);
    for (int z = 0; z < N_ZONES; z++)
        free(m->clock.dst_days[z]);
    free(m->day_text);
    free(m->users);
    free(m->ws);
    free(m->members);
    free(m->conns);
    free(m->conn_order);
    free(m->repos);
    free(m->videos);
    free(m->articles);
    free(m->monitors);
    free(m->goals);
}

/* ------------------------------------------------------------------ */
/* Time placement                                                      */
/* ------------------------------------------------------------------ */

static int64_t local_midnight(const model *m, int zone, int64_t day)
{
    const zone_clock *zc = &m->clock;
    int64_t k = day - zc->base_day;

    if (k < 0 || k >= zc->n_days) {     /* cannot happen: a bug */
        fail("internal error: day %" PRId64 " outside the zone clock", day);
        abort();
    }
    return zc->mid[(size_t)zone * (size_t)zc->n_days + (size_t)k];
}

/* An instant on local day `day` of `zone`: mostly a random time of that day,
 * but one time in four an edge the engine must get right: the minutes around
 * a local midnight, UTC midnight, or (in zones with DST) the days of a switch,
 * where a day lasts 23 or 25 hours (23.5/24.5 on Lord Howe). */
static int64_t place_on_day(const model *m, rng *r, int zone, int64_t day)
{
    int64_t start = local_midnight(m, zone, day);
    int64_t next = local_midnight(m, zone, day + 1);

    if (!rng_chance(r, 0.25))
        return start + rng_below(r, next - start);

    int kind = (int)rng_below(r, 10);
    if (kind >= 6) {
        const zone_clock *zc = &m->clock;
        if (zc->n_dst[zone] > 0) {
            day = zc->dst_days[zone][rng_below(r, zc->n_dst[zone])];
            start = local_midnight(m, zone, day);
            next = local_midnight(m, zone, day + 1);
        } else {
            kind -= 6;          /* no switch in the window: a plain edge */
        }
    }
    switch (kind) {
    case 0: case 6: return next - 1800;     /* 23:30 local */
    case 1: case 7: return start + 1800;    /* 00:30 local */
    case 2: return next - 1;                /* 23:59:59 local */
    case 3: return start;                   /* 00:00:00 local */
    case 4: return day * 86400;             /* UTC midnight */
    case 5: return day * 86400 + 86399;     /* UTC 23:59:59 */
    case 8: return start + 9000;            /* ~02:30, the usual switch hour */
    default: return next + 1800;            /* 00:30 the day after a switch */
    }
}

/* When a repository, video or article appeared: years before the window
 * (chance p_old), just after end-date (p_future), else inside the window. */
static int64_t item_instant(const model *m, rng *r, int zone, double p_old, double p_future)
{
    double u = rng_unit(r);

    if (u < p_old) {
        /* skewed towards the recent past */
        double v = rng_unit(r);
        int64_t back = 1 + (int64_t)(v * v * OLD_YEARS * 365);
        return (m->first_day - back) * 86400 + rng_below(r, 86400);
    }
    if (u < p_old + p_future)
        return place_on_day(m, r, zone, m->end_day + rng_range(r, 1, FUTURE_DAYS));
    return place_on_day(m, r, zone, m->first_day + rng_below(r, m->days));
}

static int64_t window_start_time(const model *m)
{
    return m->first_day * 86400;
}

static int64_t window_end_time(const model *m)
{
    return (m->end_day + 1) * 86400 - 1;
}

static int64_t min64(int64_t a, int64_t b)
{
    return a < b ? a : b;
}

static int64_t max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

/* ------------------------------------------------------------------ */
/* Building the model                                                  */
/* ------------------------------------------------------------------ */

/* Edge cases are handed out round-robin (see the header comment). */
typedef struct {
    unsigned next;
} rotation;

static int rotate(rotation *rot, int n)
{
    return (int)(rot->next++ % (unsigned)n);
}

/* A common zone, by weight. */
static int pick_zone(rng *r)
{
    unsigned total = 0;

    for (int z = 0; z < N_COMMON_ZONES; z++)
        total += ZONES[z].weight;
    int64_t x = rng_below(r, total);
    for (int z = 0; z < N_COMMON_ZONES; z++) {
        x -= ZONES[z].weight;
        if (x < 0)
            return z;
    }
    return 0;
}

static void build_users(model *m)
{
    rng r;
    size_t yt_slot = 0, devto_slot = 0, twitter_slot = 0;
    rotation edge_zones = {0};

    rng_init(&r, m->seed, STREAM_USERS, 0);
    m->users = xcalloc(m->n_users, sizeof *m->users);
    for (size_t i = 0; i < m->n_users; i++) {
        user_row *u = &m->users[i];

        /* Platforms by blocks, so that small runs have their share: exactly
         * one user in 10 on YouTube, one in 5 on Dev.to, one in 25 with a
         * connection to the unknown platform 'twitter'. */
        if (i % 10 == 0)
            yt_slot = i + (size_t)rng_below(&r, 10);
        if (i % 5 == 0)
            devto_slot = i + (size_t)rng_below(&r, 5);
        if (i % 25 == 0)
            twitter_slot = i + (size_t)rng_below(&r, 25);
        u->has[GITHUB] = true;
        u->has[YOUTUBE] = i == yt_slot;
        u->has[DEVTO] = i == devto_slot;
        u->has[TWITTER] = i == twitter_slot;
        for (int p = 0; p < N_PLATFORMS; p++)
            u->conn[p] = -1;

        new_uuid(&r, &u->id);
        /* The first users cover every zone; then one user in five gets the
         * next edge-case zone in turn, the others a common zone. */
        if (i < (size_t)N_ZONES)
            u->zone = (int)i;
        else if (i % 5 == 0)
            u->zone = N_COMMON_ZONES + rotate(&edge_zones, N_ZONES - N_COMMON_ZONES);
        else
            u->zone = pick_zone(&r);

        const char *first = PICK(&r, FIRST), *last = PICK(&r, LAST);
        snprintf(u->handle, sizeof u->handle, "%s%s%zu", first, last, i);
        if (rng_chance(&r, 0.04)) {
            snprintf(u->display, sizeof u->display, "%s", PICK(&r, UNICODE_NAMES));
        } else {
            snprintf(u->display, sizeof u->display, "%c%s %c%s",
                     first[0] - 'a' + 'A', first + 1, last[0] - 'a' + 'A', last + 1);
        }
        u->display_null = rng_chance(&r, 0.05);
        u->bio = rng_chance(&r, 0.4) ? -1 : (int)rng_below(&r, COUNT_OF(BIOS));
        u->created_at = window_start_time(m) - rng_below(&r, 400 * 86400);
        if (rng_chance(&r, 0.2))
            u->created_at = window_start_time(m) + rng_below(&r, (int64_t)m->days * 86400);

        u->fame = rng_lognormal(&r, 0.0, 1.3);
        if (rng_chance(&r, 0.03)) {
            u->activity = 0.0;          /* dormant: only zeros */
        } else {
            double a = rng_unit(&r);
            u->activity = 0.03 + 0.9 * a * a;
        }
        u->commit_mean = rng_lognormal(&r, 0.5, 0.8);
    }
}

static bool in_workspace(const model *m, int user, int ws)
{
    const user_row *u = &m->users[user];

    for (int i = 0; i < u->n_ws; i++)
        if (u->ws[i] == ws)
            return true;
    return false;
}

static void join_workspace(model *m, int user, int ws, bool owner)
{
    user_row *u = &m->users[user];

    if (u->n_ws < (int)COUNT_OF(u->ws) && !in_workspace(m, user, ws)) {
        u->ws[u->n_ws] = ws;
        u->ws_owner[u->n_ws] = owner;
        u->n_ws++;
    }
}

static void add_member(model *m, int ws, int user, const char *role, int64_t joined_at)
{
    RESERVE(m->members, m->n_members, m->cap_members);
    member_row *mb = &m->members[m->n_members++];
    mb->ws = ws;
    mb->user = user;
    mb->role = role;
    mb->joined_at = joined_at;
}

/* About one workspace per 20 users with 2-8 members; the owner usually has a
 * member row with role 'owner' too (not always: the engine must take the
 * owner from workspaces.owner_id). */
static void build_workspaces(model *m)
{
    rng r;

    rng_init(&r, m->seed, STREAM_WORKSPACES, 0);
    m->n_ws = m->n_users >= 2 ? (m->n_users / 20 > 0 ? m->n_users / 20 : 1) : 0;
    m->ws = xcalloc(m->n_ws, sizeof *m->ws);
    for (size_t w = 0; w < m->n_ws; w++) {
        workspace_row *ws = &m->ws[w];
        int64_t n_rows = min64(rng_range(&r, 2, 8), (int64_t)m->n_users);
        size_t first_member = m->n_members;

        new_uuid(&r, &ws->id);
        ws->number = (int)w + 1;
        ws->owner = (int)rng_below(&r, (int64_t)m->n_users);
        ws->created_at = window_start_time(m) - rng_below(&r, 300 * 86400);
        join_workspace(m, ws->owner, (int)w, true);
        /* every 8th workspace, from the second on, has no owner row */
        if (w % 8 != 1) {
            add_member(m, (int)w, ws->owner, "owner", ws->created_at);
            n_rows--;
        }
        for (int tries = 0; n_rows > 0 && tries < 100; tries++) {
            int user = (int)rng_below(&r, (int64_t)m->n_users);
            bool taken = user == ws->owner;
            for (size_t k = first_member; k < m->n_members && !taken; k++)
                taken = m->members[k].user == user;
            if (taken)
                continue;
            add_member(m, (int)w, user, rng_chance(&r, 0.2) ? "admin" : "member",
                       ws->created_at + rng_below(&r, 200 * 86400));
            join_workspace(m, user, (int)w, false);
            n_rows--;
        }
    }
}

static void random_chars(rng *r, char *out, size_t n, const char *alphabet)
{
    size_t len = strlen(alphabet);

    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[rng_below(r, (int64_t)len)];
    out[n] = '\0';
}

static const char ALNUM[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
static const char BASE64URL[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* One connection per (user, platform): the unique index allows no more. */
static void build_connections(model *m)
{
    rng r;

    rng_init(&r, m->seed, STREAM_CONNECTIONS, 0);
    for (size_t i = 0; i < m->n_users; i++) {
        user_row *u = &m->users[i];
        for (int p = 0; p < N_PLATFORMS; p++) {
            if (!u->has[p])
                continue;
            RESERVE(m->conns, m->n_conns, m->cap_conns);
            conn_row *c = &m->conns[m->n_conns];
            memset(c, 0, sizeof *c);
            u->conn[p] = (int)m->n_conns++;
            new_uuid(&r, &c->id);
            c->user = (int)i;
            c->platform = p;
            c->active = !rng_chance(&r, 0.05);
            if (p == YOUTUBE) {
                memcpy(c->platform_user_id, "UC", 2);
                random_chars(&r, c->platform_user_id + 2, 22, BASE64URL);
            } else {
                snprintf(c->platform_user_id, sizeof c->platform_user_id,
                         "%" PRId64, rng_range(&r, 1000, 180000000));
            }
            c->created_at = u->created_at + rng_below(&r, 30 * 86400);
            if (rng_chance(&r, 0.03))
                c->last_synced_at = NO_TIME;
            else if (!c->active)
                c->last_synced_at = window_start_time(m) + rng_below(&r, (int64_t)m->days * 86400);
            else
                c->last_synced_at = window_end_time(m) + 1 + rng_below(&r, 6 * 3600);
            int64_t sec = rng_range(&r, 3600, 6 * 3600);
            snprintf(c->sync_hms, sizeof c->sync_hms, "%02d:%02d:%02d",
                     (int)(sec / 3600), (int)(sec / 60 % 60), (int)(sec % 60));
        }
    }
}

/* How many repositories, videos or articles: lognormal, some with none. */
static int item_count(rng *r, double p_none, double mu, double sigma, int cap)
{
    if (rng_chance(r, p_none))
        return 0;
    double n = 1 + floor(rng_lognormal(r, mu, sigma));
    return n > cap ? cap : (int)n;
}

static void build_items(model *m)
{
    rng r;
    int64_t repo_id = 1000000, article_id = 100000;

    rng_init(&r, m->seed, STREAM_ITEMS, 0);
    for (size_t c = 0; c < m->n_conns; c++) {
        conn_row *cn = &m->conns[c];
        int zone = m->users[cn->user].zone;

        switch (cn->platform) {
        case GITHUB:
            cn->first_item = (int)m->n_repos;
            cn->n_items = item_count(&r, 0.05, 1.7, 1.0, 300);
            for (int k = 0; k < cn->n_items; k++) {
                RESERVE(m->repos, m->n_repos, m->cap_repos);
                repo_row *rp = &m->repos[m->n_repos++];
                rp->conn = (int)c;
                repo_id += rng_range(&r, 1, 5000);  /* unique, with gaps */
                rp->github_repo_id = repo_id;
                rp->created_at = item_instant(m, &r, zone, 0.6, 0.02);
            }
            break;
        case YOUTUBE:
            cn->first_item = (int)m->n_videos;
            cn->n_items = item_count(&r, 0.05, 2.8, 1.0, 500);
            for (int k = 0; k < cn->n_items; k++) {
                RESERVE(m->videos, m->n_videos, m->cap_videos);
                video_row *v = &m->videos[m->n_videos++];
                v->conn = (int)c;
                v->published_at = item_instant(m, &r, zone, 0.45, 0.04);
            }
            break;
        case DEVTO:
            cn->first_item = (int)m->n_articles;
            cn->n_items = item_count(&r, 0.1, 1.8, 0.9, 200);
            for (int k = 0; k < cn->n_items; k++) {
                RESERVE(m->articles, m->n_articles, m->cap_articles);
                article_row *a = &m->articles[m->n_articles++];
                a->conn = (int)c;
                article_id += rng_range(&r, 1, 30);
                a->devto_article_id = article_id;
                a->published_at = rng_chance(&r, 0.12)
                    ? NO_TIME   /* a draft */
                    : item_instant(m, &r, zone, 0.35, 0.04);
            }
            break;
        default:
            break;
        }
    }
}

/* --- monitors --- */

static monitor_row *add_monitor(model *m, rng *r, int user, int conn,
                                const char *platform, const char *type)
{
    RESERVE(m->monitors, m->n_monitors, m->cap_monitors);
    monitor_row *mo = &m->monitors[m->n_monitors++];
    const conn_row *c = &m->conns[conn];

    memset(mo, 0, sizeof *mo);
    new_uuid(r, &mo->id);
    mo->user = user;
    mo->ws = -1;
    mo->conn = conn;
    mo->platform = platform;
    mo->type = type;
    mo->resource_null = true;
    mo->active = !rng_chance(r, 0.06);
    mo->sync_frequency = SYNC_FREQUENCIES[rng_below(r, COUNT_OF(SYNC_FREQUENCIES))];
    mo->created_at = max64(c->created_at, m->users[user].created_at) + rng_below(r, 20 * 86400);
    return mo;
}

static void set_resource_id(monitor_row *mo, int64_t id)
{
    snprintf(mo->resource, sizeof mo->resource, "%" PRId64, id);
    mo->resource_null = false;
}

static void set_resource_text(monitor_row *mo, const char *text)
{
    snprintf(mo->resource, sizeof mo->resource, "%s", text);
    mo->resource_null = false;
}

/* A random repository of a github connection; -1 when it has none. */
static int64_t some_repo_id(const model *m, rng *r, int conn)
{
    const conn_row *c = &m->conns[conn];

    if (conn < 0 || c->n_items == 0)
        return -1;
    return m->repos[c->first_item + rng_below(r, c->n_items)].github_repo_id;
}

/* 'repository' monitors on up to `n` distinct repositories of a connection. */
static void add_repo_monitors(model *m, rng *r, int user, int conn, int n)
{
    const conn_row *c = &m->conns[conn];
    int first = c->first_item, count = c->n_items;

    if (count == 0)
        return;
    int start = (int)rng_below(r, count);
    for (int k = 0; k < n && k < count; k++) {
        int64_t id = m->repos[first + (start + k) % count].github_repo_id;
        set_resource_id(add_monitor(m, r, user, conn, "github", "repository"), id);
    }
}

/* Another user than `user`, or -1 when there is none. */
static int other_user(const model *m, rng *r, int user)
{
    if (m->n_users < 2)
        return -1;
    int other = (int)rng_below(r, (int64_t)m->n_users - 1);
    return other >= user ? other + 1 : other;
}

/* What a user normally monitors on each connection. */
static void add_usual_monitors(model *m, rng *r, int user)
{
    const user_row *u = &m->users[user];
    size_t first = m->n_monitors;

    for (int p = 0; p < N_PLATFORMS; p++) {
        int conn = u->conn[p];
        if (conn < 0)
            continue;
        double x = rng_unit(r);
        monitor_row *mo;
        switch (p) {
        case GITHUB:
            if (x < 0.55) {
                add_monitor(m, r, user, conn, "github", "all");
            } else if (x < 0.75) {
                mo = add_monitor(m, r, user, conn, "github", "user");
                if (rng_chance(r, 0.5))
                    set_resource_text(mo, u->handle);
            } else if (x < 0.85) {
                add_repo_monitors(m, r, user, conn, (int)rng_range(r, 1, 3));
            } else if (x < 0.93) {
                /* overlapping monitors: each resource must count once */
                add_monitor(m, r, user, conn, "github", "all");
                add_monitor(m, r, user, conn, "github", "user");
                add_repo_monitors(m, r, user, conn, (int)rng_range(r, 1, 2));
            }   /* else connected but not monitored */
            break;
        case YOUTUBE:
            if (x < 0.5) {
                mo = add_monitor(m, r, user, conn, "youtube", "channel");
                set_resource_text(mo, m->conns[conn].platform_user_id);
            } else if (x < 0.75) {
                add_monitor(m, r, user, conn, "youtube", "all");
            } else if (x < 0.9) {
                add_monitor(m, r, user, conn, "youtube", "user");
            }
            break;
        case DEVTO:
            if (x < 0.6)
                add_monitor(m, r, user, conn, "devto", "all");
            else if (x < 0.9)
                add_monitor(m, r, user, conn, "devto", "user");
            break;
        default:
            /* the unknown platform: the engine ignores it with a warning */
            add_monitor(m, r, user, conn, "twitter", x < 0.7 ? "all" : "user");
            break;
        }
    }
    /* Members put some of their monitors into a workspace. */
    if (u->n_ws > 0)
        for (size_t k = first; k < m->n_monitors; k++)
            if (rng_chance(r, 0.4))
                m->monitors[k].ws = u->ws[rng_below(r, u->n_ws)];
}

enum {
    ME_REPO_MISSING,        /* repository id that exists nowhere */
    ME_REPO_NULL,           /* repository monitor without a resource id */
    ME_REPO_OF_OTHER,       /* id of another user's repository */
    ME_CHANNEL_ON_GITHUB,
    ME_PLAYLIST,            /* unknown monitor_type */
    ME_TYPE_CASE,           /* 'All': unknown, types are case-sensitive */
    ME_PLATFORM_MISMATCH,   /* monitor platform differs from the connection's */
    ME_OTHERS_CONNECTION,   /* user_id is not the connection's user */
    ME_INACTIVE,
    ME_OVERLAP,
    ME_WS_NON_MEMBER,       /* workspace_id of a workspace the user is not in */
    ME_CONNECTION_INACTIVE, /* the connection itself is switched off */
    N_MONITOR_EDGES
};

static void add_monitor_edge(model *m, rng *r, int user, int edge)
{
    const user_row *u = &m->users[user];
    int gh = u->conn[GITHUB], other = other_user(m, r, user);
    monitor_row *mo;
    int64_t id;

    switch (edge) {
    case ME_REPO_MISSING:
        /* far above every generated id */
        mo = add_monitor(m, r, user, gh, "github", "repository");
        set_resource_id(mo, 900000000000 + rng_below(r, 1000000000));
        break;
    case ME_REPO_NULL:
        add_monitor(m, r, user, gh, "github", "repository");
        break;
    case ME_REPO_OF_OTHER:
        id = other >= 0 ? some_repo_id(m, r, m->users[other].conn[GITHUB]) : -1;
        mo = add_monitor(m, r, user, gh, "github", "repository");
        set_resource_id(mo, id >= 0 ? id : 1);
        break;
    case ME_CHANNEL_ON_GITHUB:
        add_monitor(m, r, user, gh, "github", "channel");
        break;
    case ME_PLAYLIST:
        mo = add_monitor(m, r, user, gh, "github", "playlist");
        set_resource_text(mo, "PL0123456789abcdef");
        break;
    case ME_TYPE_CASE:
        add_monitor(m, r, user, gh, "github", "All");
        break;
    case ME_PLATFORM_MISMATCH:
        add_monitor(m, r, user, gh, rng_chance(r, 0.5) ? "youtube" : "devto", "all");
        break;
    case ME_OTHERS_CONNECTION:
        if (other >= 0)
            add_monitor(m, r, user, m->users[other].conn[GITHUB], "github", "all");
        break;
    case ME_INACTIVE:
        add_monitor(m, r, user, gh, "github", "all")->active = false;
        break;
    case ME_OVERLAP:
        add_monitor(m, r, user, gh, "github", "all");
        add_monitor(m, r, user, gh, "github", "all");
        add_repo_monitors(m, r, user, gh, 2);
        break;
    case ME_WS_NON_MEMBER:
        for (int tries = 0; tries < 20 && m->n_ws > 0; tries++) {
            int w = (int)rng_below(r, (int64_t)m->n_ws);
            if (!in_workspace(m, user, w)) {
                add_monitor(m, r, user, gh, "github", "all")->ws = w;
                break;
            }
        }
        break;
    case ME_CONNECTION_INACTIVE:
        m->conns[gh].active = false;
        add_monitor(m, r, user, gh, "github", "all");
        break;
    default:
        break;
    }
}

enum {
    YE_REPO_ON_YOUTUBE,
    YE_GITHUB_ON_YOUTUBE,   /* platform github, an existing repo id, youtube conn */
    YE_OVERLAP,
    YE_PLAYLIST,
    YE_INACTIVE,
    YE_OTHERS_CHANNEL,      /* someone else's youtube connection */
    N_YOUTUBE_EDGES
};

static void add_youtube_edge(model *m, rng *r, int user, int edge)
{
    const user_row *u = &m->users[user];
    int yt = u->conn[YOUTUBE];
    int64_t id;
    monitor_row *mo;

    switch (edge) {
    case YE_REPO_ON_YOUTUBE:
        id = some_repo_id(m, r, u->conn[GITHUB]);
        set_resource_id(add_monitor(m, r, user, yt, "youtube", "repository"), id >= 0 ? id : 7);
        break;
    case YE_GITHUB_ON_YOUTUBE:
        id = some_repo_id(m, r, u->conn[GITHUB]);
        set_resource_id(add_monitor(m, r, user, yt, "github", "repository"), id >= 0 ? id : 7);
        break;
    case YE_OVERLAP:
        mo = add_monitor(m, r, user, yt, "youtube", "channel");
        set_resource_text(mo, m->conns[yt].platform_user_id);
        add_monitor(m, r, user, yt, "youtube", "all");
        add_monitor(m, r, user, yt, "youtube", "user");
        break;
    case YE_PLAYLIST:
        set_resource_text(add_monitor(m, r, user, yt, "youtube", "playlist"), "PLxyz");
        break;
    case YE_INACTIVE:
        add_monitor(m, r, user, yt, "youtube", "channel")->active = false;
        break;
    case YE_OTHERS_CHANNEL:
        for (size_t c = 0; c < m->n_conns; c++) {
            size_t k = (size_t)(yt + 1 + (int)c) % m->n_conns;
            if (m->conns[k].platform == YOUTUBE && (int)k != yt) {
                add_monitor(m, r, user, (int)k, "youtube", "channel");
                break;
            }
        }
        break;
    default:
        break;
    }
}

enum {
    DE_REPO_ON_DEVTO,
    DE_CHANNEL_ON_DEVTO,
    DE_MISMATCH,            /* devto connection, platform youtube */
    DE_OVERLAP,
    N_DEVTO_EDGES
};

static void add_devto_edge(model *m, rng *r, int user, int edge)
{
    int dv = m->users[user].conn[DEVTO];

    switch (edge) {
    case DE_REPO_ON_DEVTO:
        set_resource_id(add_monitor(m, r, user, dv, "devto", "repository"), 12345);
        break;
    case DE_CHANNEL_ON_DEVTO:
        add_monitor(m, r, user, dv, "devto", "channel");
        break;
    case DE_MISMATCH:
        add_monitor(m, r, user, dv, "youtube", "all");
        break;
    case DE_OVERLAP:
        add_monitor(m, r, user, dv, "devto", "all");
        add_monitor(m, r, user, dv, "devto", "user");
        break;
    default:
        break;
    }
}

enum {
    WE_OWNER,               /* the owner's monitor in the workspace */
    WE_MEMBER_REPO,         /* a member's repository monitor in the workspace */
    WE_INACTIVE,
    WE_OVERLAP,             /* the same connection twice in the workspace */
    N_WORKSPACE_EDGES
};

static void add_workspace_edge(model *m, rng *r, int user, int edge)
{
    const user_row *u = &m->users[user];
    int gh = u->conn[GITHUB];
    int slot = (int)rng_below(r, u->n_ws);
    int w = u->ws[slot];

    /* prefer a workspace the user owns for WE_OWNER */
    for (int i = 0; i < u->n_ws && edge == WE_OWNER; i++)
        if (u->ws_owner[i])
            w = u->ws[i];
    switch (edge) {
    case WE_OWNER:
        add_monitor(m, r, user, gh, "github", "user")->ws = w;
        break;
    case WE_MEMBER_REPO: {
        size_t before = m->n_monitors;
        add_repo_monitors(m, r, user, gh, 1);
        if (m->n_monitors > before)
            m->monitors[before].ws = w;
        break;
    }
    case WE_INACTIVE: {
        monitor_row *mo = add_monitor(m, r, user, gh, "github", "all");
        mo->ws = w;
        mo->active = false;
        break;
    }
    case WE_OVERLAP:
        add_monitor(m, r, user, gh, "github", "all")->ws = w;
        add_monitor(m, r, user, gh, "github", "user")->ws = w;
        break;
    default:
        break;
    }
}

static void build_monitors(model *m)
{
    rng r;
    rotation general = {0}, youtube = {0}, devto = {0}, workspace = {0};

    rng_init(&r, m->seed, STREAM_MONITORS, 0);
    for (size_t i = 0; i < m->n_users; i++) {
        const user_row *u = &m->users[i];
        int user = (int)i;

        add_usual_monitors(m, &r, user);
        if (rng_chance(&r, 0.45))
            add_monitor_edge(m, &r, user, rotate(&general, N_MONITOR_EDGES));
        if (u->has[YOUTUBE] && rng_chance(&r, 0.7))
            add_youtube_edge(m, &r, user, rotate(&youtube, N_YOUTUBE_EDGES));
        if (u->has[DEVTO] && rng_chance(&r, 0.35))
            add_devto_edge(m, &r, user, rotate(&devto, N_DEVTO_EDGES));
        if (u->n_ws > 0 && rng_chance(&r, 0.5))
            add_workspace_edge(m, &r, user, rotate(&workspace, N_WORKSPACE_EDGES));
    }
}

/* --- goals --- */

typedef struct {
    const char *platform;
    const char *type;
    bool flow;          /* summed over days (commits...), else a stock */
    double scale;       /* a typical target */
    unsigned weight;    /* popularity among users */
} goal_kind;

/* Every valid (platform, goal_type) pair of SPEC.md section 7. */
static const goal_kind GOAL_KINDS[] = {
    {"github", "stars", false, 100, 30},
    {"github", "forks", false, 20, 5},
    {"github", "watchers", false, 50, 3},
    {"github", "repositories", false, 20, 6},
    {"github", "commits", true, 500, 25},
    {"github", "pull_requests", true, 50, 8},
    {"github", "issues", true, 30, 4},
    {"youtube", "subscribers", false, 5000, 20},
    {"youtube", "views", false, 100000, 12},
    {"youtube", "videos", false, 50, 6},
    {"youtube", "likes", false, 5000, 3},
    {"youtube", "comments", false, 500, 2},
    {"devto", "views", false, 10000, 10},
    {"devto", "reactions", false, 500, 6},
    {"devto", "articles", false, 20, 8},
    {"devto", "comments", false, 100, 2},
    {"all", "stars", false, 100, 2},
    {"all", "forks", false, 20, 1},
    {"all", "watchers", false, 50, 1},
    {"all", "repositories", false, 20, 1},
    {"all", "commits", true, 500, 3},
    {"all", "pull_requests", true, 50, 1},
    {"all", "issues", true, 30, 1},
    {"all", "subscribers", false, 5000, 1},
    {"all", "views", false, 20000, 5},
    {"all", "videos", false, 50, 1},
    {"all", "likes", false, 5000, 1},
    {"all", "comments", false, 500, 2},
    {"all", "reactions", false, 500, 1},
    {"all", "articles", false, 20, 1},
};
#define N_GOAL_KINDS ((int)COUNT_OF(GOAL_KINDS))

static bool user_has_platform(const user_row *u, const char *platform)
{
    if (strcmp(platform, "all") == 0)
        return true;
    for (int p = 0; p < N_PLATFORMS; p++)
        if (u->has[p] && strcmp(platform, PLATFORM_NAME[p]) == 0)
            return true;
    return false;
}

/* A kind the user can track, by popularity. */
static int pick_goal_kind(rng *r, const user_row *u)
{
    unsigned total = 0;

    for (int k = 0; k < N_GOAL_KINDS; k++)
        if (user_has_platform(u, GOAL_KINDS[k].platform))
            total += GOAL_KINDS[k].weight;
    int64_t x = rng_below(r, total);
    for (int k = 0; k < N_GOAL_KINDS; k++) {
        if (!user_has_platform(u, GOAL_KINDS[k].platform))
            continue;
        x -= GOAL_KINDS[k].weight;
        if (x < 0)
            return k;
    }
    return 0;
}

/* A numeric literal: integral, or with up to two decimals ("12.5"). */
static void format_amount(char *out, size_t size, double v, bool decimals)
{
    if (!decimals) {
        snprintf(out, size, "%.0f", v);
        return;
    }
    snprintf(out, size, "%.2f", v);
    size_t n = strlen(out);
    while (n > 0 && out[n - 1] == '0')
        out[--n] = '\0';
    if (n > 0 && out[n - 1] == '.')
        out[--n] = '\0';
}

/* Two significant digits: users pick round targets. */
static double round_target(double v)
{
    if (v < 10)
        return v < 1 ? 1 : floor(v);
    double p = pow(10, floor(log10(v)) - 1);
    return floor(v / p) * p;
}

static goal_row *add_goal(model *m, rng *r, int user, int ws, int kind_index)
{
    const goal_kind *kind = &GOAL_KINDS[kind_index];
    RESERVE(m->goals, m->n_goals, m->cap_goals);
    goal_row *g = &m->goals[m->n_goals++];

    memset(g, 0, sizeof *g);
    new_uuid(r, &g->id);
    g->user = user;
    g->ws = ws;
    g->platform = kind->platform;
    g->type = kind->type;
    g->unit = "count";

    double target = round_target(kind->scale * rng_lognormal(r, 0, 0.9));
    bool decimals = rng_chance(r, 0.08);
    if (!kind->flow && rng_chance(r, 0.1)) {
        g->unit = "percentage";
        target = (double)rng_range(r, 1, 40) * 2.5;     /* 2.5 .. 100 */
        decimals = true;
    }
    if (decimals && strcmp(g->unit, "count") == 0)
        target += 0.5;
    format_amount(g->target, sizeof g->target, target, decimals);
    /* a stale value from some earlier run, possibly already past the target */
    if (rng_chance(r, 0.3))
        snprintf(g->current, sizeof g->current, "0");
    else
        format_amount(g->current, sizeof g->current, target * rng_unit(r) * 1.2,
                      decimals || rng_chance(r, 0.2));

    double x = rng_unit(r);
    if (x < 0.7)
        g->start_day = m->first_day + rng_below(r, max64(1, m->days - 7));
    else if (x < 0.9)
        g->start_day = m->first_day - rng_range(r, 1, 400);
    else
        g->start_day = m->end_day - rng_below(r, 7);
    g->end_day = rng_chance(r, 0.35) ? NO_TIME : g->start_day + rng_range(r, 14, 400);

    g->achieved = rng_chance(r, 0.1);
    g->achieved_at = NO_TIME;
    if (g->achieved)
        g->achieved_at = max64(g->start_day * 86400, window_start_time(m))
                         + rng_below(r, 86400 * 30);
    g->created_at = g->start_day * 86400 - rng_below(r, 10 * 86400);
    g->updated_at = max64(g->created_at, g->achieved_at) + rng_below(r, 5 * 86400);
    return g;
}

enum {
    GE_TWITTER,             /* unknown platform */
    GE_GITHUB_SUBSCRIBERS,  /* unknown (platform, goal_type) pairs */
    GE_GITHUB_BOGUS,
    GE_YOUTUBE_STARS,
    GE_DEVTO_COMMITS,
    GE_ALL_BOGUS,
    GE_PLATFORM_CASE,       /* 'GitHub' */
    GE_PERCENT_FLOW,        /* percentage on a flow metric: invalid */
    GE_PERCENT_STOCK,
    GE_PERCENT_ALL,
    GE_PERCENT_ZERO_BASE,   /* no data before start_date: b = 0 */
    GE_UNIT_RATIO,          /* unknown unit */
    GE_NEGATIVE_TARGET,
    GE_END_IN_PAST,
    GE_END_BEFORE_START,
    GE_START_IN_FUTURE,
    GE_ACHIEVED,            /* already achieved, achieved_at set */
    GE_ACHIEVED_NO_TIME,    /* is_achieved without achieved_at */
    GE_DECIMAL_TARGET,
    GE_ZERO_TARGET,
    GE_LEAP_DAY,
    GE_ONE_DAY,             /* start_date = end_date */
    N_GOAL_EDGES
};

static void apply_goal_edge(model *m, rng *r, goal_row *g, int edge)
{
    int64_t leap = days_from_civil(2024, 2, 29);

    switch (edge) {
    case GE_TWITTER:
        g->platform = "twitter";
        g->type = "followers";
        break;
    case GE_GITHUB_SUBSCRIBERS:
        g->platform = "github";
        g->type = "subscribers";
        break;
    case GE_GITHUB_BOGUS:
        g->platform = "github";
        g->type = "bogus";
        break;
    case GE_YOUTUBE_STARS:
        g->platform = "youtube";
        g->type = "stars";
        break;
    case GE_DEVTO_COMMITS:
        g->platform = "devto";
        g->type = "commits";
        break;
    case GE_ALL_BOGUS:
        g->platform = "all";
        g->type = "bogus";
        break;
    case GE_PLATFORM_CASE:
        g->platform = "GitHub";
        g->type = "stars";
        break;
    case GE_PERCENT_FLOW:
        g->platform = "github";
        g->type = rng_chance(r, 0.5) ? "commits" : "pull_requests";
        g->unit = "percentage";
        break;
    case GE_PERCENT_STOCK:
        g->platform = "github";
        g->type = "stars";
        g->unit = "percentage";
        snprintf(g->target, sizeof g->target, "%d", (int)rng_range(r, 5, 50));
        break;
    case GE_PERCENT_ALL:
        g->platform = "all";
        g->type = "views";
        g->unit = "percentage";
        snprintf(g->target, sizeof g->target, "12.5");
        break;
    case GE_PERCENT_ZERO_BASE:
        g->platform = "youtube";
        g->type = "subscribers";
        g->unit = "percentage";
        g->start_day = m->first_day - 30;   /* channel stats start at the window */
        g->end_day = NO_TIME;
        break;
    case GE_UNIT_RATIO:
        g->unit = "ratio";
        break;
    case GE_NEGATIVE_TARGET:
        snprintf(g->target, sizeof g->target, "%s", rng_chance(r, 0.5) ? "-5" : "-100.5");
        break;
    case GE_END_IN_PAST:
        g->end_day = m->end_day - rng_range(r, 30, 200);
        g->start_day = g->end_day - rng_range(r, 30, 120);
        break;
    case GE_END_BEFORE_START:
        g->end_day = g->start_day - rng_range(r, 1, 30);
        break;
    case GE_START_IN_FUTURE:
        g->start_day = m->end_day + rng_range(r, 1, 30);
        g->end_day = rng_chance(r, 0.5) ? NO_TIME : g->start_day + 90;
        break;
    case GE_ACHIEVED:
        g->achieved = true;
        g->achieved_at = window_start_time(m) + rng_below(r, (int64_t)m->days * 86400);
        snprintf(g->current, sizeof g->current, "1");  /* below the target now */
        break;
    case GE_ACHIEVED_NO_TIME:
        g->achieved = true;
        g->achieved_at = NO_TIME;
        break;
    case GE_DECIMAL_TARGET:
        snprintf(g->target, sizeof g->target, "12.5");
        snprintf(g->current, sizeof g->current, "3.25");
        break;
    case GE_ZERO_TARGET:
        snprintf(g->target, sizeof g->target, "0");
        break;
    case GE_LEAP_DAY:
        g->start_day = leap >= m->first_day - 400 && leap <= m->end_day ? leap : m->first_day;
        g->end_day = rng_chance(r, 0.5) ? NO_TIME : g->start_day + 31;
        break;
    case GE_ONE_DAY:
        g->end_day = g->start_day;
        break;
    default:
        break;
    }
    g->created_at = min64(g->created_at, g->start_day * 86400);
    if (g->achieved_at != NO_TIME)
        g->updated_at = max64(g->updated_at, g->achieved_at);
}

/* A goal: its kind goes round every valid kind twice first (so that small
 * runs have each), then follows what users like; one goal in two is then
 * turned into an edge case, handed out round-robin. */
static void add_some_goal(model *m, rng *r, int user, int ws,
                          rotation *kinds, rotation *edges)
{
    int kind = kinds->next < 2u * N_GOAL_KINDS
        ? rotate(kinds, N_GOAL_KINDS)
        : pick_goal_kind(r, &m->users[user]);
    goal_row *g = add_goal(m, r, user, ws, kind);

    if (rng_chance(r, 0.5))
        apply_goal_edge(m, r, g, rotate(edges, N_GOAL_EDGES));
}

static void build_goals(model *m)
{
    rng r;
    rotation kinds = {0}, edges = {0};

    rng_init(&r, m->seed, STREAM_GOALS, 0);
    for (size_t i = 0; i < m->n_users; i++) {
        double x = rng_unit(&r);
        int n = x < 0.25 ? 0 : x < 0.55 ? 1 : x < 0.8 ? 2 : (int)rng_range(&r, 3, 5);
        for (int k = 0; k < n; k++)
            add_some_goal(m, &r, (int)i, -1, &kinds, &edges);
    }
    /* workspace goals, set by the owner or a member */
    for (size_t w = 0; w < m->n_ws; w++) {
        int n = (int)rng_range(&r, 0, 3);
        for (int k = 0; k < n; k++) {
            int user = m->ws[w].owner;
            if (rng_chance(&r, 0.3))
                for (size_t j = 0; j < m->n_members; j++)
                    if (m->members[j].ws == (int)w && rng_chance(&r, 0.5))
                        user = m->members[j].user;
            add_some_goal(m, &r, user, (int)w, &kinds, &edges);
        }
    }
}

static void build_day_text(model *m)
{
    const zone_clock *zc = &m->clock;

    m->day_text = xcalloc((size_t)zc->n_days, sizeof *m->day_text);
    for (int k = 0; k < zc->n_days; k++)
        *put_date(m->day_text[k], zc->base_day + k) = '\0';
}

typedef struct {
    const char *id;
    int index;
} id_index;

static int compare_id_index(const void *a, const void *b)
{
    return strcmp(((const id_index *)a)->id, ((const id_index *)b)->id);
}

/* The rows that reference a connection are written in the order of its id,
 * so that (platform_connection_id, ...) indexes grow at their right end. */
static void build_conn_order(model *m)
{
    id_index *sorted = xcalloc(m->n_conns, sizeof *sorted);

    for (size_t c = 0; c < m->n_conns; c++) {
        sorted[c].id = m->conns[c].id.s;
        sorted[c].index = (int)c;
    }
    qsort(sorted, m->n_conns, sizeof *sorted, compare_id_index);
    m->conn_order = xcalloc(m->n_conns, sizeof *m->conn_order);
    for (size_t c = 0; c < m->n_conns; c++)
        m->conn_order[c] = sorted[c].index;
    free(sorted);
}

/* How many connections of a platform. */
static size_t count_conns(const model *m, int platform)
{
    size_t n = 0;

    for (size_t c = 0; c < m->n_conns; c++)
        n += m->conns[c].platform == platform;
    return n;
}

static void build_model(model *m)
{
    build_day_text(m);
    build_users(m);
    build_workspaces(m);
    build_connections(m);
    build_items(m);
    build_monitors(m);
    build_goals(m);
    build_conn_order(m);
}

/* ------------------------------------------------------------------ */
/* libpq helpers                                                       */
/* ------------------------------------------------------------------ */

/* Runs a statement without parameters; returns its result when its status is
 * `expected`, else reports and returns NULL. */
static PGresult *exec_expect(PGconn *conn, const char *sql, ExecStatusType expected)
{
    PGresult *res = PQexec(conn, sql);

    if (PQresultStatus(res) != expected) {
        fail_pg(sql, res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
        PQclear(res);
        return NULL;
    }
    return res;
}

static int exec_command(PGconn *conn, const char *sql)
{
    PGresult *res = exec_expect(conn, sql, PGRES_COMMAND_OK);

    if (!res)
        return -1;
    PQclear(res);
    return 0;
}

/* The load must start from empty source tables: ids are random, but a second
 * load would double every user and break the (user, platform) index. */
static int check_empty(PGconn *conn)
{
    PGresult *res = exec_expect(conn, "SELECT EXISTS (SELECT 1 FROM profiles)",
                                PGRES_TUPLES_OK);
    if (!res)
        return -1;
    bool has_rows = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (has_rows) {
        fail("profiles already has rows: load into an empty schema "
             "(psql -f sql/001_schema.sql on a new database)");
        return -1;
    }
    return 0;
}

/* Which zone names the server knows (byte for byte, as SPEC.md section 1). */
static int load_valid_zones(PGconn *conn, bool valid[N_ZONES])
{
    PGresult *res = exec_expect(conn, "SELECT name FROM pg_timezone_names",
                                PGRES_TUPLES_OK);
    if (!res)
        return -1;
    for (int z = 0; z < N_ZONES; z++) {
        valid[z] = false;
        for (int i = 0; i < PQntuples(res) && ZONES[z].name; i++)
            if (strcmp(PQgetvalue(res, i, 0), ZONES[z].name) == 0)
                valid[z] = true;
    }
    PQclear(res);
    return 0;
}

/* Local midnights of every zone for base_day .. base_day + n_days - 1, from
 * the server (DST rules included); invalid zones get UTC's, as in the engine. */
static int load_zone_clock(PGconn *conn, model *m)
{
    zone_clock *zc = &m->clock;
    bool valid[N_ZONES];
    char names[2048] = "", base[16] = "", count[16];
    size_t used = 0;

    if (load_valid_zones(conn, valid) < 0)
        return -1;
    for (int z = 0; z < N_ZONES; z++)
        used += (size_t)snprintf(names + used, sizeof names - used, "%s%s",
                                 z ? "," : "", valid[z] ? ZONES[z].name : "UTC");

    /* the window, one day before it (for "the day before") and the future rows
     * (+1: every day needs the next midnight) */
    zc->base_day = m->first_day - 1;
    zc->n_days = m->days + FUTURE_DAYS + 3;
    *put_date(base, zc->base_day) = '\0';
    snprintf(count, sizeof count, "%d", zc->n_days);

    const char *params[3] = {names, base, count};
    PGresult *res = PQexecParams(conn,
        "SELECT extract(epoch FROM (($2::date + i)::timestamp AT TIME ZONE z.name))::bigint"
        "  FROM unnest(string_to_array($1, ',')) WITH ORDINALITY AS z(name, ord),"
        "       generate_series(0, $3::int - 1) AS i"
        " ORDER BY z.ord, i",
        3, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK) {
        fail_pg("reading local midnights", PQresultErrorMessage(res));
        PQclear(res);
        return -1;
    }
    size_t n = (size_t)N_ZONES * (size_t)zc->n_days;
    if ((size_t)PQntuples(res) != n) {
        fail("reading local midnights: %d rows, expected %zu", PQntuples(res), n);
        PQclear(res);
        return -1;
    }
    zc->mid = xcalloc(n, sizeof *zc->mid);
    for (size_t i = 0; i < n; i++)
        zc->mid[i] = strtoll(PQgetvalue(res, (int)i, 0), NULL, 10);
    PQclear(res);

    /* Days of a DST switch, from the window to the last future day. */
    for (int z = 0; z < N_ZONES; z++) {
        zc->dst_days[z] = xcalloc((size_t)zc->n_days, sizeof *zc->dst_days[z]);
        for (int64_t day = m->first_day; day <= m->end_day + FUTURE_DAYS; day++)
            if (local_midnight(m, z, day + 1) - local_midnight(m, z, day) != 86400)
                zc->dst_days[z][zc->n_dst[z]++] = (int)day;
    }
    return 0;
}

/* ------------------------------------------------------------------ */
/* COPY FROM STDIN in text format                                      */
/* ------------------------------------------------------------------ */

/* Rows are built in a 1 MiB buffer and sent with PQputCopyData when it is
 * full.  Each field writer appends the value and a tab; cs_end_row turns the
 * last tab into the newline. */
typedef struct {
    PGconn *conn;
    char *buf;
    size_t len;
    long long rows;
    bool failed;        /* PQputCopyData failed: stop sending */
} copy_stream;

static void cs_flush(copy_stream *cs)
{
    if (cs->len > 0 && !cs->failed
        && PQputCopyData(cs->conn, cs->buf, (int)cs->len) != 1)
        cs->failed = true;
    cs->len = 0;
}

/* Room for n more bytes (n <= COPY_CHUNK). */
static char *cs_room(copy_stream *cs, size_t n)
{
    if (cs->len + n > COPY_CHUNK)
        cs_flush(cs);
    return cs->buf + cs->len;
}

static void cs_done(copy_stream *cs, const char *end)
{
    cs->len = (size_t)(end - cs->buf);
}

static void cs_end_row(copy_stream *cs)
{
    cs->buf[cs->len - 1] = '\n';
    cs->rows++;
}

static void cs_raw(copy_stream *cs, const char *s, size_t n)
{
    char *p = cs_room(cs, n + 1);
    memcpy(p, s, n);
    p[n] = '\t';
    cs_done(cs, p + n + 1);
}

/* Text, escaped for COPY's text format. */
static void cs_text(copy_stream *cs, const char *s)
{
    size_t n = strlen(s);

    if (2 * n + 1 > COPY_CHUNK) {           /* never for generated text */
        fail("internal error: field too long");
        abort();
    }
    char *p = cs_room(cs, 2 * n + 1);
    for (; *s; s++) {
        switch (*s) {
        case '\\': *p++ = '\\'; *p++ = '\\'; break;
        case '\t': *p++ = '\\'; *p++ = 't'; break;
        case '\n': *p++ = '\\'; *p++ = 'n'; break;
        case '\r': *p++ = '\\'; *p++ = 'r'; break;
        default: *p++ = *s; break;
        }
    }
    *p++ = '\t';
    cs_done(cs, p);
}

static void cs_null(copy_stream *cs)
{
    cs_raw(cs, "\\N", 2);
}

static void cs_text_or_null(copy_stream *cs, const char *s)
{
    if (s)
        cs_text(cs, s);
    else
        cs_null(cs);
}

static void cs_int(copy_stream *cs, int64_t v)
{
    char tmp[24];
    char *p = cs_room(cs, 22), *t = tmp + sizeof tmp;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

    do {
        *--t = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--t = '-';
    size_t n = (size_t)(tmp + sizeof tmp - t);
    memcpy(p, t, n);
    p[n] = '\t';
    cs_done(cs, p + n + 1);
}

static void cs_bool(copy_stream *cs, bool b)
{
    cs_raw(cs, b ? "t" : "f", 1);
}

static void cs_uuid(copy_stream *cs, const uuid_str *u)
{
    cs_raw(cs, u->s, 36);
}

/* The next id of a sequence straight into the buffer. */
static void cs_next_id(copy_stream *cs, id_sequence *seq)
{
    char *p = cs_room(cs, 37);
    format_next_id(seq, p);
    p[36] = '\t';
    cs_done(cs, p + 37);
}

static void cs_time(copy_stream *cs, int64_t t)
{
    if (t == NO_TIME) {
        cs_null(cs);
        return;
    }
    char *p = cs_room(cs, 23);
    p = put_timestamp(p, t);
    *p++ = '\t';
    cs_done(cs, p);
}

static void cs_date(copy_stream *cs, int64_t day)
{
    if (day == NO_TIME) {
        cs_null(cs);
        return;
    }
    char *p = cs_room(cs, 11);
    p = put_date(p, day);
    *p++ = '\t';
    cs_done(cs, p);
}

/* "<date> <hh:mm:ss>+00": created_at of the daily tables, from cached text. */
static void cs_day_time(copy_stream *cs, const char *date, const char *hms)
{
    char *p = cs_room(cs, 23);
    memcpy(p, date, 10);
    p[10] = ' ';
    memcpy(p + 11, hms, 8);
    memcpy(p + 19, "+00\t", 4);
    cs_done(cs, p + 23);
}

/* ------------------------------------------------------------------ */
/* Row writers, one per table                                          */
/* ------------------------------------------------------------------ */

static void write_auth_users(copy_stream *cs, const model *m)
{
    for (size_t i = 0; i < m->n_users; i++) {
        cs_uuid(cs, &m->users[i].id);
        cs_end_row(cs);
    }
}

static void write_profiles(copy_stream *cs, const model *m)
{
    char url[96];

    for (size_t i = 0; i < m->n_users; i++) {
        const user_row *u = &m->users[i];
        cs_uuid(cs, &u->id);
        cs_text_or_null(cs, u->display_null ? NULL : u->display);
        if (u->bio >= 0 || i % 3 == 0) {
            snprintf(url, sizeof url, "https://avatars.example.com/u/%.8s.png", u->id.s);
            cs_text(cs, url);
        } else {
            cs_null(cs);
        }
        cs_text_or_null(cs, u->bio >= 0 ? BIOS[u->bio] : NULL);
        cs_text_or_null(cs, ZONES[u->zone].name);
        cs_time(cs, u->created_at);
        cs_time(cs, u->created_at + (int64_t)(i % 97) * 3600);
        cs_end_row(cs);
    }
}

static void write_workspaces(copy_stream *cs, const model *m)
{
    char name[64], slug[80];

    for (size_t w = 0; w < m->n_ws; w++) {
        const workspace_row *ws = &m->ws[w];
        const char *adj = ADJ[w % COUNT_OF(ADJ)];
        const char *noun = NOUN[(w / COUNT_OF(ADJ)) % COUNT_OF(NOUN)];
        snprintf(name, sizeof name, "%c%s %c%s Team", adj[0] - 'a' + 'A', adj + 1,
                 noun[0] - 'a' + 'A', noun + 1);
        snprintf(slug, sizeof slug, "%s-%s-%d", adj, noun, ws->number);
        cs_uuid(cs, &ws->id);
        cs_text(cs, name);
        cs_text(cs, slug);
        cs_text_or_null(cs, w % 3 == 0 ? NULL : "Shared dashboards for the team.");
        cs_uuid(cs, &m->users[ws->owner].id);
        cs_time(cs, ws->created_at);
        cs_time(cs, ws->created_at + 86400);
        cs_end_row(cs);
    }
}

static void write_members(copy_stream *cs, const model *m)
{
    for (size_t i = 0; i < m->n_members; i++) {
        const member_row *mb = &m->members[i];
        cs_uuid(cs, &m->ws[mb->ws].id);
        cs_uuid(cs, &m->users[mb->user].id);
        cs_text(cs, mb->role);
        cs_time(cs, mb->joined_at);
        cs_end_row(cs);
    }
}

static void write_connections(copy_stream *cs, const model *m)
{
    rng r;
    char token[80], refresh[80];

    rng_init(&r, m->seed, STREAM_CONNECTION_TEXT, 0);
    for (size_t c = 0; c < m->n_conns; c++) {
        const conn_row *cn = &m->conns[c];
        const user_row *u = &m->users[cn->user];
        static const char *const token_prefix[N_PLATFORMS] = {
            "gho_", "ya29.", "dev_", "tw_"
        };
        bool has_refresh = cn->platform == YOUTUBE || rng_chance(&r, 0.3);
        int64_t expires = NO_TIME;

        memcpy(token, token_prefix[cn->platform], strlen(token_prefix[cn->platform]));
        random_chars(&r, token + strlen(token_prefix[cn->platform]), 36, ALNUM);
        memcpy(refresh, "rt_", 3);
        random_chars(&r, refresh + 3, 40, ALNUM);
        if (cn->platform == YOUTUBE && cn->last_synced_at != NO_TIME)
            expires = cn->last_synced_at + 3600;
        else if (cn->platform == GITHUB && rng_chance(&r, 0.5))
            expires = window_end_time(m) + rng_range(&r, -30 * 86400, 30 * 86400);

        cs_uuid(cs, &cn->id);
        cs_uuid(cs, &u->id);
        cs_text(cs, PLATFORM_NAME[cn->platform]);
        cs_text(cs, cn->platform_user_id);
        cs_text(cs, u->handle);
        cs_text(cs, token);
        cs_text_or_null(cs, has_refresh ? refresh : NULL);
        cs_time(cs, expires);
        cs_bool(cs, cn->active);
        cs_time(cs, cn->last_synced_at);
        cs_time(cs, cn->created_at);
        cs_time(cs, max64(cn->created_at, cn->last_synced_at));
        cs_end_row(cs);
    }
}

static void write_monitors(copy_stream *cs, const model *m)
{
    for (size_t i = 0; i < m->n_monitors; i++) {
        const monitor_row *mo = &m->monitors[i];
        cs_uuid(cs, &mo->id);
        cs_uuid(cs, &m->users[mo->user].id);
        if (mo->ws >= 0)
            cs_uuid(cs, &m->ws[mo->ws].id);
        else
            cs_null(cs);
        cs_text(cs, mo->platform);
        cs_uuid(cs, &m->conns[mo->conn].id);
        cs_text(cs, mo->type);
        cs_text_or_null(cs, mo->resource_null ? NULL : mo->resource);
        cs_bool(cs, mo->active);
        cs_int(cs, mo->sync_frequency);
        cs_time(cs, mo->created_at);
        cs_time(cs, mo->created_at + (mo->active ? 0 : 86400 * 3));
        cs_end_row(cs);
    }
}

static int64_t clamp_int32(double v)
{
    if (v < 0)
        return 0;
    return v > 2147483647.0 ? 2147483647 : (int64_t)v;
}

/* Rows that reference a connection are written connection by connection, in
 * the order of the connection ids (see id_sequence). */
typedef void (*item_writer)(copy_stream *cs, const model *m, rng *r, id_sequence *ids,
                            const conn_row *cn, int k);

static void write_items(copy_stream *cs, const model *m, int platform, uint64_t stream,
                        size_t expected_rows, item_writer write_item)
{
    rng r;
    id_sequence ids;

    rng_init(&r, m->seed, stream, 0);
    id_sequence_init(&ids, m->seed, stream, (double)expected_rows);
    for (size_t o = 0; o < m->n_conns; o++) {
        const conn_row *cn = &m->conns[m->conn_order[o]];
        if (cn->platform == platform)
            for (int k = 0; k < cn->n_items; k++)
                write_item(cs, m, &r, &ids, cn, k);
    }
}

/* The k-th repository of a github connection. */
static void write_repository(copy_stream *cs, const model *m, rng *r, id_sequence *ids,
                             const conn_row *cn, int k)
{
    const repo_row *rp = &m->repos[cn->first_item + k];
    const user_row *u = &m->users[cn->user];
    const char *adj = PICK(r, ADJ), *noun = PICK(r, NOUN);
    char name[64], full[128], url[192], desc[128];

    if (k < 8)
        snprintf(name, sizeof name, "%s-%s", adj, noun);
    else
        snprintf(name, sizeof name, "%s-%s-%d", adj, noun, k);
    snprintf(full, sizeof full, "%s/%s", u->handle, name);
    snprintf(url, sizeof url, "https://github.com/%s", full);
    snprintf(desc, sizeof desc, "A %s %s written for fun.", adj, noun);

    /* Stars: Pareto per repository times the owner's fame, so most users
     * have a handful and a few have thousands. */
    bool is_fork = rng_chance(r, 0.1);
    double stars = is_fork || rng_chance(r, 0.3)
        ? 0 : floor((rng_pareto(r, 1.2) - 1) * 2 * pow(u->fame, 1.5));
    if (stars > 500000)
        stars = 500000;
    int64_t forks = clamp_int32(stars * rng_unit(r) * 0.25);
    int64_t watchers = clamp_int32(rng_chance(r, 0.7) ? stars : stars * 0.05);
    int64_t updated = rp->created_at + rng_below(r, 86400 * 60);
    updated = max64(updated, min64(window_end_time(m), rp->created_at + 3600));
    int64_t synced = max64(cn->last_synced_at == NO_TIME ? window_end_time(m) + 1
                                                          : cn->last_synced_at,
                           updated);

    cs_next_id(cs, ids);
    cs_uuid(cs, &cn->id);
    cs_int(cs, rp->github_repo_id);
    cs_text(cs, name);
    cs_text(cs, full);
    cs_text_or_null(cs, rng_chance(r, 0.3) ? NULL : desc);
    cs_text_or_null(cs, rng_chance(r, 0.1) ? NULL : PICK(r, LANGUAGES));
    cs_int(cs, clamp_int32(stars));
    cs_int(cs, forks);
    cs_int(cs, watchers);
    cs_int(cs, rng_geometric(r, 0.5 + stars * 0.01));
    cs_bool(cs, rng_chance(r, 0.15));
    cs_bool(cs, is_fork);
    cs_text(cs, rng_chance(r, 0.8) ? "main" : rng_chance(r, 0.9) ? "master" : "develop");
    cs_text(cs, url);
    cs_time(cs, rp->created_at);
    cs_time(cs, updated);
    cs_time(cs, synced);
    cs_end_row(cs);
}

static void write_repositories(copy_stream *cs, const model *m)
{
    write_items(cs, m, GITHUB, STREAM_REPO_TEXT, m->n_repos, write_repository);
}

/* The k-th video of a youtube connection. */
static void write_video(copy_stream *cs, const model *m, rng *r, id_sequence *ids,
                        const conn_row *cn, int k)
{
    const int index = cn->first_item + k;
    const video_row *v = &m->videos[index];
    const user_row *u = &m->users[cn->user];
    const char *adj = PICK(r, ADJ), *noun = PICK(r, NOUN);
    char title[128], thumb[96], video_id[12];

    /* a bijective mix of the video's index: unique 11-character ids */
    uint64_t bits = mix64(mix64(m->seed ^ 0x5ca1ab1eULL) ^ (uint64_t)index);
    for (int i = 0; i < 11; i++, bits >>= 6)
        video_id[i] = BASE64URL[bits & 63];
    video_id[11] = '\0';
    switch (rng_below(r, 4)) {
    case 0:
        snprintf(title, sizeof title, "How I built a %s %s", adj, noun);
        break;
    case 1:
        snprintf(title, sizeof title, "The %s %s explained in 10 minutes", adj, noun);
        break;
    case 2:
        snprintf(title, sizeof title, "Live coding: %s %s, part %d", adj, noun,
                 (int)rng_range(r, 1, 12));
        break;
    default:
        snprintf(title, sizeof title, "Why your %s is slow", noun);
        break;
    }
    snprintf(thumb, sizeof thumb, "https://i.ytimg.com/vi/%s/hqdefault.jpg", video_id);

    bool upcoming = v->published_at > window_end_time(m);   /* a premiere */
    double views = upcoming ? 0 : floor(rng_pareto(r, 1.3) * 50 * u->fame * u->fame);
    if (views > 5e9)
        views = 5e9;

    cs_next_id(cs, ids);
    cs_uuid(cs, &cn->id);
    cs_text(cs, video_id);
    cs_text(cs, title);
    cs_text_or_null(cs, rng_chance(r, 0.2) ? NULL : "Source code in the description.");
    cs_text_or_null(cs, rng_chance(r, 0.05) ? NULL : thumb);
    if (rng_chance(r, 0.03))
        cs_null(cs);
    else
        cs_int(cs, upcoming || rng_chance(r, 0.02) ? 0 : rng_range(r, 15, 3 * 3600));
    cs_int(cs, (int64_t)views);
    cs_int(cs, clamp_int32(views * (0.01 + 0.05 * rng_unit(r))));
    cs_int(cs, clamp_int32(views * (0.001 + 0.01 * rng_unit(r))));
    cs_time(cs, v->published_at);
    cs_time(cs, max64(window_end_time(m) + 1, v->published_at) + rng_below(r, 3600));
    cs_end_row(cs);
}

static void write_videos(copy_stream *cs, const model *m)
{
    write_items(cs, m, YOUTUBE, STREAM_VIDEO_TEXT, m->n_videos, write_video);
}

/* The k-th article of a devto connection. */
static void write_article(copy_stream *cs, const model *m, rng *r, id_sequence *ids,
                          const conn_row *cn, int k)
{
    const article_row *a = &m->articles[cn->first_item + k];
    const user_row *u = &m->users[cn->user];
    const char *adj = PICK(r, ADJ), *noun = PICK(r, NOUN);
    bool draft = a->published_at == NO_TIME;
    bool upcoming = !draft && a->published_at > window_end_time(m);
    char title[128], url[192], tags[128];

    snprintf(title, sizeof title, "Writing a %s %s from scratch", adj, noun);
    snprintf(url, sizeof url, "https://dev.to/%s/writing-a-%s-%s-%04x", u->handle,
             adj, noun, (unsigned)(a->devto_article_id & 0xffff));
    /* tags: a text[] literal; sometimes NULL or empty */
    double x = rng_unit(r);
    if (x < 0.05) {
        tags[0] = '\0';
    } else if (x < 0.1) {
        snprintf(tags, sizeof tags, "{}");
    } else {
        int n = (int)rng_range(r, 1, 4), first = (int)rng_below(r, COUNT_OF(TAGS));
        size_t used = (size_t)snprintf(tags, sizeof tags, "{");
        for (int i = 0; i < n; i++)     /* distinct: consecutive in the list */
            used += (size_t)snprintf(tags + used, sizeof tags - used, "%s%s",
                                     i ? "," : "", TAGS[(first + i) % (int)COUNT_OF(TAGS)]);
        snprintf(tags + used, sizeof tags - used, "}");
    }
    double views = draft || upcoming ? 0 : floor(rng_pareto(r, 1.4) * 30 * u->fame);

    cs_next_id(cs, ids);
    cs_uuid(cs, &cn->id);
    cs_int(cs, a->devto_article_id);
    cs_text(cs, title);
    cs_text_or_null(cs, rng_chance(r, 0.15) ? NULL : "What I learned along the way.");
    cs_time(cs, a->published_at);
    if (rng_chance(r, 0.05))
        cs_null(cs);
    else
        cs_int(cs, rng_range(r, 1, 20));
    cs_int(cs, clamp_int32(views));
    cs_int(cs, clamp_int32(views * 0.03 * rng_unit(r)));
    cs_int(cs, clamp_int32(views * 0.005 * rng_unit(r)));
    cs_text(cs, url);
    cs_text_or_null(cs, tags[0] ? tags : NULL);
    cs_time(cs, window_end_time(m) + 1 + rng_below(r, 6 * 3600));
    cs_end_row(cs);
}

static void write_articles(copy_stream *cs, const model *m)
{
    write_items(cs, m, DEVTO, STREAM_ARTICLE_TEXT, m->n_articles, write_article);
}

/* Days of daily rows of a connection, at most (window and future days). */
static size_t daily_rows_bound(const model *m, int platform)
{
    return count_conns(m, platform) * (size_t)(m->days + FUTURE_DAYS);
}

/* One github connection's contributions: one row per day of the window (mostly
 * zeros or small numbers), for some connections a few days after end-date. */
static void write_connection_contributions(copy_stream *cs, const model *m,
                                           id_sequence *ids, int c)
{
    const conn_row *cn = &m->conns[c];
    const user_row *u = &m->users[cn->user];
    const int64_t base = m->clock.base_day;
    rng r;

    rng_init(&r, m->seed, STREAM_CONTRIBUTIONS, (uint64_t)c);
    double pr_rate = 0.05 + 0.25 * rng_unit(&r);
    double issue_rate = 0.02 + 0.1 * rng_unit(&r);
    int64_t max_repos = max64(1, min64(cn->n_items, 6));
    int64_t last = m->end_day;
    if (rng_chance(&r, 0.08))
        last += rng_range(&r, 1, FUTURE_DAYS);
    int vacation = 0;

    for (int64_t day = m->first_day; day <= last; day++) {
        int64_t commits = 0, prs = 0, issues = 0, repos = 0;
        bool weekend = (day + 4) % 7 == 0 || (day + 4) % 7 == 6;  /* Sun, Sat */
        double p = u->activity * (weekend ? 0.4 : 1.0);

        if (vacation > 0) {
            vacation--;
            p *= 0.05;
        } else if (rng_chance(&r, 1.0 / 150)) {
            vacation = (int)rng_range(&r, 5, 20);
        }
        if (p > 0 && rng_chance(&r, p)) {
            commits = rng_geometric(&r, u->commit_mean);
            prs = rng_chance(&r, pr_rate) ? 1 + rng_geometric(&r, 0.3) : 0;
            issues = rng_chance(&r, issue_rate) ? 1 + rng_geometric(&r, 0.2) : 0;
            if (commits + prs + issues > 0)
                repos = 1 + rng_below(&r, max_repos);
        }
        cs_next_id(cs, ids);
        cs_uuid(cs, &cn->id);
        cs_raw(cs, m->day_text[day - base], 10);
        cs_int(cs, commits);
        cs_int(cs, prs);
        cs_int(cs, issues);
        cs_int(cs, repos);
        cs_day_time(cs, m->day_text[day + 1 - base], cn->sync_hms);
        cs_end_row(cs);
    }
}

static void write_contributions(copy_stream *cs, const model *m)
{
    id_sequence ids;

    id_sequence_init(&ids, m->seed, STREAM_CONTRIBUTIONS, (double)daily_rows_bound(m, GITHUB));
    for (size_t o = 0; o < m->n_conns; o++)
        if (m->conns[m->conn_order[o]].platform == GITHUB)
            write_connection_contributions(cs, m, &ids, m->conn_order[o]);
}

static int compare_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* One youtube connection's channel stats: one row per day, mostly growing,
 * with missing days, runs of missing days, occasional decreases, sometimes
 * starting late in the window, sometimes a few rows after end-date.
 * video_count follows the channel's videos. */
static void write_connection_stats(copy_stream *cs, const model *m, id_sequence *ids, int c)
{
    const conn_row *cn = &m->conns[c];
    const user_row *u = &m->users[cn->user];
    const int64_t base = m->clock.base_day;
    rng r;

    rng_init(&r, m->seed, STREAM_CHANNEL_STATS, (uint64_t)c);
    /* publication days of the channel's videos, sorted */
    int64_t *pub = xcalloc((size_t)cn->n_items, sizeof *pub);
    for (int k = 0; k < cn->n_items; k++)
        pub[k] = floor_div(m->videos[cn->first_item + k].published_at, 86400);
    qsort(pub, (size_t)cn->n_items, sizeof *pub, compare_int64);

    double subs = floor(rng_lognormal(&r, 5.0, 1.8) * u->fame);
    double views = floor(subs * (40 + 160 * rng_unit(&r)));
    double sub_growth = subs * 0.002 + 0.2, view_growth = views * 0.002 + 3;
    int64_t first = m->first_day;
    if (rng_chance(&r, 0.15))
        first += rng_below(&r, m->days);        /* connected late */
    int64_t last = m->end_day;
    if (rng_chance(&r, 0.08))
        last += rng_range(&r, 1, FUTURE_DAYS);
    int gap = 0, n_pub = 0;

    for (int64_t day = first; day <= last; day++) {
        subs += (double)rng_poisson(&r, sub_growth);
        views += (double)rng_poisson(&r, view_growth);
        if (rng_chance(&r, 0.04))
            subs -= (double)rng_range(&r, 1, 2 + (int64_t)(sub_growth * 3));
        if (rng_chance(&r, 0.007))
            views -= (double)rng_range(&r, 1, 10 + (int64_t)(view_growth * 2));
        if (subs < 0)
            subs = 0;
        if (views < 0)
            views = 0;
        while (n_pub < cn->n_items && pub[n_pub] <= day)
            n_pub++;

        if (gap > 0) {              /* a run of days the sync missed */
            gap--;
            continue;
        }
        if (rng_chance(&r, 0.004))
            gap = (int)rng_range(&r, 2, 11);
        if (rng_chance(&r, 0.03))
            continue;
        cs_next_id(cs, ids);
        cs_uuid(cs, &cn->id);
        cs_raw(cs, m->day_text[day - base], 10);
        cs_int(cs, (int64_t)subs);
        cs_int(cs, (int64_t)views);
        cs_int(cs, n_pub);
        cs_day_time(cs, m->day_text[day + 1 - base], cn->sync_hms);
        cs_end_row(cs);
    }
    free(pub);
}

static void write_channel_stats(copy_stream *cs, const model *m)
{
    id_sequence ids;

    id_sequence_init(&ids, m->seed, STREAM_CHANNEL_STATS, (double)daily_rows_bound(m, YOUTUBE));
    for (size_t o = 0; o < m->n_conns; o++)
        if (m->conns[m->conn_order[o]].platform == YOUTUBE)
            write_connection_stats(cs, m, &ids, m->conn_order[o]);
}

static void write_goals(copy_stream *cs, const model *m)
{
    for (size_t i = 0; i < m->n_goals; i++) {
        const goal_row *g = &m->goals[i];
        cs_uuid(cs, &g->id);
        cs_uuid(cs, &m->users[g->user].id);
        if (g->ws >= 0)
            cs_uuid(cs, &m->ws[g->ws].id);
        else
            cs_null(cs);
        cs_text(cs, g->platform);
        cs_text(cs, g->type);
        cs_text(cs, g->target);
        cs_text(cs, g->current);
        cs_text(cs, g->unit);
        cs_date(cs, g->start_day);
        cs_date(cs, g->end_day);
        cs_bool(cs, g->achieved);
        cs_time(cs, g->achieved_at);
        cs_time(cs, g->created_at);
        cs_time(cs, g->updated_at);
        cs_end_row(cs);
    }
}

typedef void (*row_writer)(copy_stream *cs, const model *m);

static const struct {
    const char *table;
    const char *columns;
    row_writer write;
} TABLES[] = {
    {"auth.users", "id", write_auth_users},
    {"profiles", "id, display_name, avatar_url, bio, timezone, created_at, updated_at",
     write_profiles},
    {"workspaces", "id, name, slug, description, owner_id, created_at, updated_at",
     write_workspaces},
    {"workspace_members", "workspace_id, user_id, role, joined_at", write_members},
    {"platform_connections",
     "id, user_id, platform, platform_user_id, platform_username, access_token,"
     " refresh_token, token_expires_at, is_active, last_synced_at, created_at, updated_at",
     write_connections},
    {"monitors",
     "id, user_id, workspace_id, platform, platform_connection_id, monitor_type,"
     " platform_resource_id, is_active, sync_frequency, created_at, updated_at",
     write_monitors},
    {"github_repositories",
     "id, platform_connection_id, github_repo_id, name, full_name, description, language,"
     " stars_count, forks_count, watchers_count, open_issues_count, is_private, is_fork,"
     " default_branch, html_url, created_at, updated_at, synced_at",
     write_repositories},
    {"github_contributions",
     "id, platform_connection_id, date, commits_count, pull_requests_count, issues_count,"
     " repositories_contributed_to, created_at",
     write_contributions},
    {"youtube_videos",
     "id, platform_connection_id, youtube_video_id, title, description, thumbnail_url,"
     " duration_seconds, view_count, like_count, comment_count, published_at, synced_at",
     write_videos},
    {"youtube_channel_stats",
     "id, platform_connection_id, date, subscriber_count, total_views, video_count, created_at",
     write_channel_stats},
    {"devto_articles",
     "id, platform_connection_id, devto_article_id, title, description, published_at,"
     " reading_time_minutes, view_count, reaction_count, comment_count, url, tags, synced_at",
     write_articles},
    {"goals",
     "id, user_id, workspace_id, platform, goal_type, target_value, current_value, unit,"
     " start_date, end_date, is_achieved, achieved_at, created_at, updated_at",
     write_goals},
};
#define N_TABLES ((int)COUNT_OF(TABLES))

static double now_seconds(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* COPY one table: start the COPY, stream the rows, finish it and check that
 * the server took exactly the rows sent. */
static int copy_table(PGconn *conn, const model *m, int t, char *buf, long long *rows)
{
    char sql[512];
    double started = now_seconds();
    copy_stream cs = {.conn = conn, .buf = buf};
    int rc = 0;

    snprintf(sql, sizeof sql, "COPY %s (%s) FROM STDIN", TABLES[t].table, TABLES[t].columns);
    PGresult *res = exec_expect(conn, sql, PGRES_COPY_IN);
    if (!res)
        return -1;
    PQclear(res);

    TABLES[t].write(&cs, m);
    cs_flush(&cs);
    if (PQputCopyEnd(conn, cs.failed ? "gen: sending the rows failed" : NULL) != 1) {
        fail_pg(TABLES[t].table, PQerrorMessage(conn));
        rc = -1;
    }
    /* Drain every result; the first one tells how the COPY went. */
    bool first = true;
    while ((res = PQgetResult(conn)) != NULL) {
        if (first && rc == 0) {
            if (PQresultStatus(res) != PGRES_COMMAND_OK) {
                fail_pg(TABLES[t].table, PQresultErrorMessage(res));
                rc = -1;
            } else if (strtoll(PQcmdTuples(res), NULL, 10) != cs.rows) {
                fail("%s: server took %s rows, %lld were sent",
                     TABLES[t].table, PQcmdTuples(res), cs.rows);
                rc = -1;
            }
        }
        first = false;
        PQclear(res);
    }
    if (rc == 0 && cs.failed) {
        fail_pg(TABLES[t].table, PQerrorMessage(conn));
        rc = -1;
    }
    *rows = cs.rows;
    if (rc == 0)
        progress("%-22s %10lld rows %7.2f s", TABLES[t].table, cs.rows,
                 now_seconds() - started);
    return rc;
}

/* ------------------------------------------------------------------ */
/* Command line                                                        */
/* ------------------------------------------------------------------ */

typedef struct {
    long users;
    long days;
    uint64_t seed;
    int64_t end_day;
    const char *dsn;
} options;

static void usage(FILE *out)
{
    fputs("usage: gen --users N --days D --seed S [--end-date YYYY-MM-DD]\n"
          "           [--dsn DSN] [--quiet] [--help]\n"
          "Loads synthetic DevPulse source data (sql/001_schema.sql) with COPY,\n"
          "in one transaction, into a database without profiles.\n"
          "  --users N      profiles to create (1..2000000)\n"
          "  --days D       days of daily rows ending at end-date (1..20000)\n"
          "  --seed S       PRNG seed (unsigned 64-bit); same inputs, same data\n"
          "  --end-date D   last day of the window (default " DEFAULT_END_DATE ");\n"
          "                 some rows fall up to 10 days after it\n"
          "  --dsn DSN      libpq connection string (else DATABASE_URL, else PG*)\n"
          "  --quiet        no progress on stderr\n", out);
}

static int parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;

    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* Returns -1 to go on, else the exit status (0 for --help, 2 usage error). */
static int parse_options(int argc, char **argv, options *opt)
{
    bool have_users = false, have_days = false, have_seed = false;
    const char *end_date = DEFAULT_END_DATE;

    memset(opt, 0, sizeof *opt);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value = NULL;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(arg, "--quiet") == 0) {
            quiet = true;
            continue;
        }
        /* every other option takes a value: "--opt value" or "--opt=value" */
        const char *eq = strchr(arg, '=');
        size_t name_len = eq ? (size_t)(eq - arg) : strlen(arg);
        if (eq)
            value = eq + 1;
        else if (i + 1 < argc)
            value = argv[++i];
        if (!value) {
            fail("%s needs a value", arg);
            return 2;
        }
#define IS(name) (name_len == strlen(name) && strncmp(arg, name, name_len) == 0)
        if (IS("--users")) {
            if (parse_long(value, 1, 2000000, &opt->users) < 0) {
                fail("--users: expected 1..2000000, got '%s'", value);
                return 2;
            }
            have_users = true;
        } else if (IS("--days")) {
            if (parse_long(value, 1, 20000, &opt->days) < 0) {
                fail("--days: expected 1..20000, got '%s'", value);
                return 2;
            }
            have_days = true;
        } else if (IS("--seed")) {
            char *end;
            errno = 0;
            opt->seed = strtoull(value, &end, 10);
            if (errno || end == value || *end || value[0] == '-') {
                fail("--seed: expected an unsigned integer, got '%s'", value);
                return 2;
            }
            have_seed = true;
        } else if (IS("--end-date")) {
            end_date = value;
        } else if (IS("--dsn")) {
            opt->dsn = value;
        } else {
            fail("unknown option '%.*s'", (int)name_len, arg);
            usage(stderr);
            return 2;
        }
#undef IS
    }
    if (!have_users || !have_days || !have_seed) {
        fail("--users, --days and --seed are required");
        usage(stderr);
        return 2;
    }
    if (parse_date(end_date, &opt->end_day) < 0
        || opt->end_day < days_from_civil(1990, 1, 1)
        || opt->end_day > days_from_civil(9000, 1, 1)) {
        fail("--end-date: expected a date YYYY-MM-DD from 1990 to 9000, got '%s'", end_date);
        return 2;
    }
    return -1;
}

/* Whether dsn is a URI with an '@' left after its user info: a password's
 * unencoded '@' or '/' that moved the rest of it into the host or port.
 * The engine's src/db.c checks the same; the generator links none of it. */
static bool uri_spills_userinfo(const char *dsn)
{
    static const char *const schemes[] = {"postgresql://", "postgres://"};

    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (strncmp(dsn, schemes[i], strlen(schemes[i])) == 0) {
            const char *rest = dsn + strlen(schemes[i]);
            size_t userinfo = strcspn(rest, "@/");

            if (rest[userinfo] == '@')
                rest += userinfo + 1;
            return memchr(rest, '@', strcspn(rest, "?")) != NULL;
        }
    return false;
}

/*
 * libpq's messages may quote the connection string, password included: the
 * message is left out when the string does not parse, when a password's
 * stray '@' or '/' moved part of it elsewhere, or when it holds the password.
 */
static void fail_connecting(const char *dsn, const char *pg_message)
{
    PQconninfoOption *opts = PQconninfoParse(dsn, NULL);
    bool hidden = opts == NULL || uri_spills_userinfo(dsn);

    for (PQconninfoOption *o = opts; o != NULL && o->keyword != NULL; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val != NULL && o->val[0] != '\0' &&
            strstr(pg_message, o->val) != NULL)
            hidden = true;
    if (hidden)
        fail("connecting to the database: failed; libpq's message is left out, as it could"
             " quote the password (a URI must percent-encode '%%', '@' and '/' in its"
             " password: %%25, %%40, %%2F)");
    else
        fail_pg("connecting to the database", pg_message);
    PQconninfoFree(opts);
}

static PGconn *connect_db(const options *opt)
{
    const char *dsn = opt->dsn ? opt->dsn : getenv("DATABASE_URL");
    PGconn *conn = PQconnectdb(dsn ? dsn : "");

    if (PQstatus(conn) != CONNECTION_OK) {
        fail_connecting(dsn ? dsn : "", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    if (PQsetClientEncoding(conn, "UTF8") != 0) {
        fail_pg("setting client_encoding", PQerrorMessage(conn));
        PQfinish(conn);
        return NULL;
    }
    return conn;
}

static void print_summary(const long long rows[N_TABLES], double seconds)
{
    long long total = 0;

    for (int t = 0; t < N_TABLES; t++) {
        printf("%-22s %10lld\n", TABLES[t].table, rows[t]);
        total += rows[t];
    }
    printf("total %lld rows in %.2f s (%.0f rows/s)\n", total, seconds,
           seconds > 0 ? (double)total / seconds : 0.0);
}

int main(int argc, char **argv)
{
    options opt;
    model m;
    long long rows[N_TABLES] = {0};
    int status = 1;
    double started = now_seconds();

    int rc = parse_options(argc, argv, &opt);
    if (rc >= 0)
        return rc;

    memset(&m, 0, sizeof m);
    m.seed = opt.seed;
    m.days = (int)opt.days;
    m.n_users = (size_t)opt.users;
    m.end_day = opt.end_day;
    m.first_day = opt.end_day - opt.days + 1;

    PGconn *conn = connect_db(&opt);
    if (!conn)
        return 1;
    char *buf = xcalloc(COPY_CHUNK, 1);

    /* One transaction: a failure anywhere leaves the database as it was
     * (PQfinish without COMMIT rolls back). */
    if (exec_command(conn, "BEGIN") < 0)
        goto out_free_buf;
    if (check_empty(conn) < 0)
        goto out_free_model;
    if (load_zone_clock(conn, &m) < 0)
        goto out_free_model;
    build_model(&m);
    progress("model built: %zu users, %zu connections, %zu monitors, %zu goals, %.2f s",
             m.n_users, m.n_conns, m.n_monitors, m.n_goals, now_seconds() - started);
    for (int t = 0; t < N_TABLES; t++)
        if (copy_table(conn, &m, t, buf, &rows[t]) < 0)
            goto out_free_model;
    if (exec_command(conn, "COMMIT") < 0)
        goto out_free_model;

    print_summary(rows, now_seconds() - started);
    status = 0;

out_free_model:
    model_free(&m);
out_free_buf:
    free(buf);
    PQfinish(conn);
    return status;
}
