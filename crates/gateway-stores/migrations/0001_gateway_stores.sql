-- gateway-stores schema, version 1. Applied by `PostgresStore::migrate` (idempotent), or by hand.

-- One row per OAuth connection (`name`): the saved tokens with their version, and the refresh
-- lock (a lease: `lock_holder` holds it until `lock_until`; an expired lease is free).
CREATE TABLE IF NOT EXISTS gateway_oauth_tokens (
    name          text        PRIMARY KEY,
    version       bigint      NOT NULL DEFAULT 0,
    access_token  text,
    refresh_token text,
    expires_at    timestamptz,
    lock_holder   text,
    lock_until    timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per webhook event key: claimed (by `token`, until `expires_at`, the lease) or done
-- (until `expires_at`, the retention). Rows past `expires_at` count as absent and are purged by
-- `PostgresStore::purge_expired`.
CREATE TABLE IF NOT EXISTS gateway_webhook_events (
    event_key  text        PRIMARY KEY,
    state      text        NOT NULL CHECK (state IN ('claimed', 'done')),
    token      text,
    expires_at timestamptz NOT NULL
);

CREATE INDEX IF NOT EXISTS gateway_webhook_events_expires_at ON gateway_webhook_events (expires_at);
