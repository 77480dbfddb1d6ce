#!/usr/bin/env bash
# Runs a forksim command and puts its text report into README.md, between the lines
#   <!-- report:begin -->  and  <!-- report:end -->
# together with one line naming the commit, date, host and command that produced it.
#
#   scripts/readme-report.sh                      the main job (./forksim, no arguments)
#   scripts/readme-report.sh -- fork --size 64M --runs 2 --iterations 5
#                                                 any forksim command line after --
#   scripts/readme-report.sh --readme FILE [-- ...]  another file with the same markers
#
# The command's stdout is the report; its stderr (build and progress lines) goes to the terminal.
# README.md changes only when the command succeeds and printed something: a failed or interrupted
# run leaves it as it was. Exit codes: 0 done, 1 the command printed nothing, 2 bad usage or markers,
# else the command's own.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BEGIN='<!-- report:begin -->'
END='<!-- report:end -->'
README="$ROOT/README.md"

usage() {
  echo "usage: scripts/readme-report.sh [--readme FILE] [-- FORKSIM-ARGS...]" >&2
  exit 2
}

while [ $# -gt 0 ]; do
  case "$1" in
    --readme)
      [ $# -ge 2 ] || usage
      README="$2"
      shift 2
      ;;
    --)
      shift
      break
      ;;
    -h|--help)
      sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "readme-report: unknown argument '$1' (forksim arguments go after --)" >&2
      exit 2
      ;;
  esac
done

[ -f "$README" ] || { echo "readme-report: no such file: $README" >&2; exit 2; }
nbegin=$(grep -cxF -- "$BEGIN" "$README" || true)
nend=$(grep -cxF -- "$END" "$README" || true)
if [ "$nbegin" != 1 ] || [ "$nend" != 1 ]; then
  echo "readme-report: $README needs exactly one line '$BEGIN' and one line '$END' (found $nbegin and $nend)" >&2
  exit 2
fi
if [ "$(grep -nxF -- "$BEGIN" "$README" | cut -d: -f1)" -ge "$(grep -nxF -- "$END" "$README" | cut -d: -f1)" ]; then
  echo "readme-report: in $README '$BEGIN' must come before '$END'" >&2
  exit 2
fi

OUT="$(mktemp "${TMPDIR:-/tmp}/readme-report.XXXXXX")"
NEW="$(mktemp "$(dirname "$README")/.readme-report.XXXXXX")"
cleanup() { rm -f "$OUT" "$NEW" "${BLOCK:-}"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# What produced the report: commit (and whether tracked files other than Markdown had uncommitted changes),
# date, host, command.
commit="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no -- . ':(exclude)*.md' 2>/dev/null)" ]; then
  commit="$commit with uncommitted changes"
fi
cpu="$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)"
host="${cpu:-$(uname -m)}, $(nproc) cores, $(awk '/^MemTotal:/ { printf "%.0f GiB RAM", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r)"
if [ $# -eq 0 ]; then
  shown="./forksim"
else
  shown="./forksim$(printf ' %q' "$@")"
fi

status=0
"$ROOT/forksim" "$@" > "$OUT" || status=$?
if [ "$status" -ne 0 ]; then
  echo "readme-report: '$shown' exited with $status; $README left as it was" >&2
  exit "$status"
fi
if [ ! -s "$OUT" ]; then
  echo "readme-report: '$shown' printed no report; $README left as it was" >&2
  exit 1
fi
stamp="$(date -u '+%Y-%m-%d %H:%M UTC')"

BLOCK="$(mktemp "${TMPDIR:-/tmp}/readme-report.XXXXXX")"
{
  printf 'Produced by `scripts/readme-report.sh` at commit %s on %s; host: %s; command: `%s`.\n' \
    "$commit" "$stamp" "$host" "$shown"
  echo
  echo '```'
  cat "$OUT"
  echo '```'
} > "$BLOCK"
# Keep both marker lines; replace what lies between them.
awk -v b="$BEGIN" -v e="$END" -v block="$BLOCK" '
  $0 == b { print; while ((getline line < block) > 0) print line; skip = 1; next }
  $0 == e { skip = 0 }
  !skip   { print }
' "$README" > "$NEW"
chmod --reference="$README" "$NEW" 2>/dev/null || true
mv "$NEW" "$README"
echo "readme-report: $README updated from '$shown'" >&2
