/* cli/main.c — the segc command: parses arguments, calls libsegc (segc.h),
 * prints, and decides the exit status (0 success, 1 errors in the input,
 * 2 usage errors).  No segmentation logic lives here. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "segc.h"

static const char *usage_text =
    "usage: segc <command> [options]\n"
    "\n"
    "  check FILES...                               parse and type-check rules\n"
    "  test [FILES|DIRS]...                         run the test blocks\n"
    "  ingest --schema S.seg CSV [--stream NAME=EVENTS.csv]... -o DATA.segd [--bad-rows FILE]\n"
    "                                               pack customer records\n"
    "  build RULES... -o PACK.segpack                compile ahead of time\n"
    "  run RULES...|PACK.segpack DATA.segd [--as-of T] [--threads N] [--set NAME=VALUE]\n"
    "      [--out DIR] [--interpreter]              evaluate every segment\n"
    "  emit --ir|--asm RULES...                     show the generated code\n";

static int usage(const char *msg) {
  if (msg) fprintf(stderr, "segc: %s\n\n", msg);
  fputs(usage_text, stderr);
  return 2;
}

static bool has_suffix(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Loads rules and prints their diagnostics; NULL when they have errors. */
static segc_program *load(const char *const *paths, int n) {
  segc_program *p = segc_load(paths, n);
  segc_print_diagnostics(p, stderr);
  if (segc_error_count(p)) {
    fprintf(stderr, "%d error%s\n", segc_error_count(p), segc_error_count(p) == 1 ? "" : "s");
    segc_free(p);
    return NULL;
  }
  return p;
}

static int cmd_check(int argc, char **argv) {
  if (argc < 1) return usage("check needs at least one file");
  segc_program *p = load((const char *const *)argv, argc);
  if (!p) return 1;
  segc_free(p);
  return 0;
}

/* Collects .seg files: a directory contributes the files under it that hold tests. */
static void collect(const char *path, char ***out, int *n) {
  struct stat st;
  if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
    struct dirent **names;
    int k = scandir(path, &names, NULL, alphasort);
    for (int i = 0; i < k; i++) {
      if (names[i]->d_name[0] != '.') {
        char full[4096];
        snprintf(full, sizeof full, "%s/%s", path, names[i]->d_name);
        struct stat sub;
        if (stat(full, &sub) == 0 && (S_ISDIR(sub.st_mode) || has_suffix(full, ".seg"))) collect(full, out, n);
      }
      free(names[i]);
    }
    free(names);
    return;
  }
  if (S_ISDIR(st.st_mode) == 0 && has_suffix(path, ".seg") && path[0]) {
    /* only files that contain test blocks are test files when found in a directory */
  }
  *out = realloc(*out, sizeof(char *) * (size_t)(*n + 1));
  (*out)[(*n)++] = strdup(path);
}

static bool holds_tests(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return true; /* let the loader report it */
  char line[4096];
  bool found = false;
  while (!found && fgets(line, sizeof line, f)) {
    const char *s = line;
    while (*s == ' ' || *s == '\t') s++;
    found = strncmp(s, "test ", 5) == 0 || strncmp(s, "test\t", 5) == 0;
  }
  fclose(f);
  return found;
}

static int cmd_test(int argc, char **argv) {
  char **files = NULL;
  int n = 0;
  if (argc == 0) collect(".", &files, &n);
  for (int i = 0; i < argc; i++) {
    struct stat st;
    bool dir = stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode);
    int before = n;
    collect(argv[i], &files, &n);
    if (dir) { /* from directories, keep the files that have test blocks */
      int k = before;
      for (int j = before; j < n; j++) {
        if (holds_tests(files[j])) files[k++] = files[j];
        else free(files[j]);
      }
      n = k;
    }
  }
  int total_passed = 0, total_failed = 0, status = 0;
  for (int i = 0; i < n; i++) {
    segc_program *p = load((const char *const *)&files[i], 1);
    if (!p) {
      status = 1;
      continue;
    }
    int passed, failed;
    char err[1024];
    if (!segc_test(p, stdout, &passed, &failed, err, sizeof err)) {
      fprintf(stderr, "segc: %s: %s\n", files[i], err);
      status = 1;
    }
    total_passed += passed;
    total_failed += failed;
    segc_free(p);
  }
  for (int i = 0; i < n; i++) free(files[i]);
  free(files);
  printf("%d passed, %d failed\n", total_passed, total_failed);
  return total_failed || status ? 1 : 0;
}

