#!/usr/bin/env bash
# The outside tools Tidemark needs, checked before anything runs: `pnpm test` (its pretest
# script), `pnpm start`, `pnpm bench` and `.ci/run` all call this one step. A missing tool is
# installed where this machine allows it (apt-get as root on Debian/Ubuntu, pip, npm into
# /usr/local); otherwise the step stops with one line per missing tool and the command that
# installs it, so no test starts without what it needs and none is skipped for want of a tool.
#
#   bash scripts/prerequisites.sh [test|start|bench]     (default: test)
#   TIDEMARK_NO_INSTALL=1   only check and report, never install (any value but 0 or empty)
#
# Plain bash and nothing else: on a fresh machine it runs before Node 24 exists.
set -uo pipefail
cd "$(dirname "$0")/.."

# What the repository pins, read from package.json so there is one place to change them.
manifest=$(<package.json)
[[ $manifest =~ \"node\":\ *\"\>=(([0-9]+)[0-9.]*) ]] && NODE_MIN=${BASH_REMATCH[1]} NODE_MAJOR=${BASH_REMATCH[2]}
[[ $manifest =~ \"packageManager\":\ *\"pnpm@([0-9.]+)\" ]] && PNPM_VERSION=${BASH_REMATCH[1]}
: "${NODE_MIN:?package.json has no engines.node of the form >=N.N}" "${PNPM_VERSION:?package.json has no packageManager pnpm@X.Y.Z}"

# One line per tool:  need <for> <name> <install> <check...>
#   for      the commands that need it, comma-separated: test (pnpm test, CI), start, bench
#   install  apt:<Debian package> | pip:<PyPI package> | npm:<npm package spec, installed into /usr/local>
#   check    a command (helpers below) that succeeds when the tool is usable; it may set `found`
tools() {
  need test,start,bench node         npm:node@"$NODE_MAJOR"       version_at_least "$NODE_MIN" node --version
  need test,start,bench pnpm         npm:pnpm@"$PNPM_VERSION"     version_is "$PNPM_VERSION" pnpm --version
  need test,bench       java         apt:openjdk-17-jre-headless java_at_least 17
  need test,bench       mvn          apt:maven                   on_path mvn
  need test             chromium     apt:chromium                executable "${CHROMIUM_PATH:-/usr/bin/chromium}"
  need test             nginx        apt:nginx-light             on_path nginx
  need test             caddy        apt:caddy                   on_path caddy
  need test             openssl      apt:openssl                 on_path openssl
  need test,bench       python3      apt:python3                 version_at_least 3.9 python3 -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])'
  need test             schemathesis pip:schemathesis            on_path schemathesis
  need test             aiosmtpd     pip:aiosmtpd                python_module aiosmtpd
  need bench            wrk          apt:wrk                     on_path wrk
}

# ---- checks: succeed when usable; `found` says what is there when it is not good enough

on_path() { command -v "$1" >/dev/null 2>&1; }
executable() { [ -x "$1" ] || { found="no $1"; false; }; }
python_module() { python3 -c "import $1" >/dev/null 2>&1 || { found="no Python module $1"; false; }; }

# version_at_least MIN CMD...: the first dotted number CMD prints is MIN or newer.
version_at_least() {
  local min=$1 out
  shift
  out=$("$@" 2>&1) || return 1
  [[ $out =~ ([0-9]+(\.[0-9]+)*) ]] || return 1
  found=${BASH_REMATCH[1]}
  newer_or_same "$found" "$min" || { found="$found, needs $min or newer"; false; }
}

version_is() {
  local want=$1 out
  shift
  out=$("$@" 2>&1) || return 1
  found=$out
  [ "$out" = "$want" ] || { found="$out, needs $want"; false; }
}

# `java -version` says "17.0.15" (or "1.8.0_412" before Java 9) on stderr.
java_at_least() {
  local out major
  out=$(java -version 2>&1) || return 1
  [[ $out =~ version\ \"([0-9]+)(\.([0-9]+))? ]] || return 1
  major=${BASH_REMATCH[1]}
  [ "$major" = 1 ] && major=${BASH_REMATCH[3]}
  found=$major
  [ "$major" -ge "$1" ] || { found="$major, needs $1 or newer"; false; }
}

# newer_or_same A B: dotted version A >= B.
newer_or_same() {
  local IFS=. i
  local -a a b
  read -ra a <<<"$1"
  read -ra b <<<"$2"
  for ((i = 0; i < ${#b[@]}; i++)); do
    ((10#${a[i]:-0} > 10#${b[i]})) && return 0
    ((10#${a[i]:-0} < 10#${b[i]})) && return 1
  done
  return 0
}

# ---- the run

group=${1:-test}
case $group in test | start | bench) ;; *)
  echo "usage: bash scripts/prerequisites.sh [test|start|bench]" >&2
  exit 2
  ;;
esac
root=false
((EUID == 0)) && root=true
sudo=''
$root || sudo='sudo '

missing=() # "name|install|found"
present=()
need() {
  local for=$1 name=$2 install=$3
  shift 3
  [[ ,$for, == *,$group,* ]] || return 0
  found=''
  if "$@"; then
    present+=("$name${found:+ $found}")
  else
    missing+=("$name|$install|${found:-not found}")
  fi
}

install_command() {
  local what=${1#*:}
  case $1 in
  apt:*) echo "${sudo}apt-get install -y $what" ;;
  pip:*) echo "python3 -m pip install $what" ;;
  npm:*) echo "${sudo}npm install --global --prefix /usr/local $what" ;;
  esac
}

check_all() {
  missing=()
  present=()
  hash -r
  tools
}

# Installs what is missing, where allowed: Node first (npm then runs on it), then one apt-get
# for the system packages (with npm or pip themselves when an npm or pip install needs them),
# then the npm and pip packages. What fails to install is reported by the check that follows.
install_missing() {
  local entry name install apt=() npm=() pip=()
  for entry in "${missing[@]}"; do
    IFS='|' read -r name install _ <<<"$entry"
    case $install in
    apt:*) apt+=("${install#apt:}") ;;
    npm:node@*) npm=("${install#npm:}" "${npm[@]}") ;;
    npm:*) npm+=("${install#npm:}") ;;
    pip:*) pip+=("${install#pip:}") ;;
    esac
  done
  if ((${#npm[@]})) && ! on_path npm; then apt+=(npm); fi
  if ((${#pip[@]})) && ! python3 -m pip --version >/dev/null 2>&1; then apt+=(python3-pip); fi
  if ((${#apt[@]})); then
    if $root && on_path apt-get; then
      echo "prerequisites: apt-get install ${apt[*]}"
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt[@]}"
    fi
  fi
  for spec in "${npm[@]}"; do
    if on_path npm && [ -w /usr/local/bin ] && [ -w /usr/local/lib ]; then
      echo "prerequisites: npm install --global --prefix /usr/local $spec"
      npm install --global --prefix /usr/local --no-fund --no-audit --loglevel=error "$spec"
      hash -r
    fi
  done
  if ((${#pip[@]})) && python3 -m pip --version >/dev/null 2>&1; then
    echo "prerequisites: python3 -m pip install ${pip[*]}"
    # Debian's own Python refuses pip installs outside a virtual environment (PEP 668) unless told.
    PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore python3 -m pip install --quiet --disable-pip-version-check "${pip[@]}"
    # pyenv finds a new command only through a shim that `rehash` writes.
    if on_path pyenv; then pyenv rehash; fi
  fi
}

no_install=false
[[ ${TIDEMARK_NO_INSTALL:-0} == 0 ]] || no_install=true

check_all
if ((${#missing[@]})) && ! $no_install; then
  install_missing
  check_all
fi

if ((${#missing[@]} == 0)); then
  list=$(printf '%s, ' "${present[@]}")
  echo "prerequisites ($group): ${list%, } — all present"
  exit 0
fi

{
  echo "prerequisites ($group): ${#missing[@]} missing, nothing was run:"
  for entry in "${missing[@]}"; do
    IFS='|' read -r name install found <<<"$entry"
    printf '  %-13s %-40s install: %s\n' "$name" "($found)" "$(install_command "$install")"
  done
  if $no_install; then
    echo "  (TIDEMARK_NO_INSTALL is set: nothing was installed)"
  elif ! $root; then
    echo "  (not root: system packages were not installed)"
  fi
} >&2
exit 1
