#!/usr/bin/env bash
# Sourced by ./forksim and .ci/run. Sets FORKSIM_JAVA_HOME to a JDK >= 25 or prints one line and exits 1.
# Order: $JAVA_HOME when it is >= 25, then the usual install locations.
forksim_jdk_major() { # $1 = JDK home; prints the feature version or nothing
  local rel="$1/release" v
  if [ -r "$rel" ]; then
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$rel")
  elif [ -x "$1/bin/java" ]; then
    v=$("$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
  fi
  [ "$v" = "1" ] && v=8
  printf '%s' "$v"
}
forksim_find_jdk() {
  local seen=() cand major
  local cands=()
  [ -n "${JAVA_HOME:-}" ] && cands+=("$JAVA_HOME")
  for cand in /usr/lib/jvm/* /opt/java/* /opt/jdk* /usr/local/lib/jvm/* "$HOME"/.sdkman/candidates/java/* "$HOME"/.jdks/*; do
    [ -d "$cand" ] && cands+=("$cand")
  done
  local best="" bestv=0
  for cand in "${cands[@]}"; do
    [ -x "$cand/bin/java" ] || continue
    major=$(forksim_jdk_major "$cand")
    [ -n "$major" ] || continue
    seen+=("$cand (Java $major)")
    if [ "$major" -ge 25 ] 2>/dev/null; then
      # JAVA_HOME wins when it qualifies; otherwise the newest install
      if [ "$cand" = "${JAVA_HOME:-}" ]; then best="$cand"; bestv=999; fi
      if [ "$major" -gt "$bestv" ]; then best="$cand"; bestv=$major; fi
    fi
  done
  if [ -z "$best" ]; then
    local list="${seen[*]:-none}"
    echo "forksim: no JDK >= 25 found (JAVA_HOME=${JAVA_HOME:-unset}; found: ${list}); install one under /usr/lib/jvm or set JAVA_HOME" >&2
    return 1
  fi
  FORKSIM_JAVA_HOME="$best"
  export FORKSIM_JAVA_HOME
}
