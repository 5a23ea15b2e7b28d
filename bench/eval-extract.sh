#!/usr/bin/env bash
# Article extraction quality on the shared public corpora, in one command:
#   1. trafilatura-eval: `newswatch extract --batch` scored by shared/tools/score-snippets.py
#      (with/without snippets; precision, recall, F1);
#   2. readability-pages: metadata agreement with Readability's expectations (title exact,
#      byline and published date where the expectation is non-empty, language, site name),
#      and the body's word overlap with Readability's own output for each page;
#   3. with --readability, Mozilla Readability (npm @mozilla/readability + jsdom, installed in a
#      temporary directory) on the same trafilatura-eval pages, as the peer.
# usage: bench/eval-extract.sh [--build DIR] [--readability] [--limit N]
# Skips (exit 0) with a message when ../shared is absent.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="$root/build"
peer=0
limit=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --build) build="$2"; shift 2 ;;
    --readability) peer=1; shift ;;
    --limit) limit="$2"; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--readability] [--limit N]" >&2; exit 2 ;;
  esac
done

shared=""
for candidate in "$root/../shared" "$root/../../shared"; do
  if [[ -d "$candidate/corpora" ]]; then shared="$(cd "$candidate" && pwd)"; break; fi
done
if [[ -z "$shared" ]]; then
  echo "eval-extract: ../shared/corpora not found; skipping"
  exit 0
fi
bin="$build/newswatch"
if [[ ! -x "$bin" ]]; then
  echo "eval-extract: $bin not built (cmake --build $build --target newswatch)" >&2
  exit 1
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

echo "== trafilatura-eval: newswatch"
limit_args=()
if [[ "$limit" -gt 0 ]]; then limit_args=(--limit "$limit"); fi
python3 "$shared/tools/score-snippets.py" --corpus "$shared/corpora/trafilatura-eval" \
  "${limit_args[@]}" --batch-cmd "'$bin' extract --batch {in} {out} 2>'$tmp/batch.log'"
grep -E 'pages/s' "$tmp/batch.log" | tail -1 || true

