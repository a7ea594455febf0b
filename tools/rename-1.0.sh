#!/bin/sh
# Applies the renames of tools/rename-1.0.tsv (issue 13 item 7) to the
# sources of a usnmp tree: lib/ include/ test/ bench/ examples/ and
# README.md, every tracked or new (untracked, not ignored) text file there.
# Identifiers are matched whole (word boundaries), so usnmp_sync_new never
# touches usnmp_sync_new_ex, and nothing outside those paths is touched.
# Idempotent: no new name is an old one, so a second run changes nothing.
#
#   tools/rename-1.0.sh            rewrite the tree this script lives in
#   tools/rename-1.0.sh --check    list old names still there; exit 1 if any
#   tools/rename-1.0.sh [--check] DIR   the same for the tree at DIR
#
# Usable on any branch at any time: git merge main, then run it again.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
list="$here/rename-1.0.tsv"
check=0
if [ "${1:-}" = "--check" ]; then
  check=1
  shift
fi
root=${1:-"$here/.."}
cd "$root"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# old<TAB>new pairs, comments and blank lines dropped.
grep -v '^#' "$list" | grep -v '^[[:space:]]*$' > "$tmp/pairs"
if cut -f1 "$tmp/pairs" | grep -qvE '^[A-Za-z_][A-Za-z0-9_]*$' ||
   cut -f2 "$tmp/pairs" | grep -qvE '^[A-Za-z_][A-Za-z0-9_]*$'; then
  echo "rename-1.0: a malformed line in $list" >&2
  exit 2
fi
# A new name that is also an old one would make a second run rename again.
cut -f1 "$tmp/pairs" > "$tmp/old"
if cut -f2 "$tmp/pairs" | grep -qxFf "$tmp/old"; then
  echo "rename-1.0: a new name is also an old one in $list" >&2
  exit 2
fi

awk -F '\t' '{ printf "s/\\<%s\\>/%s/g\n", $1, $2 }' "$tmp/pairs" > "$tmp/sed"
awk -F '\t' '{ print $1 }' "$tmp/pairs" > "$tmp/pattern"
# Beyond whole identifiers: the library codes are generated from
# USNMP_ERRNO_MAP, where a code is written without its USNMP_E_ prefix
# (XX(TOOBIG, ...)); comments name a family of constants as PREFIX_*; and
# the functions that take or return an agent's error-status do it as a
# usnmp_error_status, not an int32_t (declarations and definitions).
cat >> "$tmp/sed" <<'SED'
s/\<XX(TOOBIG,/XX(TOO_BIG,/g
s/\<USNMP_ERR_\*/USNMP_ERROR_STATUS_*/g
s/\<USNMP_OPT_\*/USNMP_REQUEST_*/g
s/\<usnmp_error_status_text(int32_t /usnmp_error_status_text(usnmp_error_status /g
s/\<usnmp_error_status_name(int32_t /usnmp_error_status_name(usnmp_error_status /g
s/\<int32_t usnmp_sync_error_status(/usnmp_error_status usnmp_sync_error_status(/g
SED
printf '%s\n' 'XX(TOOBIG,' 'USNMP_ERR_*' 'USNMP_OPT_*' \
  'usnmp_error_status_text(int32_t' 'usnmp_error_status_name(int32_t' \
  'int32_t usnmp_sync_error_status' >> "$tmp/pattern"

# Text files only (grep -I), tracked or new; those with an old name.
# Outside a git checkout (a release tarball), every file under the paths.
list_files() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -z --cached --others --exclude-standard -- \
      lib include test bench examples README.md
  else
    find lib include test bench examples README.md -type f -print0 \
      2>/dev/null || true
  fi
}
list_files |
  xargs -0 -r grep -IlwF -f "$tmp/pattern" -- 2>/dev/null > "$tmp/files" || true

if [ "$check" = 1 ]; then
  if [ -s "$tmp/files" ]; then
    echo "rename-1.0: old names (tools/rename-1.0.tsv) still in use:" >&2
    tr '\n' '\0' < "$tmp/files" | xargs -0 grep -nwF -f "$tmp/pattern" -- >&2
    exit 1
  fi
  exit 0
fi

# C lines a rename changed are then laid out again with clang-format (the
# project's .clang-format, 80 columns), those lines only: a longer name
# must not leave a line over the limit, and nothing else moves.
fmt=$(command -v clang-format || true)
[ -n "$fmt" ] || echo "rename-1.0: no clang-format; renamed lines keep" \
  "their layout" >&2
n=0
while IFS= read -r f; do
  cp "$f" "$tmp/orig"
  sed -i -f "$tmp/sed" "$f"
  n=$((n + 1))
  case "$f" in
  *.c | *.h) ;;
  *) continue ;;
  esac
  [ -n "$fmt" ] || continue
  lines=$(diff --unchanged-line-format= --old-line-format= \
    --new-line-format='--lines=%dn:%dn ' "$tmp/orig" "$f" || true)
  # shellcheck disable=SC2086 # one argument per changed line
  [ -z "$lines" ] || "$fmt" -i --style=file $lines "$f"
done < "$tmp/files"
echo "rename-1.0: $n files rewritten"