static void on_reject(void *user, const char *csv, uint64_t line, int column, const char *name, const char *reason) {
  (void)user;
  if (column > 0) fprintf(stderr, "%s:%llu: column %d (%s): %s\n", csv, (unsigned long long)line, column, name ? name : "?", reason);
  else fprintf(stderr, "%s:%llu: %s\n", csv, (unsigned long long)line, reason);
}

static void on_warning(void *user, const char *message) { fprintf(stderr, "%s: warning: %s\n", (const char *)user, message); }

static int cmd_ingest(int argc, char **argv) {
  const char *schema = NULL, *out = NULL, *bad = NULL, *csv = NULL;
  const char *names[32], *paths[32];
  int nstreams = 0;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--stream") == 0 && i + 1 < argc) {
      char *eq = strchr(argv[++i], '=');
      if (!eq || eq == argv[i] || !eq[1]) return usage("ingest: --stream takes NAME=FILE.csv");
      if (nstreams == 32) return usage("ingest: at most 32 --stream files");
      *eq = 0;
      names[nstreams] = argv[i];
      paths[nstreams++] = eq + 1;
    } else if (strcmp(argv[i], "--schema") == 0 && i + 1 < argc) schema = argv[++i];
    else if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--out") == 0) && i + 1 < argc) out = argv[++i];
    else if (strcmp(argv[i], "--bad-rows") == 0 && i + 1 < argc) bad = argv[++i];
    else if (argv[i][0] == '-') return usage("ingest: unknown option");
    else if (!csv) csv = argv[i];
    else return usage("ingest takes one CSV file");
  }
  if (!schema || !out || !csv) return usage("ingest needs --schema, a CSV file and -o");
  segc_program *p = load(&schema, 1);
  if (!p) return 1;
  segc_ingest_options o = {csv, out, bad, nstreams, names, paths, on_reject, on_warning, (void *)csv};
  segc_ingest_report r;
  char err[1024];
  bool ok = segc_ingest(p, &o, &r, err, sizeof err);
  segc_free(p);
  if (!ok) {
    fprintf(stderr, "segc: %s\n", err);
    return 1;
  }
  uint64_t bytes = r.bytes_read + r.event_bytes_read;
  printf("%llu rows read, %llu kept, %llu rejected", (unsigned long long)r.rows_read, (unsigned long long)r.rows_kept,
         (unsigned long long)r.rows_rejected);
  if (nstreams)
    printf("; %llu events read, %llu kept, %llu rejected (events: %.1f MB in %.2f s)", (unsigned long long)r.events_read,
           (unsigned long long)r.events_kept, (unsigned long long)r.events_rejected, (double)r.event_bytes_read / 1e6,
           r.event_seconds);
  printf("; %.1f MB in %.2f s (%.0f MB/s)\n", (double)bytes / 1e6, r.seconds,
         r.seconds > 0 ? (double)bytes / 1e6 / r.seconds : 0.0);
  return r.rows_rejected || r.events_rejected ? 1 : 0;
}

static int cmd_build(int argc, char **argv) {
  const char *out = NULL;
  int nfiles = 0;
  for (int i = 0; i < argc; i++) {
    if ((strcmp(argv[i], "-o") == 0 || strcmp(argv[i], "--out") == 0) && i + 1 < argc) out = argv[++i];
    else if (argv[i][0] == '-') return usage("build: unknown option");
    else argv[nfiles++] = argv[i];
  }
  if (!out || !nfiles) return usage("build needs rule files and -o PACK.segpack");
  segc_program *p = load((const char **)argv, nfiles);
  if (!p) return 1;
  char err[1024];
  bool ok = segc_build(p, out, err, sizeof err);
  segc_free(p);
  if (!ok) {
    fprintf(stderr, "segc: %s\n", err);
    return 1;
  }
  printf("wrote %s\n", out);
  return 0;
}

