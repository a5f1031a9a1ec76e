-- Times are milliseconds since 1970 (UTC); flags are 0 or 1; ids are random text made by the service.

CREATE TABLE people (
    id TEXT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
    -- Argon2id in PHC form; NULL: no local password (cannot sign in with one).
    password_hash TEXT,
    -- Agents: the SIP username they register as.
    sip_user TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX people_sip_user ON people (sip_user) WHERE sip_user IS NOT NULL;

-- Signed-in sessions. Only the SHA-256 of each token is kept, so a copy of the database signs no one
-- in; an admin session's CSRF token is derived from its token, so it needs no column.
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    person_id TEXT NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('admin', 'agent')),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- The one-time token that creates the first administrator (its SHA-256).
CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

CREATE TABLE integration_accounts (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('servicenow', 'salesforce')),
    name TEXT NOT NULL UNIQUE,
    is_default BIGINT NOT NULL DEFAULT 0,
    -- The kind's other fields (instance URL, client id…), JSON; never a secret.
    settings TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX integration_accounts_one_default ON integration_accounts (kind) WHERE is_default = 1;

-- An account's secrets, sealed with AES-256-GCM under the master key `key_id`; the associated
-- data is `integration_accounts/<account_id>/<name>`, so a sealed value moved to another row or
-- column no longer opens.
CREATE TABLE account_secrets (
    account_id TEXT NOT NULL REFERENCES integration_accounts (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    key_id TEXT NOT NULL,
    sealed TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- Refresh tokens: when the CRM stops accepting it, when known.
    expires_at BIGINT,
    PRIMARY KEY (account_id, name)
);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
