#!/usr/bin/env bash
# Replays the Dockerfile's runtime stage in a clean Debian 12 root (no Docker engine needed) and
# runs the binary there as the image's user: a runtime package missing from the stage's apt list
# shows up as a shared library "not found", before anyone builds the image.
#
#   scripts/check-image.sh [BINARY]       (default: $TRIBUTARY_BIN, else build/tributary)
#
# Needs root (debootstrap, chroot). The bare root (`debootstrap --variant=minbase bookworm`) is
# made once and cached as a tarball in ~/.cache/tributary/; downloaded .debs are kept there too,
# so a rerun is the tarball's extraction plus the stage's apt-get install.
# Every step is read FROM the Dockerfile's last stage (FROM, RUN, COPY, USER, VOLUME,
# ENTRYPOINT, CMD, HEALTHCHECK): there is no second package list to keep in step.
#
# Environment:
#   TRIBUTARY_IMAGE_MIRROR        Debian mirror (default http://deb.debian.org/debian)
#   TRIBUTARY_IMAGE_DROP_PACKAGE  leave this package out of the stage's apt-get install (to see
#                                 the check fail the way a forgotten package would)
#   TRIBUTARY_IMAGE_KEEP_ROOT=1   keep the replayed root for inspection (its path is printed)
#   TRIBUTARY_IMAGE_TMPFS=0       replay on disk under $TMPDIR instead of a tmpfs mounted there
#   TRIBUTARY_CACHE_DIR           cache directory (default ~/.cache/tributary)
set -euo pipefail
set -f  # the Dockerfile's words are split below, never globbed

REPO="$(cd "$(dirname "$0")/.." && pwd)"
BINARY="${1:-${TRIBUTARY_BIN:-$REPO/build/tributary}}"
DOCKERFILE="$REPO/Dockerfile"
MIRROR="${TRIBUTARY_IMAGE_MIRROR:-http://deb.debian.org/debian}"
CACHE_DIR="${TRIBUTARY_CACHE_DIR:-$HOME/.cache/tributary}"
DROP="${TRIBUTARY_IMAGE_DROP_PACKAGE:-}"
SUITE=bookworm
DEB_CACHE="$CACHE_DIR/image-apt-archives"

say() { echo "check-image: $*"; }
fail() {
  echo "check-image: FAIL: $*" >&2
  exit 1
}

[ "$(id -u)" -eq 0 ] || fail "needs root (debootstrap and chroot): run it as root, e.g. sudo $0 $*"
[ -x "$BINARY" ] || fail "binary $BINARY not found or not executable: build it (scripts/build.sh) or pass its path"
BINARY="$(readlink -f "$BINARY")"
ARCH="$(dpkg --print-architecture)"
ROOTFS_TAR="$CACHE_DIR/debootstrap-$SUITE-minbase-$ARCH.tar.zst"

# ---- the runtime stage, one instruction a line ---------------------------------------------------
# Comment lines dropped, continuation lines joined; everything from the last FROM on.
stage="$(awk '
  /^[[:space:]]*#/ { next }
  { line = line $0 }
  /\\[[:space:]]*$/ { sub(/\\[[:space:]]*$/, " ", line); next }
  { if (line ~ /[^[:space:]]/) print line; line = "" }' "$DOCKERFILE" |
  awk 'toupper($1) == "FROM" { n = 0 } { kept[n++] = $0 } END { for (i = 0; i < n; i++) print kept[i] }')"
[ -n "$stage" ] || fail "no FROM in $DOCKERFILE"

base_image="$(awk 'NR == 1 { print $2 }' <<<"$stage")"
case "$base_image" in
  debian:12 | debian:12-* | debian:bookworm | debian:bookworm-*) ;;
  *) fail "the runtime stage is FROM $base_image; this script replays Debian 12 (bookworm) only" ;;
esac

# The words of a JSON string array (["a", "b"]); the Dockerfile's exec form, no commas inside.
json_words() { sed -E 's/^[[:space:]]*\[//; s/\][[:space:]]*$//; s/"[[:space:]]*,[[:space:]]*"/\n/g; s/"//g' <<<"$1"; }

# The packages after `apt-get install` in a shell command (options left out).
apt_packages() {
  local word previous="" listing=0
  for word in $1; do
    if [ "$listing" = 1 ]; then
      case "$word" in
        '&&' | ';' | '||' | '|') break ;;
        -*) ;;
        *) echo "$word" ;;
      esac
    elif [ "$word" = install ] && [ "$previous" = apt-get ]; then
      listing=1
    fi
    previous="$word"
  done
}

packages=()
while read -r word; do packages+=("$word"); done < <(
  grep -i '^RUN ' <<<"$stage" | while read -r _ command; do apt_packages "$command"; done)