echo "== readability-pages: metadata agreement"
mkdir -p "$tmp/rp-in" "$tmp/rp-out"
for dir in "$shared/corpora/readability-pages"/*/; do
  name="$(basename "$dir")"
  [[ -f "$dir/source.html.gz" ]] || continue
  gzip -dc "$dir/source.html.gz" >"$tmp/rp-in/$name.html"
done
# Metadata is measured on every page, so the not-an-article judgement is off here.
"$bin" extract --batch --format json --min-chars 0 "$tmp/rp-in" "$tmp/rp-out" 2>"$tmp/rp.log" || true
grep -E 'pages/s' "$tmp/rp.log" | tail -1 || true
python3 - "$shared/corpora/readability-pages" "$tmp/rp-out" <<'EOF'
import datetime, gzip, json, os, re, sys
corpus, out = sys.argv[1], sys.argv[2]

def norm(s):
    return re.sub(r'\s+', ' ', s or '').strip()

def person(s):
    # A byline's preposition ("By", "Von", "Par") is not part of the name.
    return re.sub(r'^(by|von|par|por|di|door|av)\s+', '', norm(s), flags=re.I)

def instant(s):
    s = (s or '').strip()
    if not s:
        return None
    try:
        d = datetime.datetime.fromisoformat(s.replace('Z', '+00:00'))
    except ValueError:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    # newswatch keeps whole seconds.
    return d.astimezone(datetime.timezone.utc).replace(microsecond=0)

stats = {k: [0, 0] for k in ('title', 'byline', 'published', 'language', 'site_name')}
misses = []
# Body text against Readability's own output for the page (expected.html): bag-of-words overlap,
# pooled over pages. Not a human judgement, but a second corpus the extractor was not tuned on.
text_common = text_got = text_expected = 0

def words(s):
    return re.findall(r'\w+', s.lower())
for name in sorted(os.listdir(corpus)):
    meta_path = os.path.join(corpus, name, 'expected-metadata.json.gz')
    if not os.path.exists(meta_path):
        continue
    expected = json.load(gzip.open(meta_path))
    got_path = os.path.join(out, name + '.json')
    got = json.load(open(got_path)) if os.path.exists(got_path) else {}
    html_path = os.path.join(corpus, name, 'expected.html.gz')
    if os.path.exists(html_path):
        import collections, html as html_lib
        reference = html_lib.unescape(re.sub(r'<[^>]+>', ' ', gzip.open(html_path).read().decode('utf-8', 'replace')))
        g, e = collections.Counter(words(got.get('text') or '')), collections.Counter(words(reference))
        text_common += sum((g & e).values())
        text_got += sum(g.values())
        text_expected += sum(e.values())
    checks = [('title', norm(expected.get('title')), norm(got.get('title')), True)]
    if norm(expected.get('byline')):
        checks.append(('byline', person(expected.get("byline")), person(got.get("byline")), False))
    if expected.get('publishedTime'):
        e, g = instant(expected['publishedTime']), instant(got.get('published'))
        checks.append(('published', str(e), str(g), False))
    if expected.get('lang'):
        checks.append(('language', expected['lang'].split('-')[0].lower(), got.get('language') or '', False))
    if expected.get('siteName'):
        checks.append(('site_name', norm(expected['siteName']), norm(got.get('site_name')), False))
    for key, e, g, always in checks:
        stats[key][1] += 1
        if e == g:
            stats[key][0] += 1
        else:
            misses.append('%s %s: expected %r got %r' % (name, key, e[:80], g[:80]))
for key, (ok, n) in stats.items():
    print('%-10s %3d/%3d = %5.1f%%' % (key, ok, n, 100.0 * ok / n if n else 0))
if text_got and text_expected:
    p, r = text_common / text_got, text_common / text_expected
    print('text vs Readability: F1=%.3f precision=%.3f recall=%.3f (words, pooled)' %
          (2 * p * r / (p + r) if p + r else 0, p, r))
if os.environ.get('EVAL_VERBOSE'):
    print('\n'.join(misses))
EOF

if [[ "$peer" -eq 1 ]]; then
  echo "== trafilatura-eval: Mozilla Readability (peer)"
  peer_dir="$tmp/readability"
  mkdir -p "$peer_dir"
  (cd "$peer_dir" && npm install --silent --no-audit --no-fund @mozilla/readability jsdom >/dev/null 2>&1) || {
    echo "eval-extract: npm install of @mozilla/readability and jsdom failed; peer skipped"
    exit 0
  }
  cat >"$peer_dir/batch.js" <<'EOF'
const fs = require('fs'), path = require('path');
const { JSDOM, VirtualConsole } = require('jsdom');
const { Readability } = require('@mozilla/readability');
const [inDir, outDir] = process.argv.slice(2);
fs.mkdirSync(outDir, { recursive: true });
const files = fs.readdirSync(inDir).filter((f) => f.endsWith('.html')).sort();
const start = process.hrtime.bigint();
let bytes = 0;
for (const f of files) {
  const html = fs.readFileSync(path.join(inDir, f));
  bytes += html.length;
  try {
    const dom = new JSDOM(html, { virtualConsole: new VirtualConsole() });
    const article = new Readability(dom.window.document).parse();
    if (article) {
      fs.writeFileSync(path.join(outDir, f.replace(/\.html$/, '.txt')),
                       (article.title || '') + '\n\n' + (article.textContent || ''));
    }
    dom.window.close();
  } catch (e) {}
}
const s = Number(process.hrtime.bigint() - start) / 1e9;
console.error(`readability: ${files.length} pages, ${(files.length / s).toFixed(1)} pages/s, ${(bytes / 1e6 / s).toFixed(1)} MB/s`);
EOF
  python3 "$shared/tools/score-snippets.py" --corpus "$shared/corpora/trafilatura-eval" \
    "${limit_args[@]}" --timeout 60 \
    --batch-cmd "node '$peer_dir/batch.js' {in} {out} 2>'$tmp/peer.log'"
  cat "$tmp/peer.log"
fi
