#!/bin/sh
# The official image's Redis is built with protected mode off (the container's network
# is the boundary); Debian's has it on, which refuses every other container.
set -eu
if [ "${1:-}" = redis-server ]; then
    exec runuser -u redis -- "$@" --protected-mode no
fi
exec "$@"