[ "${#packages[@]}" -gt 0 ] || fail "no apt-get install in the runtime stage of $DOCKERFILE"
say "runtime stage FROM $base_image installs: ${packages[*]}"
if [ -n "$DROP" ]; then
  printf '%s\n' "${packages[@]}" | grep -qx -- "$DROP" ||
    fail "TRIBUTARY_IMAGE_DROP_PACKAGE=$DROP is not in the runtime stage's list (${packages[*]})"
  say "leaving out $DROP (TRIBUTARY_IMAGE_DROP_PACKAGE)"
fi

# ---- the bare Debian root, cached ----------------------------------------------------------------
mkdir -p "$CACHE_DIR" "$DEB_CACHE"
if [ ! -s "$ROOTFS_TAR" ]; then
  if ! command -v debootstrap >/dev/null; then
    say "installing debootstrap"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends debootstrap >/dev/null ||
      { apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
          --no-install-recommends debootstrap >/dev/null; } ||
      fail "cannot install debootstrap (apt-get install debootstrap)"
  fi
  bare="$(mktemp -d "${TMPDIR:-/tmp}/tributary-debootstrap.XXXXXX")"
  say "debootstrap --variant=minbase $SUITE from $MIRROR (once; cached as $ROOTFS_TAR)"
  if ! debootstrap --variant=minbase --arch="$ARCH" "$SUITE" "$bare" "$MIRROR" >"$bare.log" 2>&1; then
    tail -20 "$bare.log" >&2
    rm -rf --one-file-system "$bare"
    fail "debootstrap failed (log above; is $MIRROR reachable? set TRIBUTARY_IMAGE_MIRROR)"
  fi
  rm -f "$bare.log"
  set +f
  rm -rf --one-file-system "$bare"/var/cache/apt/archives/*.deb "$bare"/var/lib/apt/lists/*
  set -f
  tar --zstd -C "$bare" -cf "$ROOTFS_TAR.tmp" . && mv "$ROOTFS_TAR.tmp" "$ROOTFS_TAR"
  rm -rf --one-file-system "$bare"
fi

ROOT="$(mktemp -d "${TMPDIR:-/tmp}/tributary-image.XXXXXX")"
cleanup() {
  if mountpoint -q "$ROOT/proc"; then umount "$ROOT/proc" || umount -l "$ROOT/proc"; fi
  if [ "${TRIBUTARY_IMAGE_KEEP_ROOT:-}" = 1 ]; then
    say "root kept in $ROOT (umount $ROOT; rmdir $ROOT when done)"
    return
  fi
  if mountpoint -q "$ROOT"; then umount "$ROOT" || umount -l "$ROOT"; fi
  mountpoint -q "$ROOT/proc" || rm -rf --one-file-system "$ROOT"
}
trap cleanup EXIT
# In memory (about 350 MB): unpacking and removing it then cost no disk writes.
if [ "${TRIBUTARY_IMAGE_TMPFS:-1}" = 1 ]; then mount -t tmpfs -o size=2g,mode=0755 tributary-image "$ROOT"; fi
tar --zstd -C "$ROOT" -xf "$ROOTFS_TAR"
say "bare root ready in ${SECONDS}s"
chmod 755 "$ROOT"  # it is the image's /: its user must be able to enter it (mktemp made it 0700)
mount -t proc proc "$ROOT/proc"
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
# The debian:12 image's sources (debootstrap writes only "$SUITE main").
rm -f "$ROOT/etc/apt/sources.list"
cat >"$ROOT/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${MIRROR%/debian}/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
find "$DEB_CACHE" -name '*.deb' -exec cp -t "$ROOT/var/cache/apt/archives/" {} +

# Runs a command in the root like a RUN line: /bin/sh -c, as root, Docker's default PATH.
in_root() {
  env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    chroot "$ROOT" /bin/sh -c "$1"
}

# ---- replay the stage ----------------------------------------------------------------------------
user=root
entrypoint=()
cmd=()
healthcheck=()
while read -r instruction rest; do
  case "${instruction^^}" in
    FROM | EXPOSE | LABEL | STOPSIGNAL | ARG) ;;
    RUN)
      command="$rest"
      if [ -n "$DROP" ]; then
        command="$(sed -E "s/(^|[[:space:]])${DROP//./\\.}([[:space:]]|$)/\1\2/g" <<<"$command")"
      fi
      say "RUN $command"
      in_root "$command" || fail "RUN exited with $? in the replayed root: $command"
      ;;
    COPY)
      read -r -a words <<<"$rest"
      from=""
      [[ "${words[0]}" == --from=* ]] && { from="${words[0]#--from=}"; words=("${words[@]:1}"); }
      [ "${#words[@]}" -eq 2 ] || fail "COPY with other than one source and one destination: COPY $rest"
      source="${words[0]}" destination="${words[1]}"
      if [ -n "$from" ]; then
        # The build stage's product is the binary under test.
        [[ "$source" == */bin/tributary ]] || fail "cannot replay COPY --from=$from $source (only the binary)"
        source="$BINARY"
      else
        source="$REPO/$source"
      fi
      say "COPY $source -> $destination"
      install -D -m "$(stat -c %a "$source")" "$source" "$ROOT$destination"
      ;;
    USER) user="$rest"; [[ "$user" == *:* ]] || user="$user:$user" ;;  # chroot --userspec
    VOLUME) for path in $(json_words "$rest"); do mkdir -p "$ROOT$path"; done ;;
    ENTRYPOINT) mapfile -t entrypoint < <(json_words "$rest") ;;
    CMD) mapfile -t cmd < <(json_words "$rest") ;;
    HEALTHCHECK) mapfile -t healthcheck < <(json_words "$(sed -E 's/.*[[:space:]]CMD[[:space:]]+//' <<<"$rest")") ;;
    *) fail "cannot replay the instruction $instruction (teach scripts/check-image.sh)" ;;
  esac
