/*
 * json_check: reads one JSON document on stdin, checks that it is valid
 * JSON (RFC 8259: one value, nothing after it but blanks) and prints every
 * scalar in it as a line "PATH=VALUE", for tests written in shell:
 *
 *   {"a":[1,{"b":"x"}]}   ->   .a[0]=1
 *                              .a[1].b="x"
 *
 * Strings are printed as they were written (escapes kept), numbers, true,
 * false and null as written.  Empty arrays and objects print "PATH=[]" and
 * "PATH={}".  Exit status: 0 valid, 1 invalid (with the offset on stderr).
 * test/test_cli.sh uses it to check `usnmp --json` without needing jq or
 * python on the test machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64
#define MAX_PATH 4096

typedef struct parser {
  const char *s;
  size_t len, pos;
  char path[MAX_PATH];
  size_t path_len;
  int depth;
} parser;

static void fail(const parser *p, const char *what) {
  fprintf(stderr, "json_check: %s at offset %zu\n", what, p->pos);
  exit(1);
}

static void skip_blanks(parser *p) {
  while (p->pos < p->len && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
                             p->s[p->pos] == '\n' || p->s[p->pos] == '\r'))
    p->pos++;
}

static int peek(parser *p) {
  return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

/* Scans a string starting at the opening quote; returns its raw text
 * (quotes included) through start/len. */
static void scan_string(parser *p, size_t *start, size_t *n) {
  *start = p->pos;
  p->pos++; /* the quote */
  for (;;) {
    int ch = peek(p);
    if (ch < 0)
      fail(p, "unterminated string");
    if (ch < 0x20)
      fail(p, "control character in string");
    p->pos++;
    if (ch == '"')
      break;
    if (ch == '\\') {
      int e = peek(p);
      if (e < 0 || strchr("\"\\/bfnrtu", e) == NULL)
        fail(p, "bad escape");
      p->pos++;
      if (e == 'u') {
        for (int i = 0; i < 4; i++) {
          int h = peek(p);
          if (h < 0 || strchr("0123456789abcdefABCDEF", h) == NULL)
            fail(p, "bad \\u escape");
          p->pos++;
        }
      }
    }
  }
  *n = p->pos - *start;
}

static void scan_number(parser *p) {
  if (peek(p) == '-')
    p->pos++;
  if (peek(p) == '0') {
    p->pos++;
  } else if (peek(p) >= '1' && peek(p) <= '9') {
    while (peek(p) >= '0' && peek(p) <= '9')
      p->pos++;
  } else {
    fail(p, "bad number");
  }
  if (peek(p) == '.') {
    p->pos++;
    if (!(peek(p) >= '0' && peek(p) <= '9'))
      fail(p, "bad fraction");
    while (peek(p) >= '0' && peek(p) <= '9')
      p->pos++;
  }
  if (peek(p) == 'e' || peek(p) == 'E') {
    p->pos++;
    if (peek(p) == '+' || peek(p) == '-')
      p->pos++;
    if (!(peek(p) >= '0' && peek(p) <= '9'))
      fail(p, "bad exponent");
    while (peek(p) >= '0' && peek(p) <= '9')
      p->pos++;
  }
}

static void emit(const parser *p, size_t start, size_t n) {
  printf("%.*s=%.*s\n", (int)p->path_len, p->path, (int)n, p->s + start);
}

static void push_path(parser *p, const char *fmt_text, size_t n) {
  if (p->path_len + n + 1 >= MAX_PATH)
    fail(p, "path too long");
  memcpy(p->path + p->path_len, fmt_text, n);
  p->path_len += n;
  p->path[p->path_len] = '\0';
}

static void parse_value(parser *p);

static void parse_object(parser *p) {
  size_t saved = p->path_len;
  p->pos++; /* { */
  skip_blanks(p);
  if (peek(p) == '}') {
    p->pos++;
    printf("%.*s={}\n", (int)p->path_len, p->path);
    return;
  }
  for (;;) {
    skip_blanks(p);
    if (peek(p) != '"')
      fail(p, "expected a member name");
    size_t start, n;
    scan_string(p, &start, &n);
    push_path(p, ".", 1);
    push_path(p, p->s + start + 1, n - 2);
    skip_blanks(p);
    if (peek(p) != ':')
      fail(p, "expected ':'");
    p->pos++;
    parse_value(p);
    p->path_len = saved;
    p->path[saved] = '\0';
    skip_blanks(p);
    if (peek(p) == ',') {
      p->pos++;
      continue;
    }
    if (peek(p) == '}') {
      p->pos++;
      return;
    }
    fail(p, "expected ',' or '}'");
  }
}

static void parse_array(parser *p) {
  size_t saved = p->path_len;
  p->pos++; /* [ */
  skip_blanks(p);
  if (peek(p) == ']') {
    p->pos++;
    printf("%.*s=[]\n", (int)p->path_len, p->path);
    return;
  }
  for (size_t i = 0;; i++) {
    char idx[32];
    int n = snprintf(idx, sizeof idx, "[%zu]", i);
    push_path(p, idx, (size_t)n);
    parse_value(p);
    p->path_len = saved;
    p->path[saved] = '\0';
    skip_blanks(p);
    if (peek(p) == ',') {
      p->pos++;
      continue;
    }
    if (peek(p) == ']') {
      p->pos++;
      return;
    }
    fail(p, "expected ',' or ']'");
  }
}

static void parse_value(parser *p) {
  skip_blanks(p);
  if (++p->depth > MAX_DEPTH)
    fail(p, "nested too deeply");
  int ch = peek(p);
  size_t start = p->pos, n;
  if (ch == '{') {
    parse_object(p);
  } else if (ch == '[') {
    parse_array(p);
  } else if (ch == '"') {
    scan_string(p, &start, &n);
    emit(p, start, n);
  } else if (ch == '-' || (ch >= '0' && ch <= '9')) {
    scan_number(p);
    emit(p, start, p->pos - start);
  } else {
    static const char *const words[] = {"true", "false", "null"};
    size_t k;
    for (k = 0; k < 3; k++) {
      size_t wl = strlen(words[k]);
      if (p->len - p->pos >= wl && memcmp(p->s + p->pos, words[k], wl) == 0) {
        p->pos += wl;
        emit(p, start, wl);
        break;
      }
    }
    if (k == 3)
      fail(p, "unexpected character");
  }
  p->depth--;
}

int main(void) {
  size_t cap = 1 << 16, len = 0, got;
  char *buf = malloc(cap);
  if (buf == NULL)
    return 1;
  while ((got = fread(buf + len, 1, cap - len, stdin)) > 0) {
    len += got;
    if (len == cap) {
      char *bigger = realloc(buf, cap * 2);
      if (bigger == NULL)
        return 1;
      buf = bigger;
      cap *= 2;
    }
  }
  parser p = {buf, len, 0, {0}, 0, 0};
  parse_value(&p);
  skip_blanks(&p);
  if (p.pos != p.len)
    fail(&p, "trailing characters after the document");
  free(buf);
  return 0;
}
