#!/usr/bin/env bash
# System packages some tests need, installed with apt when this machine allows it (root + apt-get):
#   chromium, chromium-driver, fonts-liberation -> tests/scheduler/test_ui.py drives the Airflow UI headless
#   docker-compose                              -> tests/test_docker_compose.py runs `docker-compose config`
#   graphviz                                    -> tests/test_visualize.py renders SVG/PNG with `dot`
#   redis-server                                -> tests/distributed/ starts it as the Celery workers' broker
# Without them those tests skip with a reason and everything else still runs.
set -euo pipefail
if command -v chromium >/dev/null && command -v chromedriver >/dev/null && command -v docker-compose >/dev/null \
    && command -v dot >/dev/null && command -v redis-server >/dev/null; then
    exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "system-packages: not root or no apt-get: the browser, docker-compose, Graphviz and Celery tests will skip" >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-liberation docker-compose graphviz \
    redis-server
