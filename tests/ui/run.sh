#!/bin/sh
# SPDX-License-Identifier: MIT
# The 'ui' suite: the token timeline page in Debian's chromium, driven by
# playwright-core (pinned in package-lock.json, installed with `npm ci` into
# a cache dir under the build dir).
#   run.sh MOCKAPI CACHE_DIR ARTIFACT_DIR
# Exit 77 with "SKIP-REASON: ..." only when chromium cannot be installed.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mockapi=$1
cache=$2
artifacts=$3
scripts=${MOCKAPI_SCRIPTS:-$here/../../scripts}

if [ ! -x /usr/bin/chromium ]; then
	if ! "$scripts/install-deps" --extra chromium >&2 || [ ! -x /usr/bin/chromium ]; then
		echo "SKIP-REASON: chromium cannot be installed (scripts/install-deps --extra chromium failed)"
		exit 77
	fi
fi
if ! command -v node >/dev/null 2>&1; then
	"$scripts/install-deps" --extra nodejs npm >&2
fi

# playwright-core from the committed lockfile, reinstalled when it changes.
mkdir -p "$cache"
if ! cmp -s "$here/package-lock.json" "$cache/package-lock.json" ||
	[ ! -f "$cache/node_modules/playwright-core/package.json" ]; then
	cp "$here/package.json" "$here/package-lock.json" "$cache/"
	(cd "$cache" && npm_config_cache="$cache/npm-cache" npm ci \
		--ignore-scripts --no-audit --no-fund --loglevel=error) >&2
fi

mkdir -p "$artifacts"
exec node "$here/test_ui.js" "$mockapi" "$cache/node_modules" "$artifacts"
