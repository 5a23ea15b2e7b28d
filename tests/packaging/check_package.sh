#!/usr/bin/env bash
# Builds the Debian package from a built tree with cpack (into a temporary directory) and checks
# it: control fields and computed Depends, the file layout, conffiles, the maintainer scripts
# (syntax, and their behaviour with and without a running systemd against a fake systemctl),
# the man pages (render without warnings, cover every command and config key), the shell
# completions, and an install/purge with dpkg into a scratch root.
# Usage: check_package.sh SOURCE_DIR BUILD_DIR [CPACK]. Exits 77 (skip) without dpkg-deb.
set -euo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
cpack=${3:-cpack}

for tool in dpkg-deb dpkg-shlibdeps "$cpack"; do
  if ! command -v "$tool" >/dev/null; then
    echo "$tool not installed; skipping (scripts/bootstrap.sh installs it)"
    exit 77
  fi
done
if grep -qx 'NEWSWATCH_SANITIZE:BOOL=ON' "$build/CMakeCache.txt" 2>/dev/null; then
  echo "sanitizer build: nobody ships it as a package; skipping"
  exit 77
fi
[[ -x $build/newswatch ]] || { echo "FAIL: $build/newswatch is not built"; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# --- Build the package ------------------------------------------------------------------------
if ! "$cpack" -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1; then
  cat "$tmp/cpack.log"
  echo "FAIL: cpack"
  exit 1
fi
version=$(sed -n 's/^set(CPACK_PACKAGE_VERSION "\(.*\)")$/\1/p' "$build/CPackConfig.cmake")
arch=$(dpkg --print-architecture)
deb="$tmp/out/newswatch_${version}_${arch}.deb"
[[ -f $deb ]] || { ls "$tmp/out"; echo "FAIL: $deb not written"; exit 1; }
pass "cpack wrote $(basename "$deb")"

# --- Control fields ---------------------------------------------------------------------------
[[ $(dpkg-deb -f "$deb" Package) == newswatch ]] || fail "Package is not newswatch"
[[ $(dpkg-deb -f "$deb" Version) == "$version" ]] || fail "Version is not $version"
depends=$(dpkg-deb -f "$deb" Depends)
echo "Depends: $depends"
# dpkg-shlibdeps computed them: the C library and the shared libraries the binary links.
for lib in libc6 libstdc++6 libcurl4 libsystemd0 libxml2; do
  grep -q "$lib" <<<"$depends" || fail "Depends lacks $lib"
done

# --- Files ------------------------------------------------------------------------------------
dpkg-deb -c "$deb" | awk '{ print $NF }' | sed 's|^\./|/|' >"$tmp/files"
for f in /usr/bin/newswatch /usr/lib/systemd/system/newswatch.service \
  /etc/newswatch/newswatch.toml /usr/share/man/man1/newswatch.1.gz \
  /usr/share/man/man5/newswatch.toml.5.gz /usr/share/bash-completion/completions/newswatch \
  /usr/share/zsh/vendor-completions/_newswatch /usr/share/doc/newswatch/README.md \
  /usr/share/doc/newswatch/config.md /usr/lib/sysusers.d/newswatch.conf; do
  grep -qx -- "$f" "$tmp/files" || fail "package lacks $f"
done
if grep -E '\.(a|h|cmake)$|/include/' "$tmp/files"; then fail "package carries build files"; fi
mode=$(dpkg-deb -c "$deb" | awk '$NF == "./usr/bin/newswatch" { print $1 }')
[[ $mode == -rwxr-xr-x ]] || fail "/usr/bin/newswatch has mode $mode"
# The config may hold secrets (SMTP passwords, webhook secrets): never world-readable. It is
# shipped root:root 0640; postinst gives it to group newswatch (checked below).
owner_mode=$(dpkg-deb -c "$deb" | awk '$NF == "./etc/newswatch/newswatch.toml" { print $1, $2 }')
[[ $owner_mode == "-rw-r----- root/root" ]] ||
  fail "/etc/newswatch/newswatch.toml is packaged as [$owner_mode], not -rw-r----- root/root"
pass "file layout"

# `cmake --install --prefix /usr` places the same files as the package.
DESTDIR="$tmp/destdir" cmake --install "$build" --prefix /usr >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log"; fail "cmake --install"; }
(cd "$tmp/destdir" && find . -type f | sed 's|^\.||' | sort) >"$tmp/installed"
dpkg-deb -c "$deb" | awk '$1 ~ /^-/ { print $NF }' | sed 's|^\./|/|' | sort >"$tmp/packaged"
diff "$tmp/installed" "$tmp/packaged" || fail "cmake --install and the package differ"
grep -qx 'ExecStart=/usr/bin/newswatch run --config /etc/newswatch/newswatch.toml' \
  "$tmp/destdir/usr/lib/systemd/system/newswatch.service" || fail "installed unit's ExecStart"
pass "cmake --install --prefix /usr"

root="$tmp/root"
dpkg-deb -x "$deb" "$root"
unit="$root/usr/lib/systemd/system/newswatch.service"
grep -qx 'ExecStart=/usr/bin/newswatch run --config /etc/newswatch/newswatch.toml' "$unit" ||
  fail "unit's ExecStart does not run /usr/bin/newswatch: $(grep ExecStart "$unit")"
grep -qx 'Documentation=file:///usr/share/doc/newswatch/README.md' "$unit" ||
  fail "unit's Documentation is not the installed README"
# The packaged config is valid and keeps its state where the unit may write.
if out=$("$root/usr/bin/newswatch" check-config --config "$root/etc/newswatch/newswatch.toml"); then
  grep -q 'database /var/lib/newswatch/db' <<<"$out" || fail "config's database: $out"
else
  fail "packaged config does not validate"
fi
grep -qx 'StateDirectory=newswatch' "$unit" || fail "unit has no StateDirectory=newswatch"
# The service runs as the static user the package creates, whose group may read the config.
{ grep -qx 'User=newswatch' "$unit" && grep -qx 'Group=newswatch' "$unit"; } ||
  fail "unit does not run as User=/Group=newswatch"
if grep -q '^DynamicUser=yes' "$unit"; then fail "unit still uses DynamicUser=yes"; fi
grep -qx 'u newswatch - .*' "$root/usr/lib/sysusers.d/newswatch.conf" ||
  fail "sysusers.d/newswatch.conf does not declare the user newswatch"
pass "unit and config"

# --- Control archive: conffiles and maintainer scripts -----------------------------------------
ctl="$tmp/control"
dpkg-deb -e "$deb" "$ctl"
[[ $(cat "$ctl/conffiles") == /etc/newswatch/newswatch.toml ]] ||
  fail "conffiles is: $(cat "$ctl/conffiles")"
for s in postinst prerm postrm; do
  [[ -x $ctl/$s ]] || fail "$s missing or not executable"
  sh -n "$ctl/$s" || fail "$s: sh -n"
  if command -v shellcheck >/dev/null; then shellcheck -s sh "$ctl/$s" || fail "$s: shellcheck"; fi
done

# A fake systemctl records its calls; FAKE_RC is its exit status.
mkdir -p "$tmp/bin" "$tmp/nobin"
cat >"$tmp/bin/systemctl" <<'EOF'
#!/bin/sh
echo "$*" >>"$SYSTEMCTL_LOG"
exit "${FAKE_RC:-0}"
EOF
chmod +x "$tmp/bin/systemctl"
log="$tmp/systemctl.log"
fake="$tmp/fakeroot"
run_script() { # SCRIPT ARGS...: runs a maintainer script with the fake systemctl first in PATH
  : >"$log"
  DPKG_ROOT=$fake SYSTEMCTL_LOG=$log PATH="$tmp/bin:$PATH" sh "$ctl/$1" "${@:2}"
}
expect_log() { # DESCRIPTION EXPECTED_LINES...
  local what=$1
  shift
  local want
  want=$(printf '%s\n' "$@")
  [[ $(cat "$log") == "$want" ]] || fail "$what: systemctl calls were [$(tr '\n' ';' <"$log")]"
}
mkdir -p "$fake"
# What dpkg has unpacked before postinst runs: the sysusers file and the conffile (root:root 0640).
install -D -m 0644 "$root/usr/lib/sysusers.d/newswatch.conf" "$fake/usr/lib/sysusers.d/newswatch.conf"
install -D -m 0640 "$root/etc/newswatch/newswatch.toml" "$fake/etc/newswatch/newswatch.toml"

# No systemd running (a chroot, an image build, this container): enable only, start nothing.
run_script postinst configure "" || fail "postinst without systemd exits non-zero"
expect_log "postinst, no systemd" "--root=$fake enable newswatch.service"
# postinst created the system user in the root it was given and gave the config to its group.
if command -v systemd-sysusers >/dev/null; then
  gid=$(sed -n 's/^newswatch:[^:]*:\([0-9]*\):.*/\1/p' "$fake/etc/group" 2>/dev/null || true)
  grep -q '^newswatch:' "$fake/etc/passwd" 2>/dev/null || fail "postinst did not create user newswatch"
  if [[ -n $gid && $(id -u) == 0 ]]; then
    got=$(stat -c '%a %u %g' "$fake/etc/newswatch/newswatch.toml")
    [[ $got == "640 0 $gid" ]] || fail "postinst left the config as [$got], not [640 0 $gid]"
  fi
fi
# No systemctl at all: nothing to do, and no failure.
DPKG_ROOT=$fake PATH="$tmp/nobin" /bin/sh "$ctl/postinst" configure "" ||
  fail "postinst without systemctl exits non-zero"

mkdir -p "$fake/run/systemd/system"
run_script postinst configure "" || fail "postinst with systemd exits non-zero"
expect_log "postinst, first install" "--system daemon-reload" "--root=$fake enable newswatch.service" \
  "start newswatch.service"
FAKE_RC=1 run_script postinst configure "" || fail "a failing start fails postinst"
run_script postinst configure 0.0.9 || fail "postinst upgrade exits non-zero"
expect_log "postinst, upgrade" "--system daemon-reload" "try-restart newswatch.service"
run_script prerm upgrade 0.1.1 || fail "prerm upgrade"
expect_log "prerm, upgrade" # keeps running; postinst restarts it
run_script prerm remove || fail "prerm remove"
expect_log "prerm, remove" "stop newswatch.service" "--root=$fake disable newswatch.service"

rm -f "$fake/etc/newswatch/newswatch.toml"  # dpkg removes conffiles itself on purge
mkdir -p "$fake/var/lib/private/newswatch/db" "$fake/etc/newswatch"
ln -s private/newswatch "$fake/var/lib/newswatch"
run_script postrm remove || fail "postrm remove"
expect_log "postrm, remove" "--system daemon-reload"
[[ -d $fake/var/lib/private/newswatch/db ]] || fail "postrm remove deleted the database"
run_script postrm purge || fail "postrm purge"
[[ ! -e $fake/var/lib/newswatch && ! -L $fake/var/lib/newswatch ]] ||
  fail "purge left /var/lib/newswatch"
[[ ! -e $fake/var/lib/private/newswatch ]] || fail "purge left /var/lib/private/newswatch"
[[ ! -e $fake/etc/newswatch ]] || fail "purge left the empty /etc/newswatch"
pass "maintainer scripts"

# --- dpkg install and purge into a scratch root (scripts run with DPKG_ROOT, the real systemctl
# enables the unit offline there) ----------------------------------------------------------------
inst="$tmp/inst"
mkdir -p "$inst/var/lib/dpkg/info" "$inst/var/lib/dpkg/updates" "$inst/etc/systemd/system"
touch "$inst/var/lib/dpkg/status"
dpkg_root() {
  dpkg --root="$inst" --force-script-chrootless --force-depends --force-not-root \
    --log=/dev/null "$@" >>"$tmp/dpkg.log" 2>&1
}
if ! command -v systemctl >/dev/null; then
  echo "systemctl not installed; skipping the dpkg --root install"
elif dpkg_root -i "$deb"; then
  [[ -x $inst/usr/bin/newswatch ]] || fail "dpkg -i did not install the binary"
  [[ -L $inst/etc/systemd/system/multi-user.target.wants/newswatch.service ]] ||
    fail "dpkg -i did not enable newswatch.service"
  if command -v systemd-sysusers >/dev/null && [[ $(id -u) == 0 ]]; then
    inst_gid=$(sed -n 's/^newswatch:[^:]*:\([0-9]*\):.*/\1/p' "$inst/etc/group")
    got=$(stat -c '%a %u %g' "$inst/etc/newswatch/newswatch.toml")
    [[ -n $inst_gid && $got == "640 0 $inst_gid" ]] ||
      fail "dpkg -i: config is [$got], not 0640 root:newswatch (gid ${inst_gid:-none})"
  fi
  mkdir -p "$inst/var/lib/newswatch/db"
  echo "# local edit" >>"$inst/etc/newswatch/newswatch.toml"
  dpkg_root -r newswatch || fail "dpkg -r"
  [[ -f $inst/etc/newswatch/newswatch.toml ]] || fail "dpkg -r removed the conffile"
  [[ -d $inst/var/lib/newswatch/db ]] || fail "dpkg -r removed the state"
  [[ ! -e $inst/etc/systemd/system/multi-user.target.wants/newswatch.service ]] ||
    fail "dpkg -r left the unit enabled"
  dpkg_root -P newswatch || fail "dpkg -P"
  [[ ! -e $inst/var/lib/newswatch ]] || fail "dpkg -P left /var/lib/newswatch"
  [[ ! -e $inst/etc/newswatch ]] || fail "dpkg -P left /etc/newswatch"
  pass "dpkg --root install, remove, purge"
else
  cat "$tmp/dpkg.log"
  fail "dpkg --root -i"
fi

# --- Man pages --------------------------------------------------------------------------------
for page in man1/newswatch.1.gz man5/newswatch.toml.5.gz; do
  f="$root/usr/share/man/$page"
  warnings=$(zcat "$f" | groff -man -ww -z 2>&1) || fail "$page: groff failed"
  [[ -z $warnings ]] || fail "$page: groff warnings: $warnings"
  if command -v man >/dev/null; then
    warnings=$(MANWIDTH=80 man --warnings -l "$f" 2>&1 >/dev/null) || fail "$page: man failed"
    [[ -z $warnings ]] || fail "$page: man warnings: $warnings"
  fi
done
# Every command the program lists has a section in newswatch(1).
commands=$("$root/usr/bin/newswatch" --help | awk '/^commands:/ { c = 1; next } c && /^  [a-z]/ { print $1 }')
[[ $(wc -l <<<"$commands") -ge 5 ]] || fail "newswatch --help lists too few commands: $commands"
zcat "$root/usr/share/man/man1/newswatch.1.gz" | sed 's/\\-/-/g' >"$tmp/man1.txt"
for c in $commands; do
  grep -Eq "^\.SS \"$c( |\")" "$tmp/man1.txt" || fail "newswatch.1 has no section for command $c"
done
# Every key of docs/config.md is described in newswatch.toml(5).
# shellcheck disable=SC2016 # backquotes are literal here
keys=$(grep -E '^\| `' "$src/docs/config.md" | cut -d'|' -f2 | grep -o '`[a-z_]*`' | tr -d '`' | sort -u)
[[ $(wc -l <<<"$keys") -ge 20 ]] || fail "found too few keys in docs/config.md"
for k in $keys; do
  grep -Eq "^\.BR ($k|[a-z_]+ \", \" $k)( |$)" <(zcat "$root/usr/share/man/man5/newswatch.toml.5.gz") ||
    fail "newswatch.toml.5 does not describe key $k"
done
pass "man pages"

# --- Shell completions ------------------------------------------------------------------------
completion="$root/usr/share/bash-completion/completions/newswatch"
bash_complete() { # WORDS...: prints the completions of the last word, one per line
  PATH="$root/usr/bin:$PATH" NEWSWATCH_CONFIG="$root/etc/newswatch/newswatch.toml" \
    bash --norc --noprofile -c '
      source "$1"; shift
      complete -p newswatch >/dev/null || exit 3
      COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
      _newswatch
      printf "%s\n" "${COMPREPLY[@]}"' _ "$completion" "$@"
}
got=$(bash_complete newswatch "" | sort) || fail "bash completion does not load"
[[ $got == "$(sort <<<"$commands")" ]] || fail "bash completes commands [$got], --help lists [$commands]"
[[ $(bash_complete newswatch ch) == check-config ]] || fail "bash: 'ch' does not complete to check-config"
got=$(bash_complete newswatch list -- | tr '\n' ' ')
for o in --config --json --limit --offset --help; do
  grep -q -- "$o " <<<"$got" || fail "bash: list options [$got] lack $o"
done
[[ $(bash_complete newswatch extract --ba) == --batch ]] || fail "bash: extract --ba"
got=$(bash_complete newswatch match --topic "" | sort | tr '\n' ' ')
[[ $got == "korea russia " ]] || fail "bash: topics from the config: [$got]"
got=$(bash_complete newswatch extract --format "" | tr '\n' ' ')
[[ $got == "text json " ]] || fail "bash: --format values [$got]"
pass "bash completion"

if command -v zsh >/dev/null; then
  zsh -n "$root/usr/share/zsh/vendor-completions/_newswatch" || fail "zsh -n _newswatch"
  # Load it through compinit from the packaged directory: it must register for newswatch.
  got=$(ZDOTDIR=$tmp zsh -f -c "fpath=($root/usr/share/zsh/vendor-completions \$fpath)
    autoload -Uz compinit && compinit -u -d $tmp/zcompdump && print -r -- \${_comps[newswatch]}")
  [[ $got == _newswatch ]] || fail "zsh: compinit does not bind _newswatch to newswatch ($got)"
  pass "zsh completion"
else
  echo "zsh not installed; skipping the zsh completion check"
fi

if ((failures)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "package ok"
