#!/usr/bin/env bash
# Drive a real `gatehouse serve` with the real command-line S3 clients: the
# aws CLI (Debian v2 and, when present, pip v1), rclone and s3cmd. Every
# transfer is checked byte for byte with cmp.
#
# Usage, from anywhere: bash test/clients/run.sh
#
# Environment:
#   KEEP_TMP=1        keep the scratch directory (server log, files) at exit
#   AWS_V1=/path/aws  use this aws CLI v1 instead of searching PATH
#
# The script touches nothing outside its scratch directory: each client gets
# its own HOME and config, the server gets a temp data directory on a free
# loopback port, and it is killed at exit. It ends with the line
# "N passed, M failed" and exits non-zero if any check failed.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-clients.XXXXXX")
RESULTS=$TMP/results
SERVER_PID=
: >"$RESULTS"

# ---- bookkeeping ---------------------------------------------------------

cleanup() {
	if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -9 "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	if [[ ${KEEP_TMP:-} == 1 ]]; then
		echo "scratch kept in $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

log() { printf '%s\n' "$*"; }
section() { printf '\n== %s\n' "$*"; }

pass() { log "PASS $1"; echo "PASS $1" >>"$RESULTS"; }
skip() { log "SKIP $1"; }
fail() {
	log "FAIL $1"
	echo "FAIL $1" >>"$RESULTS"
	if [[ -n ${2:-} && -s $2 ]]; then
		# Bounded, so that a binary body in the output stays readable.
		tail -c 6000 "$2" | tail -n 25 | cut -c 1-300 | sed 's/^/    | /'
	fi
}

# check NAME CMD...: run CMD in a subshell with errexit on, so that any
# failing step fails the check; report PASS or FAIL with the output tail.
check() {
	local name=$1 out=$TMP/check.out rc
	shift
	set +e
	(set -e; "$@") >"$out" 2>&1
	rc=$?
	set -e
	if ((rc == 0)); then pass "$name"; else fail "$name (exit $rc)" "$out"; fi
}

# expect_eq WHAT WANT GOT
expect_eq() {
	if [[ $2 != "$3" ]]; then
		echo "$1: want [$2], got [$3]"
		return 1
	fi
}

# same A B: the two files hold the same bytes.
same() { cmp -- "$1" "$2"; }

# T: every client command gets a bound on its run time.
T() { timeout 120 "$@"; }

# has PATTERN CMD...: CMD succeeds and its output has a line matching the
# extended regular expression PATTERN. (Piping into grep -q instead would
# let grep exit early and fail CMD with a broken pipe under pipefail.)
has() {
	local pat=$1 out
	shift
	out=$("$@")
	grep -qE -- "$pat" <<<"$out" || {
		printf 'no line matches /%s/ in the output of %s:\n%s\n' "$pat" "$*" "$out"
		return 1
	}
}

# show FILE: print the start of a response body.
show() { head -c 1500 "$1"; echo; }

# ---- locate tools (before HOME is replaced) -------------------------------

PY=$(command -v python3)
AWS_V2=/usr/bin/aws

find_aws_v1() {
	local c v
	if [[ -n ${AWS_V1:-} ]]; then echo "$AWS_V1"; return; fi
	for c in $(type -ap aws); do
		[[ $c -ef /usr/bin/aws ]] && continue
		# A pyenv shim depends on HOME; resolve it to the real script.
		if [[ $c == */shims/aws ]] && command -v pyenv >/dev/null; then
			c=$(pyenv which aws 2>/dev/null) || continue
		fi
		v=$("$c" --version 2>&1) || continue
		if [[ $v == aws-cli/1.* ]]; then echo "$c"; return; fi
	done
}
AWS_V1_BIN=$(find_aws_v1 || true)

# ---- build and start the server ------------------------------------------

section "build"
if ! (cd "$REPO" && go build -o "$TMP/gatehouse" ./cmd/gatehouse) >"$TMP/build.out" 2>&1; then
	fail "go build ./cmd/gatehouse" "$TMP/build.out"
	echo "0 passed, 1 failed"
	exit 1
fi
log "built $TMP/gatehouse"

# From here on nothing may read or write the user's home directory.
for v in $(compgen -e); do
	case $v in AWS_* | RCLONE_* | S3CMD_* | BOTO_*) unset "$v" ;; esac
done
export HOME=$TMP/home
export XDG_CONFIG_HOME=$HOME/.config XDG_CACHE_HOME=$HOME/.cache
mkdir -p "$HOME"

ACCESS_KEY=GHCLIENTTESTKEY0001
SECRET_KEY=clients-test-secret-$RANDOM$RANDOM-0123456789abcdef
REGION=us-east-1

