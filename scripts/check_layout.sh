#!/usr/bin/env bash
# Checks the layout rules of DESIGN.md §2; exits non-zero naming every offence.
#   1. A file in src/<folder>/ includes ("<folder>/...") only its own folder and the folders
#      listed before it in ORDER (one-way dependencies). tools/, tests/, bench/, fuzz/ may
#      include anything.
#   2. No two files in the tree share a file name (git ls-files; data under tests/data and
#      docs/ and generic names like README.md, CMakeLists.txt and .gitignore are not counted).
# Usage: scripts/check_layout.sh [ROOT]   (default: the repository this script is in)
set -u
root="${1:-$(cd "$(dirname "$0")/.." && pwd)}"
cd "$root" || exit 2

ORDER=(common ans model format io det coding flow train imitation)
rank_of() {
  local i
  for i in "${!ORDER[@]}"; do
    if [[ "${ORDER[$i]}" == "$1" ]]; then echo "$i"; return; fi
  done
  echo -1
}

status=0
files() {  # the tree's files: git's list where there is one, else every file
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files --cached --others --exclude-standard "$@"
  else
    find "$@" -type f | sed 's|^\./||'
  fi
}

# 1. Include order.
while IFS= read -r file; do
  folder="${file#src/}"
  folder="${folder%%/*}"
  own=$(rank_of "$folder")
  if [[ "$own" -lt 0 ]]; then
    echo "check_layout: $file: src/$folder is not a folder of DESIGN.md §2" >&2
    status=1
    continue
  fi
  while IFS= read -r line; do
    inc="${line#*\"}"
    inc="${inc%%\"*}"
    [[ "$inc" == */* ]] || continue
    target="${inc%%/*}"
    r=$(rank_of "$target")
    [[ "$r" -lt 0 ]] && continue  # not one of the folders (a system or generated header)
    if [[ "$r" -gt "$own" ]]; then
      echo "check_layout: $file includes \"$inc\": src/$folder may include only ${ORDER[*]:0:$((own + 1))}" >&2
      status=1
    fi
  done < <(grep -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file")
done < <(files src | grep -E '\.(h|cc|cpp|hpp)$')

# 2. Unique file names.
dups=$(files | grep -vE '^(tests/data|docs)/' | awk -F/ '{print $NF}' |
       grep -vE '^(README\.md|CMakeLists\.txt|\.gitignore)$' | sort | uniq -d)
for name in $dups; do
  echo "check_layout: file name $name is used more than once:" $(files | grep -E "(^|/)${name//./\\.}\$") >&2
  status=1
done

[[ $status -eq 0 ]] && echo "check_layout: ok"
exit $status
