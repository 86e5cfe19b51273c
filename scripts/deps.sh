#!/bin/sh
# scripts/deps.sh - make sure the Debian packages mqsim builds and tests with are present.
#
# Checks each package with dpkg-query and installs only the missing ones with
# apt-get, non-interactively. Works as root on a fresh Debian 12 machine with no
# input (CI); as another user it uses sudo when it can, and otherwise prints the
# exact command to run and fails. Safe to run repeatedly: with nothing missing it
# does nothing and touches no network.
set -eu

PACKAGES="build-essential pkg-config libgsl-dev libcsv-dev libplot-dev libpng-dev plotutils \
libcmocka-dev libyaml-dev libcyaml-dev libjansson-dev rabbitmq-server librabbitmq-dev libcurl4-openssl-dev libopenmpi-dev openmpi-bin chromium \
default-jdk-headless librabbitmq-client-java libslf4j-java python3-pika golang-go golang-github-rabbitmq-amqp091-go-dev"
# The last six are the real client libraries `mqsim load --clients real` drives
# (load/clients/): the RabbitMQ Java client with a JDK, pika for
# /usr/bin/python3, Go with the amqp091-go source tree.

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing missing packages:$missing" >&2
if [ "$(id -u)" = 0 ]; then SUDO=""
elif command -v sudo >/dev/null 2>&1; then SUDO="sudo"
else
    echo "deps: not root and no sudo; run as root: apt-get install -y$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
