-- Tenants: the contact centers one service serves. Each has its own administrators and agents,
-- integration accounts, call logs, audit log and widget configuration. Usernames stay unique
-- across the service (a sign-in names no tenant); SIP users and account names are unique within
-- a tenant. Everything that existed before belongs to the tenant `default`.
CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    -- In URLs (`/t/<slug>/framephone.json`): lowercase letters, digits and dashes.
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    -- The widget's framephone.json for this tenant (JSON text the widget's own reader accepted);
    -- NULL: none yet.
    widget_config TEXT,
    -- The origins the tenant's widget is served from (a JSON array): its agents' tokens go only
    -- there, beside the operator's FRAMEPHONE_WIDGET_ORIGINS.
    widget_origins TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO tenants (id, slug, name, widget_config, created_at, updated_at)
VALUES ('default', 'default', 'Default', NULL, 0, 0);

-- SQLite can neither add a column with a foreign key and no default nor drop a UNIQUE, so each
-- table that gains `tenant_id` is rebuilt, as PostgreSQL's ALTERs make it: every row gets
-- `default`, and nothing can be written later without naming its tenant. Dropping a table deletes
-- its children's rows (ON DELETE CASCADE), so they are kept aside and put back; the DELETE before
-- each put-back does the cascade's work on a connection that runs without foreign keys.
CREATE TEMP TABLE kept_sessions AS SELECT * FROM sessions;
CREATE TABLE people_by_tenant (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
    password_hash TEXT,
    sip_user TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO people_by_tenant (id, tenant_id, username, display_name, role, password_hash, sip_user, created_at, updated_at)
SELECT id, 'default', username, display_name, role, password_hash, sip_user, created_at, updated_at FROM people;
DROP TABLE people;
ALTER TABLE people_by_tenant RENAME TO people;
CREATE UNIQUE INDEX people_sip_user ON people (tenant_id, sip_user) WHERE sip_user IS NOT NULL;
DELETE FROM sessions;
INSERT INTO sessions SELECT * FROM kept_sessions;
DROP TABLE kept_sessions;

CREATE TABLE setup_tokens_by_tenant (
    token_hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    expires_at BIGINT NOT NULL
);
INSERT INTO setup_tokens_by_tenant (token_hash, tenant_id, expires_at) SELECT token_hash, 'default', expires_at FROM setup_tokens;
DROP TABLE setup_tokens;
ALTER TABLE setup_tokens_by_tenant RENAME TO setup_tokens;

CREATE TABLE audit_log_by_tenant (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    at BIGINT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
INSERT INTO audit_log_by_tenant (id, tenant_id, at, actor, action, target, detail)
SELECT id, 'default', at, actor, action, target, detail FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_by_tenant RENAME TO audit_log;
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at);

-- Account names become unique per tenant.
CREATE TEMP TABLE kept_account_secrets AS SELECT * FROM account_secrets;
CREATE TEMP TABLE kept_crm_access_tokens AS SELECT * FROM crm_access_tokens;
CREATE TEMP TABLE kept_authorization_requests AS SELECT * FROM authorization_requests;
CREATE TABLE integration_accounts_by_tenant (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    kind TEXT NOT NULL CHECK (kind IN ('servicenow', 'salesforce')),
    name TEXT NOT NULL,
    is_default BIGINT NOT NULL DEFAULT 0,
    settings TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (tenant_id, name)
);
INSERT INTO integration_accounts_by_tenant (id, tenant_id, kind, name, is_default, settings, created_at, updated_at)
SELECT id, 'default', kind, name, is_default, settings, created_at, updated_at FROM integration_accounts;
DROP TABLE integration_accounts;
ALTER TABLE integration_accounts_by_tenant RENAME TO integration_accounts;
CREATE UNIQUE INDEX integration_accounts_one_default ON integration_accounts (tenant_id, kind) WHERE is_default = 1;
DELETE FROM account_secrets;
INSERT INTO account_secrets SELECT * FROM kept_account_secrets;
DELETE FROM crm_access_tokens;
INSERT INTO crm_access_tokens SELECT * FROM kept_crm_access_tokens;
DELETE FROM authorization_requests;
INSERT INTO authorization_requests SELECT * FROM kept_authorization_requests;
DROP TABLE kept_account_secrets;
DROP TABLE kept_crm_access_tokens;
DROP TABLE kept_authorization_requests;

-- A call log is one per (tenant, kind, agent, Call-ID).
CREATE TABLE call_logs_by_tenant (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    kind TEXT NOT NULL,
    agent TEXT NOT NULL,
    call_id TEXT NOT NULL,
    log TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'delivered', 'refused')),
    attempts BIGINT NOT NULL DEFAULT 0,
    due_at BIGINT NOT NULL,
    lease_until BIGINT,
    leased_by TEXT,
    last_error TEXT,
    crm_id TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    delivered_at BIGINT,
    UNIQUE (tenant_id, kind, agent, call_id)
);
INSERT INTO call_logs_by_tenant (id, tenant_id, kind, agent, call_id, log, state, attempts, due_at, lease_until,
    leased_by, last_error, crm_id, created_at, updated_at, delivered_at)
SELECT id, 'default', kind, agent, call_id, log, state, attempts, due_at, lease_until, leased_by, last_error, crm_id,
    created_at, updated_at, delivered_at FROM call_logs;
DROP TABLE call_logs;
ALTER TABLE call_logs_by_tenant RENAME TO call_logs;
CREATE INDEX call_logs_due ON call_logs (state, due_at);
CREATE INDEX call_logs_tenant_updated ON call_logs (tenant_id, updated_at);
