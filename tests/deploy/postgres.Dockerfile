# PostgreSQL for tests/deploy where postgres:16.4-bookworm cannot be pulled: Debian's own
# package on the same base as our image. Trust on 127.0.0.1 (host network, test only).
FROM python:3.11.7-slim-bookworm
RUN apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/*
USER postgres
ENV PGPORT=5432
CMD ["sh", "-c", "/usr/lib/postgresql/15/bin/initdb -D /tmp/pgdata -U exequatur --auth=trust --encoding=UTF8 --no-locale >/dev/null && exec /usr/lib/postgresql/15/bin/postgres -D /tmp/pgdata -p $PGPORT -c listen_addresses=127.0.0.1 -k /tmp -c fsync=off"]
