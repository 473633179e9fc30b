#!/usr/bin/env bash
# Installs what the project needs from Debian's packages when it is missing:
# Java 17 and Maven (to resolve and run Apache Kafka), PostgreSQL (for tests and production) and
# Prometheus with promtool (the scrape test and the alert rules' unit tests), Chromium and a CJK
# font (the console's browser tests drive /usr/bin/chromium headless; no browser is downloaded).
set -euo pipefail

missing=()
command -v java >/dev/null 2>&1 || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null 2>&1 || missing+=(maven)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
command -v runuser >/dev/null 2>&1 || missing+=(util-linux)
{ command -v prometheus && command -v promtool; } >/dev/null 2>&1 || missing+=(prometheus)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || missing+=(fonts-wqy-microhei)

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: Java, Maven, PostgreSQL, Prometheus and Chromium are present"
  exit 0
fi

echo "setup: installing ${missing[*]} from Debian's packages"
sudo=""
if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
