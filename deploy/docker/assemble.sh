#!/usr/bin/env bash
# What an image ships for one service, laid out at OUT: the service's package and the
# workspace packages it uses, in the repository's layout (OUT/packages/<name>/, tests left out),
# and their production dependencies installed by pnpm from the lockfile (so no chdb, no tsx).
# The build stage of deploy/docker/<service>.Dockerfile runs it; deploy/image-contents.test.ts
# runs it too and starts the result.
#
#   bash deploy/docker/assemble.sh <service> <OUT> [pnpm install options, e.g. --offline]
#
# Node runs the TypeScript sources with its own type stripping, which it refuses for files
# under node_modules/. `pnpm deploy` copies workspace packages into node_modules/.pnpm/, so
# the workspace layout is kept instead: each package's node_modules links the others by path.
set -euo pipefail
service=$1 out=$2
shift 2
cd "$(dirname "$0")/../.."

mapfile -t closure < <(pnpm ls --filter "@tidemark/$service..." --depth -1 --parseable | sed "s|^$PWD/||")
[[ " ${closure[*]} " == *" packages/$service "* ]] || {
  echo "assemble: no workspace package @tidemark/$service" >&2
  exit 2
}

mkdir -p "$out"
# pnpm reads every workspace manifest to install from the frozen lockfile; only the closure's
# files are copied.
tar -c --exclude=node_modules --exclude='*.test.ts' --exclude="./packages/*/test" \
  ./package.json ./pnpm-lock.yaml ./pnpm-workspace.yaml ./patches ./packages/*/package.json "${closure[@]/#/./}" |
  tar -x -C "$out"
pnpm install --dir "$out" --frozen-lockfile --prod --filter "@tidemark/$service..." "$@"

# What the install made for the other packages and the workspace root is not part of the image.
for dir in "$out"/packages/*/; do
  [[ " ${closure[*]} " == *" packages/$(basename "$dir") "* ]] || rm -rf "$dir"
done
find "$out/node_modules" -mindepth 1 -maxdepth 1 ! -name .pnpm ! -name .modules.yaml -exec rm -rf {} +
