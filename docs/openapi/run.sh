#!/usr/bin/env bash
# Generates the TypeScript client of docs/OPENAPI.md from server/openapi/openapi.json,
# compiles docs/openapi/client.ts against it and runs it against a fresh sandbox gateway.
# CI runs it (.ci/run); it needs Node.js (18 or later) and the npm registry. Versions are
# pinned so that a new release of a generator cannot change what CI checks.
set -euo pipefail
cd "$(dirname "$0")/../.."

work="$(mktemp -d)"
gateway=""
cleanup() {
	if [ -n "$gateway" ]; then kill "$gateway" 2>/dev/null || true; wait "$gateway" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

cp docs/openapi/client.ts "$work/"
(cd "$work" && npm install --silent --no-save --no-package-lock --no-audit --no-fund \
	openapi-typescript@7.13.0 openapi-fetch@0.17.0 typescript@5.9.3 @types/node@20.19.43)

# The command docs/OPENAPI.md shows.
"$work/node_modules/.bin/openapi-typescript" server/openapi/openapi.json -o "$work/opaygate.d.ts"
(cd "$work" && node_modules/.bin/tsc --strict --target es2022 --module nodenext --moduleResolution nodenext \
	--types node --outDir out client.ts)

go build -o "$work/opaygate" ./cmd/opaygate
addr="127.0.0.1:${OPENAPI_EXAMPLE_PORT:-18089}"
"$work/opaygate" serve --addr "$addr" --db "$work/opaygate.db" >"$work/gateway.log" 2>&1 &
gateway=$!
for _ in $(seq 1 100); do
	(exec 3<>"/dev/tcp/${addr%:*}/${addr#*:}") 2>/dev/null && break
	sleep 0.1
done
if ! node "$work/out/client.js" "http://$addr"; then
	echo "--- the gateway's output:" >&2
	cat "$work/gateway.log" >&2
	exit 1
fi