done < <(tail -n +2 <<<"$stage")

say "stage replayed in ${SECONDS}s"
find "$ROOT/var/cache/apt/archives" -maxdepth 1 -name "*.deb" \
  -exec cp -n -t "$DEB_CACHE/" {} + 2>/dev/null || true
[ "${#entrypoint[@]}" -gt 0 ] || fail "the runtime stage has no ENTRYPOINT"
binary_in_image="${entrypoint[0]}"

# ---- the shared libraries ------------------------------------------------------------------------
missing_libraries="$(in_root "ldd $binary_in_image" | awk '/not found/ { print $1 }' | tr '\n' ' ' | sed 's/ $//')"
if [ -n "$missing_libraries" ]; then
  fail "$binary_in_image needs shared libraries the runtime stage does not install: $missing_libraries" \
    "(add the packages that ship them to the apt-get install of the Dockerfile's last stage; on the" \
    "build machine: dpkg -S <library>)"
fi
# Each library the binary loads here, by the package that ships it on this machine, must be
# installed in the replayed root (named in the list or pulled in by a package of it).
uncovered=()
libraries=()
while read -r library; do libraries+=("$library" "$(readlink -f "$library")"); done < <(
  ldd "$BINARY" | awk '$3 ~ /^\// { print $3 }' | sort -u)
while read -r package; do
  in_root "dpkg-query -W -f='\${Status}' $package 2>/dev/null" | grep -q "install ok installed" ||
    uncovered+=("$package")
done < <(dpkg -S "${libraries[@]}" 2>/dev/null | sed 's/:.*//' | sort -u)
[ "${#uncovered[@]}" -eq 0 ] || fail "packages of the binary's libraries not installed by the runtime stage: ${uncovered[*]}"
say "every shared library of $binary_in_image resolves; each one's package is installed"

# ---- run it as the image's user, in a network namespace of its own (only loopback) -----------------
config_path=""
for ((i = 0; i < ${#cmd[@]}; i++)); do
  case "${cmd[i]}" in --config | -c) config_path="${cmd[i + 1]:-}" ;; esac
done
[ -n "$config_path" ] || fail "the runtime stage's CMD names no --config FILE"
# Every ${NAME} the shipped configuration uses, set to a placeholder.
variables=()
while read -r name; do variables+=("$name=placeholder-$name"); done < <(
  grep -v '^[[:space:]]*#' "$ROOT$config_path" | grep -o '\${[A-Za-z_][A-Za-z0-9_]*}' | tr -d '${}' | sort -u)

as_user() {
  local quoted
  quoted="$(printf '%q ' "$@")"
  unshare --net /bin/sh -c "ip link set lo up 2>/dev/null; exec env -i \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/var/lib/tributary \
    $(printf '%q ' "${variables[@]}") chroot --userspec=$user $ROOT $quoted"
}
expect() {  # expect CODE DESCRIPTION COMMAND...
  local want="$1" what="$2" output code
  shift 2
  set +e
  output="$(as_user "$@" 2>&1)"
  code=$?
  set -e
  printf '%s\n' "$output" | sed 's/^/    /'
  [ "$code" -eq "$want" ] || fail "$what: exit $code, expected $want: $*"
  say "ok: $what (exit $code)"
}

expect 0 "--version as $user" "$binary_in_image" --version
expect 0 "check --offline as $user (${variables[*]:+placeholders for ${variables[*]%%=*}})" \
  "$binary_in_image" check --offline --config "$config_path"
expect 1 "health against a closed port" "$binary_in_image" health --url http://127.0.0.1:1/
if [ "${#healthcheck[@]}" -gt 0 ]; then
  expect 1 "the HEALTHCHECK command with no daemon running" "${healthcheck[@]}"
fi
say "the runtime stage runs tributary (${packages[*]}${DROP:+, without $DROP}) in ${SECONDS}s"
