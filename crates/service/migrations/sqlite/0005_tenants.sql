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
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
INSERT INTO tenants (id, slug, name, widget_config, created_at, updated_at)
VALUES ('default', 'default', 'Default', NULL, 0, 0);

ALTER TABLE people ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
DROP INDEX people_sip_user;
CREATE UNIQUE INDEX people_sip_user ON people (tenant_id, sip_user) WHERE sip_user IS NOT NULL;
ALTER TABLE setup_tokens ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
ALTER TABLE audit_log ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default';
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at);

-- Account names become unique per tenant. SQLite cannot drop a column's UNIQUE, so the table is
-- rebuilt; dropping it deletes its children's rows (ON DELETE CASCADE), so they are kept aside
-- and put back.
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
INSERT INTO account_secrets SELECT * FROM kept_account_secrets;
INSERT INTO crm_access_tokens SELECT * FROM kept_crm_access_tokens;
INSERT INTO authorization_requests SELECT * FROM kept_authorization_requests;
DROP TABLE kept_account_secrets;
DROP TABLE kept_crm_access_tokens;
DROP TABLE kept_authorization_requests;

-- A call log is one per (tenant, kind, agent, Call-ID): rebuilt for the same reason.
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
