#!/usr/bin/env bash
# Regenerates screenshots/*.png: the TUI runs on the demo workspace in tmux, each panel is
# captured with its colours (`tmux capture-pane -e`), turned into HTML by aha and photographed by
# headless Chromium. Needs the Debian packages tmux, aha, chromium and fonts-dejavu-core.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=$PWD/target/release/litescope
cols=140 rows=40 session=litescope-shots
work=$(mktemp -d)
trap 'tmux kill-session -t $session 2>/dev/null || true; rm -rf "$work"' EXIT

tmux kill-session -t $session 2>/dev/null || true
tmux new-session -d -s $session -x $cols -y $rows \
  "env LITESCOPE_CONFIG_DIR='$work/config' '$bin' --demo"

wait_for() {  # wait_for TEXT: until TEXT is on screen (20 s at most)
  for _ in $(seq 200); do
    tmux capture-pane -p -t $session | grep -qF -- "$1" && return 0
    sleep 0.1
  done
  echo "screenshots: '$1' never appeared" >&2; tmux capture-pane -p -t $session >&2; exit 1
}
keys() { tmux send-keys -t $session "$@"; sleep 0.4; }

render() {  # render NAME: the current screen to screenshots/NAME.png
  local html=$work/$1.html
  {
    printf '<!DOCTYPE html><html><head><meta charset="utf-8"><style>'
    printf 'body{margin:0;background:#1e1e2e}pre{margin:0;padding:12px;font:15px/normal "DejaVu Sans Mono",monospace;color:#cdd6f4;background:#1e1e2e}'
    printf '.dimgray{color:#6c7086}.red{color:#f38ba8}.green{color:#a6e3a1}.yellow{color:#f9e2af}.blue{color:#89b4fa}.purple{color:#cba6f7}.cyan{color:#89dceb}.white{color:#bac2de}'
    printf '.bg-black{background:#45475a}.bg-red{background:#f38ba8}.bg-green{background:#a6e3a1}.bg-yellow{background:#f9e2af}.bg-blue{background:#3b5b9d}.bg-purple{background:#cba6f7}.bg-cyan{background:#89dceb}.bg-white{background:#bac2de}'
    printf '.inverted{color:#1e1e2e}.bg-inverted{background:#cdd6f4}.bold{font-weight:bold}.italic{font-style:italic}.underline{text-decoration:underline}'
    printf '</style></head><body><pre>'
    tmux capture-pane -p -e -t $session | aha --stylesheet --no-header
    printf '</pre></body></html>'
  } > "$html"
  # DejaVu Sans Mono at 15px: 9.03px per column, about 18px per line.
  local w=$(( cols * 903 / 100 + 30 )) h=$(( rows * 18 + 30 ))
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/chrome" --hide-scrollbars --window-size="$w,$h" \
    --screenshot="$PWD/screenshots/$1.png" "file://$html" >/dev/null 2>&1
  echo "screenshots/$1.png"
}

wait_for "memory/memory.db  ok"
sleep 3   # let the measuring pass and the audit finish
render 1-overview
keys 2; keys j; keys l; keys j; keys j; keys j; keys j; keys l
render 2-schema
keys 3; keys j; keys j; keys j; keys Enter
wait_for "messages ·"
render 3-data
keys 4 i
for line in "SELECT c.title, count(*) AS messages" "FROM conversations c" \
    "JOIN messages m ON m.conversation_id = c.id" "GROUP BY c.id ORDER BY messages DESC LIMIT 20"; do
  tmux send-keys -t $session -l "$line"; tmux send-keys -t $session Enter
done
keys F5
wait_for "rows in"
keys Escape
render 4-query
keys 5
render 5-findings
keys 6; keys G
render 6-relations
keys 7
render 7-migrations
keys 8
render 8-backups
keys '?'
render help