static int cmd_run(int argc, char **argv) {
  segc_run_options o = {0};
  const char **files = calloc((size_t)argc + 1, sizeof(char *));
  const char **set = calloc((size_t)argc + 1, sizeof(char *));
  int nfiles = 0;
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--as-of") == 0 && i + 1 < argc) o.as_of = argv[++i];
    else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) o.threads = atoi(argv[++i]);
    else if (strcmp(argv[i], "--set") == 0 && i + 1 < argc) set[o.nset++] = argv[++i];
    else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) o.out_dir = argv[++i];
    else if (strcmp(argv[i], "--interpreter") == 0) o.interpreter = true;
    else if (argv[i][0] == '-') {
      free(files);
      free(set);
      return usage("run: unknown option");
    } else files[nfiles++] = argv[i];
  }
  o.set = set;
  if (nfiles < 2 || !has_suffix(files[nfiles - 1], ".segd")) {
    free(files);
    free(set);
    return usage("run needs rule files and then a .segd data file");
  }
  segc_program *p;
  if (nfiles == 2 && has_suffix(files[0], ".segpack")) {
    char note[1024], err[1024];
    p = segc_load_pack(files[0], note, sizeof note, err, sizeof err);
    if (!p) fprintf(stderr, "segc: %s\n", err);
    else if (note[0]) fprintf(stderr, "segc: %s\n", note);
  } else {
    p = load(files, nfiles - 1);
  }
  if (!p) {
    free(files);
    free(set);
    return 1;
  }
  segc_report r;
  char err[1024];
  bool ok = segc_run(p, files[nfiles - 1], &o, &r, err, sizeof err);
  if (!ok) {
    fprintf(stderr, "segc: %s\n", err);
  } else {
    size_t w = 7;
    for (int k = 0; k < r.nsegments; k++)
      if (strlen(r.segments[k].name) > w) w = strlen(r.segments[k].name);
    printf("%-*s %12s %8s\n", (int)w, "segment", "members", "share");
    for (int k = 0; k < r.nsegments; k++)
      printf("%-*s %12llu %7.2f%%\n", (int)w, r.segments[k].name, (unsigned long long)r.segments[k].members,
             r.records ? 100.0 * (double)r.segments[k].members / (double)r.records : 0.0);
    double rate = r.seconds_eval > 0 ? (double)r.records / r.seconds_eval : 0;
    printf("\nas of %s: %llu records, %d segments; load %.3f s, compile %.4f s, evaluate %.4f s (%.1f M records/s)",
           r.as_of, (unsigned long long)r.records, r.nsegments, r.seconds_load, r.seconds_compile, r.seconds_eval, rate / 1e6);
    if (o.out_dir) printf(", write %.3f s to %s", r.seconds_write, o.out_dir);
    printf("\n");
  }
  segc_report_free(&r);
  segc_free(p);
  free(files);
  free(set);
  return ok ? 0 : 1;
}

static int cmd_emit(int argc, char **argv) {
  int mode = -1, n = 0;
  const char **files = calloc((size_t)argc + 1, sizeof(char *));
  for (int i = 0; i < argc; i++) {
    if (strcmp(argv[i], "--ir") == 0) mode = 0;
    else if (strcmp(argv[i], "--asm") == 0) mode = 1;
    else files[n++] = argv[i];
  }
  if (mode < 0 || n == 0) {
    free(files);
    return usage("emit needs --ir or --asm and rule files");
  }
  segc_program *p = load(files, n);
  free(files);
  if (!p) return 1;
  char err[1024];
  bool ok = segc_emit(p, mode == 1, stdout, err, sizeof err);
  if (!ok) fprintf(stderr, "segc: %s\n", err);
  segc_free(p);
  return ok ? 0 : 1;
}

int main(int argc, char **argv) {
  if (argc < 2) return usage(NULL);
  const char *cmd = argv[1];
  if (strcmp(cmd, "check") == 0) return cmd_check(argc - 2, argv + 2);
  if (strcmp(cmd, "test") == 0) return cmd_test(argc - 2, argv + 2);
  if (strcmp(cmd, "ingest") == 0) return cmd_ingest(argc - 2, argv + 2);
  if (strcmp(cmd, "run") == 0) return cmd_run(argc - 2, argv + 2);
  if (strcmp(cmd, "build") == 0) return cmd_build(argc - 2, argv + 2);
  if (strcmp(cmd, "emit") == 0) return cmd_emit(argc - 2, argv + 2);
  if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    fputs(usage_text, stdout);
    return 0;
  }
  return usage("unknown command");
}