free_port() {
	"$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# start_server DATA_DIR LOG [with-keys|no-keys]: start gatehouse serve on a
# free port, set PORT, EP and SERVER_PID, and wait for /-/health.
start_server() {
	local data=$1 slog=$2 keys=${3:-with-keys} i
	PORT=$(free_port)
	EP=http://127.0.0.1:$PORT
	if [[ $keys == with-keys ]]; then
		GATEHOUSE_ADMIN_ACCESS_KEY=$ACCESS_KEY GATEHOUSE_ADMIN_SECRET_KEY=$SECRET_KEY \
			"$TMP/gatehouse" serve --data "$data" --s3-addr "127.0.0.1:$PORT" \
			--log-level info >"$slog" 2>&1 &
	else
		"$TMP/gatehouse" serve --data "$data" --s3-addr "127.0.0.1:$PORT" \
			--log-level info >"$slog" 2>&1 &
	fi
	SERVER_PID=$!
	for i in $(seq 1 150); do
		if curl -fsS -o /dev/null --max-time 2 "$EP/-/health" 2>/dev/null; then
			return 0
		fi
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			log "server exited during start-up:"
			tail -n 30 "$slog"
			return 1
		fi
		sleep 0.2
	done
	log "server did not answer $EP/-/health within 30s:"
	tail -n 30 "$slog"
	return 1
}

# stop_server: SIGTERM, and the server must exit cleanly within 15s.
stop_server() {
	local i
	kill -TERM "$SERVER_PID"
	for i in $(seq 1 75); do
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			wait "$SERVER_PID"
			return $?
		fi
		sleep 0.2
	done
	echo "server still running 15s after SIGTERM"
	return 1
}

section "server"
SERVER_LOG=$TMP/server.log
if ! start_server "$TMP/data" "$SERVER_LOG"; then
	fail "server starts and answers /-/health"
	echo "0 passed, 1 failed"
	exit 1
fi
pass "server starts and answers /-/health on $EP"

# ---- test files ------------------------------------------------------------

F=$TMP/files
mkdir -p "$F/tree/sub/deeper"
head -c 70000 /dev/urandom >"$F/small.bin"
: >"$F/empty.bin"
head -c $((64 << 20)) /dev/urandom >"$F/big.bin"
printf 'hello, gatehouse\n' >"$F/tree/a.txt"
head -c 12345 /dev/urandom >"$F/tree/b.bin"
head -c 1 /dev/urandom >"$F/tree/sub/c.bin"
head -c 300000 /dev/urandom >"$F/tree/sub/deeper/d.bin"
printf 'spaced\n' >"$F/tree/sub/with space.txt"
# A key that needs percent-encoding in the canonical URI: spaces, '+',
# non-ASCII letters and a non-BMP character.
ODD_KEY='dir one/héllo wörld+plus ☃ 🚀.txt'
printf 'odd key content %s\n' "$RANDOM" >"$F/odd.txt"

# b64 digests as S3 returns them in x-amz-checksum-*.
crc32_b64() {
	"$PY" -c 'import sys, zlib, base64
d = open(sys.argv[1], "rb").read()
print(base64.b64encode(zlib.crc32(d).to_bytes(4, "big")).decode())' "$1"
}
sha256_b64() {
	"$PY" -c 'import sys, hashlib, base64
d = open(sys.argv[1], "rb").read()
print(base64.b64encode(hashlib.sha256(d).digest()).decode())' "$1"
}
md5_hex() { md5sum "$1" | cut -d' ' -f1; }

# etag BUCKET KEY: the object's ETag as HEAD returns it, read with the
# aws CLI v2 so that other clients' checks can look at part counts.
etag() {
	HOME=$TMP/home AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY \
		AWS_DEFAULT_REGION=$REGION AWS_CONFIG_FILE=/dev/null \
		AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true \
		T "$AWS_V2" --endpoint-url "$EP" s3api head-object --bucket "$1" --key "$2" \
		--query ETag --output text
}

# json_get FILE FIELD: a top-level field of a JSON document.
json_get() {
	"$PY" -c 'import sys, json
print(json.load(open(sys.argv[1])).get(sys.argv[2], ""))' "$1" "$2"
}

# ---- aws CLI -----------------------------------------------------------------

# awsc ARGS...: the aws CLI under test ($AWS_BIN, $AWS_HOME) against $EP.
awsc() {
	HOME=$AWS_HOME AWS_CONFIG_FILE=$AWS_HOME/.aws/config \
		AWS_SHARED_CREDENTIALS_FILE=$AWS_HOME/.aws/credentials \
		AWS_EC2_METADATA_DISABLED=true AWS_PAGER= AWS_CLI_AUTO_PROMPT=off \
		T "$AWS_BIN" --endpoint-url "$EP" "$@"
}

# aws_setup LABEL BIN: an isolated HOME with a credentials and config file.
aws_setup() {
	AWS_LABEL=$1 AWS_BIN=$2 AWS_HOME=$TMP/home-$1
	mkdir -p "$AWS_HOME/.aws"
	cat >"$AWS_HOME/.aws/credentials" <<-EOF
		[default]
		aws_access_key_id = $ACCESS_KEY
		aws_secret_access_key = $SECRET_KEY
	EOF
	# signature_version s3v4: v1 presigns with SigV2 unless told otherwise,
	# and Gatehouse refuses SigV2 (checked separately below).
	cat >"$AWS_HOME/.aws/config" <<-EOF
		[default]
		region = $REGION
		output = json
		s3 =
		    signature_version = s3v4
	EOF
	AWS_OUT=$TMP/out-$1
	mkdir -p "$AWS_OUT"
}

aws_cp_roundtrip() { # SRC KEY
	local b=s3://$AWS_BUCKET got=$AWS_OUT/rt.$RANDOM
	awsc s3 cp "$1" "$b/$2"
	awsc s3 cp "$b/$2" "$got"
	same "$1" "$got"
}

aws_ls() {
	local out=$AWS_OUT/ls.txt
	awsc s3 ls "s3://$AWS_BUCKET/" >"$out"
	cat "$out"
	grep -qE ' 70000 small\.bin$' "$out"
	grep -qE ' 0 empty\.bin$' "$out"
	grep -qE 'PRE dir one/$' "$out"
	# Without --recursive the odd key stays behind its common prefix.
	if grep -qF 'héllo' "$out"; then
		echo "a key under dir one/ is listed without --recursive"
		return 1
	fi
}

aws_ls_recursive() {
	local out=$AWS_OUT/lsr.txt
	awsc s3 ls --recursive "s3://$AWS_BUCKET/" >"$out"
	cat "$out"
	grep -qF " $ODD_KEY" "$out"
	grep -qE ' small\.bin$' "$out"
	expect_eq "object count" 3 "$(wc -l <"$out")"
}

aws_head_object() {
	local out=$AWS_OUT/head.json
	awsc s3api head-object --bucket "$AWS_BUCKET" --key small.bin >"$out"
	cat "$out"
	expect_eq ContentLength 70000 "$(json_get "$out" ContentLength)"
	expect_eq ETag "\"$(md5_hex "$F/small.bin")\"" "$(json_get "$out" ETag)"
}

aws_head_missing() {
	local out=$AWS_OUT/head-missing.txt
	if awsc s3api head-object --bucket "$AWS_BUCKET" --key no-such-key >"$out" 2>&1; then
		echo "head-object of a missing key succeeded"
		return 1
	fi
	cat "$out"
	grep -qE '404|Not Found' "$out"
}

aws_sync_up() {
	local out=$AWS_OUT/sync-up.txt
	awsc s3 sync --no-progress "$F/tree" "s3://$AWS_BUCKET/tree" >"$out"
	cat "$out"
	expect_eq "uploads" 5 "$(grep -c '^upload:' "$out")"
}

aws_sync_down() {
	local d=$AWS_OUT/tree-down
	rm -rf "$d"
	awsc s3 sync "s3://$AWS_BUCKET/tree" "$d"
	diff -r "$F/tree" "$d"
}

# aws_sync_noop: a second sync in each direction transfers nothing.
aws_sync_noop() {
	local up=$AWS_OUT/resync-up.txt down=$AWS_OUT/resync-down.txt
	awsc s3 sync --no-progress "$F/tree" "s3://$AWS_BUCKET/tree" >"$up"
	awsc s3 sync --no-progress "s3://$AWS_BUCKET/tree" "$AWS_OUT/tree-down" >"$down"
	cat "$up" "$down"
	expect_eq "re-sync up output" "" "$(cat "$up")"
	expect_eq "re-sync down output" "" "$(cat "$down")"
}

# aws_sync_delete: a changed local tree synced with --delete; the remote
# then mirrors it exactly.
aws_sync_delete() {
	local src=$AWS_OUT/tree-changed d=$AWS_OUT/tree-changed-down
	rm -rf "$src" "$d"
	cp -r "$F/tree" "$src"
	rm "$src/b.bin"
	head -c 5000 /dev/urandom >"$src/sub/c.bin"
	printf 'new\n' >"$src/new.txt"
	awsc s3 sync --delete "$src" "s3://$AWS_BUCKET/tree"
	awsc s3 sync "s3://$AWS_BUCKET/tree" "$d"
	diff -r "$src" "$d"
	local n
	n=$(awsc s3 ls --recursive "s3://$AWS_BUCKET/tree/" | wc -l)
	expect_eq "remote objects after sync --delete" 5 "$n"
}

aws_rm_recursive() {
	awsc s3 rm --recursive "s3://$AWS_BUCKET/tree"
	local left
	left=$(awsc s3 ls --recursive "s3://$AWS_BUCKET/tree/" || true)
	expect_eq "objects left under tree/" "" "$left"
	# Objects outside the prefix are untouched.
	awsc s3api head-object --bucket "$AWS_BUCKET" --key small.bin >/dev/null
}

aws_multipart() {
	local got=$AWS_OUT/big.down out=$AWS_OUT/big-head.json
	awsc s3 cp "$F/big.bin" "s3://$AWS_BUCKET/big.bin"
	awsc s3api head-object --bucket "$AWS_BUCKET" --key big.bin >"$out"
	cat "$out"
	expect_eq ContentLength $((64 << 20)) "$(json_get "$out" ContentLength)"
	# 64 MiB in the CLI's default 8 MiB parts: an ETag ending in -8 shows
	# the upload really went multipart.
	[[ $(json_get "$out" ETag) =~ ^\"[0-9a-f]{32}-8\"$ ]]
	awsc s3 cp "s3://$AWS_BUCKET/big.bin" "$got"
	same "$F/big.bin" "$got"
	rm -f "$got"
}

# aws_presign KEY SRC: a presigned GET fetched with curl returns SRC's bytes.
aws_presign() {
	local url got=$AWS_OUT/presigned.$RANDOM
	url=$(awsc s3 presign "s3://$AWS_BUCKET/$1" --expires-in 300)
	echo "$url"
	[[ $url == *X-Amz-Algorithm=AWS4-HMAC-SHA256* ]]
	curl -fsS --max-time 60 -o "$got" "$url"
	same "$2" "$got"
}

# aws_presign_tampered: the same URL with its signature altered is refused
# with 403 and an S3 XML error, so the check above cannot pass by accident.
aws_presign_tampered() {
	local url body=$AWS_OUT/tampered.xml code
	local sig new
	url=$(awsc s3 presign "s3://$AWS_BUCKET/small.bin" --expires-in 300)
	# Flip the last hex digit of the signature.
	sig=${url##*X-Amz-Signature=}
	sig=${sig%%&*}
	if [[ ${sig: -1} == 0 ]]; then new=${sig%?}1; else new=${sig%?}0; fi
	url=${url/"$sig"/"$new"}
	echo "$url"
	code=$(curl -sS --max-time 30 -o "$body" -w '%{http_code}' "$url")
	show "$body"
	expect_eq "status" 403 "$code"
	grep -q '<Code>SignatureDoesNotMatch</Code>' "$body"
}

# aws_sigv2_refused: the v1 CLI's default (SigV2) presigned URL gets a clear
# S3 XML refusal, not data and not a server error.
aws_sigv2_refused() {
	local url body=$AWS_OUT/sigv2.xml code
	url=$(HOME=$TMP/home-nosigv4 AWS_CONFIG_FILE=/dev/null \
		AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY \
		AWS_DEFAULT_REGION=$REGION AWS_EC2_METADATA_DISABLED=true \
		T "$AWS_BIN" --endpoint-url "$EP" s3 presign "s3://$AWS_BUCKET/small.bin")
	echo "$url"
	[[ $url == *Signature=* && $url != *X-Amz-Algorithm* ]]
	code=$(curl -sS --max-time 30 -o "$body" -w '%{http_code}' "$url")
	show "$body"
	expect_eq "status is 4xx" 4 "${code:0:1}"
	grep -q '<Code>' "$body"
}

# aws_checksum ALGO: put-object with --checksum-algorithm, then get-object
# with --checksum-mode ENABLED returns the same bytes and our own digest.
aws_checksum() {
	local algo=$1 key=checksum-$1 src=$F/small.bin got=$AWS_OUT/ck.$1
	local put=$AWS_OUT/ck-put.$1.json get=$AWS_OUT/ck-get.$1.json want field
	case $algo in
	CRC32) want=$(crc32_b64 "$src") field=ChecksumCRC32 ;;
	SHA256) want=$(sha256_b64 "$src") field=ChecksumSHA256 ;;
	esac
	awsc s3api put-object --bucket "$AWS_BUCKET" --key "$key" --body "$src" \
		--checksum-algorithm "$algo" >"$put"
	cat "$put"
	expect_eq "put $field" "$want" "$(json_get "$put" "$field")"
	awsc s3api get-object --bucket "$AWS_BUCKET" --key "$key" \
		--checksum-mode ENABLED "$got" >"$get"
	cat "$get"
	expect_eq "get $field" "$want" "$(json_get "$get" "$field")"
	same "$src" "$got"
}

# Keys whose canonical URI is easy to get wrong: a literal '%', '//', a
# leading or trailing '/', '.' and '..' segments, and the characters
# RFC 3986 leaves unreserved or sub-delims.
AWKWARD_KEYS=('pct%20lit%zz.txt' 'x//y' 'dir/' '/lead' 'dot/./x' 'dots/../y'
	"sub~!*()'&=;:@,\$.txt")

aws_awkward_keys() {
	local k got=$AWS_OUT/awkward.out listed=$AWS_OUT/awkward.json
	for k in "${AWKWARD_KEYS[@]}"; do
		printf 'content of [%s]\n' "$k" >"$AWS_OUT/awkward.in"
		awsc s3api put-object --bucket "$AWS_BUCKET" --key "awk/$k" \
			--body "$AWS_OUT/awkward.in" >/dev/null
		awsc s3api get-object --bucket "$AWS_BUCKET" --key "awk/$k" "$got" >/dev/null
		same "$AWS_OUT/awkward.in" "$got"
	done
	# The listing names each key exactly, in byte order.
	awsc s3api list-objects-v2 --bucket "$AWS_BUCKET" --prefix awk/ >"$listed"
	diff <(printf 'awk/%s\n' "${AWKWARD_KEYS[@]}" | LC_ALL=C sort) \
		<("$PY" -c 'import json, sys
for o in json.load(open(sys.argv[1]))["Contents"]: print(o["Key"])' "$listed")
	awsc s3 rm --recursive "s3://$AWS_BUCKET/awk/"
}

# aws_presign_path: a presigned URL whose path has '//', fetched with curl
# keeping the path exactly as signed.
aws_presign_path() {
	local url got=$AWS_OUT/presigned-path
	awsc s3 cp "$F/odd.txt" "s3://$AWS_BUCKET/pp//x/./y"
	url=$(awsc s3 presign "s3://$AWS_BUCKET/pp//x/./y" --expires-in 300)
	echo "$url"
	curl -fsS --path-as-is --max-time 60 -o "$got" "$url"
	same "$F/odd.txt" "$got"
	awsc s3 rm "s3://$AWS_BUCKET/pp//x/./y"
}

aws_rb() {
	awsc s3 rb --force "s3://$AWS_BUCKET"
	if awsc s3api head-bucket --bucket "$AWS_BUCKET" 2>/dev/null; then
		echo "bucket still exists after rb --force"
		return 1
	fi
}

aws_suite() {
	local label=$1
	AWS_BUCKET=gh-$label
	section "aws CLI $label: $AWS_BIN ($(T "$AWS_BIN" --version 2>&1))"
	check "$label s3 mb" awsc s3 mb "s3://$AWS_BUCKET"
	check "$label s3 cp up/down small file" aws_cp_roundtrip "$F/small.bin" small.bin
	check "$label s3 cp up/down empty file" aws_cp_roundtrip "$F/empty.bin" empty.bin
	check "$label s3 cp up/down key with spaces, +, unicode" \
		aws_cp_roundtrip "$F/odd.txt" "$ODD_KEY"
	check "$label s3 ls" aws_ls
	check "$label s3 ls --recursive" aws_ls_recursive
	check "$label s3api head-object" aws_head_object
	check "$label s3api head-object of a missing key is 404" aws_head_missing
	check "$label s3 sync up" aws_sync_up
	check "$label s3 sync down" aws_sync_down
	check "$label s3 re-sync is a no-op" aws_sync_noop
	check "$label s3 sync --delete mirrors a changed tree" aws_sync_delete
	check "$label s3 rm --recursive" aws_rm_recursive
	check "$label multipart 64 MiB cp up/down" aws_multipart
	check "$label s3 presign + curl" aws_presign small.bin "$F/small.bin"
	check "$label s3 presign + curl, key with spaces, +, unicode" \
		aws_presign "$ODD_KEY" "$F/odd.txt"
	check "$label s3 presign + curl, path with // and ./" aws_presign_path
	check "$label presigned URL with a tampered signature is refused" aws_presign_tampered
	if [[ $label == v1 ]]; then
		check "$label default SigV2 presign is refused with an S3 error" aws_sigv2_refused
	fi
	check "$label put/get-object --checksum-algorithm CRC32" aws_checksum CRC32
	check "$label put/get-object --checksum-algorithm SHA256" aws_checksum SHA256
	check "$label s3api put/get/list keys with %, //, /, ., .., sub-delims" aws_awkward_keys
	check "$label s3 rb --force" aws_rb
}

if [[ -x $AWS_V2 ]] && [[ $("$AWS_V2" --version 2>&1) == aws-cli/2.* ]]; then
	aws_setup v2 "$AWS_V2"
	aws_suite v2
else
	section "aws CLI v2"
	fail "aws CLI v2 at $AWS_V2 (Debian package awscli) is missing or not v2"
fi

if [[ -n $AWS_V1_BIN ]]; then
	aws_setup v1 "$AWS_V1_BIN"
	aws_suite v1
else
	section "aws CLI v1"
	skip "aws CLI v1 (pip) not found on PATH"
fi

# ---- rclone ------------------------------------------------------------------

RC_HOME=$TMP/home-rclone
RC_OUT=$TMP/out-rclone
mkdir -p "$RC_HOME" "$RC_OUT"
: >"$RC_HOME/rclone.conf"

# rc ARGS...: rclone with a remote "gh:" defined only by environment.
rc() {
	HOME=$RC_HOME RCLONE_CONFIG=$RC_HOME/rclone.conf \
		RCLONE_CONFIG_GH_TYPE=s3 RCLONE_CONFIG_GH_PROVIDER=Other \
		RCLONE_CONFIG_GH_ENDPOINT=$EP RCLONE_CONFIG_GH_REGION=$REGION \
		RCLONE_CONFIG_GH_ACCESS_KEY_ID=$ACCESS_KEY \
		RCLONE_CONFIG_GH_SECRET_ACCESS_KEY=$SECRET_KEY \
		RCLONE_CONFIG_GH_FORCE_PATH_STYLE=true \
		T rclone --retries 1 --low-level-retries 1 --contimeout 10s --timeout 60s "$@"
}

# sorted_files DIR: relative paths of the regular files under DIR.
sorted_files() { (cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort); }

rc_copy_up() {
	rc copy "$F/tree" gh:gh-rclone/tree
	rc copyto "$F/odd.txt" "gh:gh-rclone/$ODD_KEY"
}

rc_lsf() {
	local got=$RC_OUT/lsf.txt
	rc lsf -R --files-only gh:gh-rclone/tree | LC_ALL=C sort >"$got"
	cat "$got"
	diff <(sorted_files "$F/tree") "$got"
	local want=${ODD_KEY#dir one/}
	expect_eq "lsf of dir one/" "$want" "$(rc lsf "gh:gh-rclone/dir one")"
}

rc_check_download() { rc check --download "$F/tree" gh:gh-rclone/tree; }

# rc_check_detects: check --download must notice a difference, so the check
# above cannot pass by accident.
rc_check_detects() {
	local d=$RC_OUT/tree-differs
	rm -rf "$d"
	cp -r "$F/tree" "$d"
	printf 'different\n' >"$d/a.txt"
	if rc check --download "$d" gh:gh-rclone/tree; then
		echo "check --download found no difference"
		return 1
	fi
}

rc_copy_down() {
	local d=$RC_OUT/tree-down got=$RC_OUT/odd.txt
	rm -rf "$d"
	rc copy gh:gh-rclone/tree "$d"
	diff -r "$F/tree" "$d"
	rc copyto "gh:gh-rclone/$ODD_KEY" "$got"
	same "$F/odd.txt" "$got"
}

# rc_sync: sync a tree, then change one file, delete one, add one and sync
# again; the remote must mirror the tree each time.
rc_sync() {
	local src=$RC_OUT/tree-sync d=$RC_OUT/tree-sync-down
	rm -rf "$src" "$d"
	cp -r "$F/tree" "$src"
	rc sync "$src" gh:gh-rclone/synced
	rc check --download "$src" gh:gh-rclone/synced

	head -c 4096 /dev/urandom >"$src/a.txt"
	rm "$src/sub/c.bin"
	printf 'added\n' >"$src/sub/added.txt"
	rc sync "$src" gh:gh-rclone/synced
	rc check --download "$src" gh:gh-rclone/synced
	diff <(sorted_files "$src") <(rc lsf -R --files-only gh:gh-rclone/synced | LC_ALL=C sort)
	rc copy gh:gh-rclone/synced "$d"
	diff -r "$src" "$d"
}

rc_multipart() {
	local got=$RC_OUT/big.down sum
	rc copyto --s3-upload-cutoff 5M --s3-chunk-size 5M "$F/big.bin" gh:gh-rclone/big.bin
	# 64 MiB in 5 MiB chunks is 13 parts.
	local tag
	tag=$(etag gh-rclone big.bin)
	echo "ETag $tag"
	[[ $tag =~ ^\"[0-9a-f]{32}-13\"$ ]]
	rc copyto gh:gh-rclone/big.bin "$got"
	same "$F/big.bin" "$got"
	rm -f "$got"
	# rclone keeps the MD5 of a multipart upload in x-amz-meta-md5chksum;
	# getting it back shows user metadata survives CompleteMultipartUpload.
	sum=$(rc md5sum gh:gh-rclone/big.bin | cut -d' ' -f1)
	expect_eq "rclone md5sum" "$(md5_hex "$F/big.bin")" "$sum"
}

rc_delete() {
	rc delete gh:gh-rclone/tree
	expect_eq "files left under tree" "" "$(rc lsf -R gh:gh-rclone/tree 2>/dev/null || true)"
	# Other prefixes are untouched.
	has '^big\.bin$' rc lsf gh:gh-rclone
}

rc_purge() {
	rc purge gh:gh-rclone
	local buckets
	buckets=$(rc lsd gh:)
	if grep -q ' gh-rclone$' <<<"$buckets"; then
		echo "bucket still listed after purge"
		return 1
	fi
}

section "rclone: $(command -v rclone || echo missing) ($(rclone version 2>/dev/null | head -1))"
if command -v rclone >/dev/null; then
	check "rclone mkdir (bucket)" rc mkdir gh:gh-rclone
	check "rclone copy up" rc_copy_up
	check "rclone lsf" rc_lsf
	check "rclone check --download" rc_check_download
	check "rclone check --download detects a changed file" rc_check_detects
	check "rclone copy down" rc_copy_down
	check "rclone sync, then sync a changed tree" rc_sync
	check "rclone multipart 64 MiB up/down" rc_multipart
	check "rclone delete" rc_delete
	check "rclone purge (bucket)" rc_purge
else
	fail "rclone is not installed (Debian package rclone)"
fi

# ---- s3cmd -------------------------------------------------------------------

S3_HOME=$TMP/home-s3cmd
S3_OUT=$TMP/out-s3cmd
mkdir -p "$S3_HOME" "$S3_OUT"
# host_bucket without %(bucket)s makes s3cmd use path-style requests.
cat >"$S3_HOME/.s3cfg" <<EOF
[default]
access_key = $ACCESS_KEY
secret_key = $SECRET_KEY
host_base = 127.0.0.1:$PORT
host_bucket = 127.0.0.1:$PORT
bucket_location = $REGION
use_https = False
signature_v2 = False
check_ssl_certificate = False
progress_meter = False
EOF

s3c() { HOME=$S3_HOME T s3cmd -c "$S3_HOME/.s3cfg" "$@"; }

s3c_roundtrip() { # SRC KEY
	local got=$S3_OUT/rt.$RANDOM
	s3c put "$1" "s3://gh-s3cmd/$2"
	s3c get --force "s3://gh-s3cmd/$2" "$got"
	same "$1" "$got"
}

s3c_ls() {
	local out=$S3_OUT/ls.txt
	s3c ls "s3://gh-s3cmd/" >"$out"
	cat "$out"
	grep -qE ' 70000 +s3://gh-s3cmd/small\.bin$' "$out"
	grep -qE 'DIR +s3://gh-s3cmd/dir one/$' "$out"
	s3c ls --recursive "s3://gh-s3cmd/" >"$out"
	cat "$out"
	grep -qF "s3://gh-s3cmd/$ODD_KEY" "$out"
}

s3c_multipart() {
	local got=$S3_OUT/big.down out=$S3_OUT/big-info.txt
	s3c put --multipart-chunk-size-mb=5 "$F/big.bin" s3://gh-s3cmd/big.bin
	s3c info s3://gh-s3cmd/big.bin >"$out"
	cat "$out"
	# ceil(64 / 5) = 13 parts.
	# s3cmd reports the MD5 it stored in x-amz-meta-s3cmd-attrs, so this
	# shows user metadata survives CompleteMultipartUpload.
	grep -qE "MD5 sum: +$(md5_hex "$F/big.bin")$" "$out"
	# 64 MiB in 5 MiB chunks is 13 parts.
	local tag
	tag=$(etag gh-s3cmd big.bin)
	echo "ETag $tag"
	[[ $tag =~ ^\"[0-9a-f]{32}-13\"$ ]]
	s3c get --force s3://gh-s3cmd/big.bin "$got"
	same "$F/big.bin" "$got"
	rm -f "$got"
}

s3c_info() {
	local out=$S3_OUT/info.txt
	s3c info s3://gh-s3cmd/small.bin >"$out"
	cat "$out"
	grep -qE 'File size: +70000$' "$out"
	grep -qE "MD5 sum: +$(md5_hex "$F/small.bin")$" "$out"
}

s3c_del() {
	s3c del s3://gh-s3cmd/small.bin
	local listing
	listing=$(s3c ls s3://gh-s3cmd/)
	if grep -q 'small\.bin' <<<"$listing"; then
		echo "small.bin still listed after del"
		return 1
	fi
	if s3c get --force s3://gh-s3cmd/small.bin "$S3_OUT/deleted" 2>&1; then
		echo "get of a deleted object succeeded"
		return 1
	fi
}

s3c_rb() {
	s3c del --recursive --force s3://gh-s3cmd/
	s3c rb s3://gh-s3cmd
	local listing
	listing=$(s3c ls)
	if grep -q 's3://gh-s3cmd$' <<<"$listing"; then
		echo "bucket still listed after rb"
		return 1
	fi
}

section "s3cmd: $(command -v s3cmd || echo missing) ($(s3cmd --version 2>/dev/null))"
if command -v s3cmd >/dev/null; then
	check "s3cmd mb" s3c mb s3://gh-s3cmd
	check "s3cmd put/get small file" s3c_roundtrip "$F/small.bin" small.bin
	check "s3cmd put/get empty file" s3c_roundtrip "$F/empty.bin" empty.bin
	check "s3cmd put/get key with spaces, +, unicode" s3c_roundtrip "$F/odd.txt" "$ODD_KEY"
	check "s3cmd ls" s3c_ls
	check "s3cmd info" s3c_info
	check "s3cmd multipart 64 MiB put/get" s3c_multipart
	check "s3cmd del" s3c_del
	check "s3cmd rb" s3c_rb
else
	fail "s3cmd is not installed (Debian package s3cmd)"
fi

# ---- the newcomer path: generated credentials --------------------------------

# A server started with no key in the environment generates the admin
# credential and writes admin.credentials (mode 0600). After a restart the
# aws CLI, pointed at that file alone, works, and the secret appears nowhere
# in the second run's log.
generated_credentials() {
	local data=$1 first_log=$2 second_log=$3 mode secret
	mode=$(stat -c %a "$data/admin.credentials")
	expect_eq "admin.credentials mode" 600 "$mode"
	grep -q '^\[default\]' "$data/admin.credentials"
	secret=$(sed -n 's/^aws_secret_access_key *= *//p' "$data/admin.credentials")
	[[ -n $secret ]]
	# The first start prints the secret for the newcomer to paste.
	grep -qF -- "$secret" "$first_log"

	gen_aws() {
		HOME=$TMP/home-generated AWS_SHARED_CREDENTIALS_FILE=$data/admin.credentials \
			AWS_CONFIG_FILE=/dev/null AWS_DEFAULT_REGION=$REGION \
			AWS_EC2_METADATA_DISABLED=true T "$AWS_V2" --endpoint-url "$EP" "$@"
	}
	gen_aws s3 mb s3://gen
	gen_aws s3 cp "$F/small.bin" s3://gen/small.bin
	has ' gen$' gen_aws s3 ls
	has ' small\.bin$' gen_aws s3 ls s3://gen/
	if grep -qF -- "$secret" "$second_log"; then
		echo "the secret appears in the log of a restarted server"
		return 1
	fi
}

section "server lifecycle"
if stop_server >"$TMP/stop.out" 2>&1; then
	pass "server exits cleanly on SIGTERM"
else
	fail "server exits cleanly on SIGTERM" "$TMP/stop.out"
fi
# The start-up banner may repeat the secret given by environment, but no
# request's log line may carry it.
secret_not_in_request_lines() {
	local n
	n=$(grep -E 'GET|PUT|POST|HEAD|DELETE' "$SERVER_LOG" | grep -cF -- "$SECRET_KEY" || true)
	expect_eq "request log lines holding the secret" 0 "$n"
	# And the log did record requests, so the check above looked at something.
	grep -qE 'PUT' "$SERVER_LOG"
}
check "secret never appears in request log lines" secret_not_in_request_lines

GEN_DATA=$TMP/data-generated
if start_server "$GEN_DATA" "$TMP/server-gen1.log" no-keys &&
	stop_server && start_server "$GEN_DATA" "$TMP/server-gen2.log" no-keys; then
	check "generated admin.credentials work with the aws CLI after a restart" \
		generated_credentials "$GEN_DATA" "$TMP/server-gen1.log" "$TMP/server-gen2.log"
else
	fail "server starts and restarts with no keys in the environment"
fi

# ---- summary -------------------------------------------------------------------

PASSED=$(grep -c '^PASS' "$RESULTS" || true)
FAILED=$(grep -c '^FAIL' "$RESULTS" || true)
if ((FAILED > 0)); then
	printf '\nfailed checks:\n'
	grep '^FAIL' "$RESULTS" | sed 's/^FAIL /  /'
fi
echo
echo "$PASSED passed, $FAILED failed"
((FAILED == 0))
