#!/usr/bin/env bash
# Re-create graphiql/vendor/ from the npm registry (npm pack = plain registry tarballs, no install scripts).
# Versions/hashes = exactly what strawberry-graphql 0.341.2's static/graphiql.html loads from unpkg,
# so the SRI hashes below are strawberry's own integrity="" values.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"; out="$here/vendor"; tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out/licenses"
# spec|file inside tarball|target name|sha384
while IFS='|' read -r spec src dst sri; do
  [ -z "$spec" ] && continue
  name="${spec%@*}"; d="$tmp/${name//\//_}"; mkdir -p "$d"
  [ -f "$d/.done" ] || { (cd "$tmp" && tar xzf "$(npm pack --silent "$spec" | tail -1)" -C "$d" && touch "$d/.done"); }
  cp "$d/package/$src" "$out/$dst"
  got="sha384-$(openssl dgst -sha384 -binary "$out/$dst" | base64 -w0)"
  [ "$got" = "$sri" ] || { echo "SRI mismatch for $spec $src: $got" >&2; exit 1; }
  [ -f "$d/package/LICENSE" ] && cp "$d/package/LICENSE" "$out/licenses/${name//\//_}.LICENSE"
  echo "ok $spec $src -> vendor/$dst"
done <<'LIST'
react@18.2.0|umd/react.production.min.js|react.production.min.js|sha384-tMH8h3BGESGckSAVGZ82T9n90ztNXxvdwvdM6UoR56cYcf+0iGXBliJ29D+wZ/x8
react-dom@18.2.0|umd/react-dom.production.min.js|react-dom.production.min.js|sha384-bm7MnzvK++ykSwVJ2tynSE5TRdN+xL418osEVF2DE/L/gfWHj91J2Sphe582B1Bh
graphiql@3.8.3|graphiql.min.js|graphiql.min.js|sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie
graphiql@3.8.3|graphiql.min.css|graphiql.min.css|sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM
@graphiql/plugin-explorer@1.0.2|dist/index.umd.js|plugin-explorer.umd.js|sha384-2oonKe47vfHIZnmB6ZZ10vl7T0Y+qrHQF2cmNTaFDuPshpKqpUMGMc9jgj9MLDZ9
@graphiql/plugin-explorer@1.0.2|dist/style.css|plugin-explorer.css|sha384-5DFJlDPW2tSATRbM8kzoP1j194jexLswuNmClWoRr2Q0x7R68JIQzPHZ02Faktwi
LIST
# @graphiql/plugin-explorer ships no LICENSE file; package.json says MIT (GraphQL Contributors).
