#!/usr/bin/env bash
# Make sure what the test suite talks to is there: PostgreSQL on 127.0.0.1:5432 (trust auth,
# database `test`), Redis on 127.0.0.1:6379 and Debian's Chromium. Starts what is installed but
# stopped; installs with apt-get what is missing when running as root. Under CI=true anything
# still missing is an error; elsewhere a warning (those tests then skip, loudly).
set -u

missing=()
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
apt_updated=0
apt_install() {
  [ "$(id -u)" = 0 ] || return 1
  if [ "$apt_updated" = 0 ]; then apt-get update -qq >/dev/null && apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
wait_for() { for _ in $(seq 1 30); do listening "$1" && return 0; sleep 0.5; done; return 1; }

# PostgreSQL
if ! listening 5432; then
  if ! ls /etc/postgresql >/dev/null 2>&1; then apt_install postgresql || true; fi
  if ls /etc/postgresql >/dev/null 2>&1; then
    version=$(ls /etc/postgresql | sort -V | tail -n 1)
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    if [ -w "$hba" ] && ! grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
      sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
    fi
    pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
    wait_for 5432 || true
  fi
fi
if listening 5432; then
  psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='test'" 2>/dev/null \
    | grep -q 1 || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test" >/dev/null 2>&1 || true
else
  missing+=("PostgreSQL")
fi

# Redis
if ! listening 6379; then
  command -v redis-server >/dev/null || apt_install redis-server || true
  if command -v redis-server >/dev/null; then
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no >/dev/null
    wait_for 6379 || true
  fi
fi
listening 6379 || missing+=("Redis")

# Chromium for the browser tests: Debian's package (Playwright's own browser download cannot work here)
if [ ! -x /usr/bin/chromium ]; then apt_install chromium || true; fi
[ -x /usr/bin/chromium ] || missing+=("Chromium (/usr/bin/chromium)")

if [ ${#missing[@]} -gt 0 ]; then
  echo "ensure-services: missing: ${missing[*]}" >&2
  if [ "${CI:-}" = "true" ]; then exit 1; fi
fi
exit 0
