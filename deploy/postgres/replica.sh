#!/bin/bash
# A hot standby: on first start, copy the primary with pg_basebackup through a replication slot
# of its own (-C -S) and write the standby settings (-R); then run as a standby, which streams
# from the primary from there on.
set -euo pipefail
data=/var/lib/postgresql/data
if [ ! -s "$data/PG_VERSION" ]; then
    until pg_basebackup -h postgres -U replicator -D "$data" -R -X stream -C -S replica_1; do
        echo "waiting for the primary" >&2
        rm -rf "${data:?}"/*
        sleep 2
    done
    chown -R postgres:postgres "$data"
    chmod 700 "$data"
fi
exec gosu postgres postgres -c hot_standby=on
