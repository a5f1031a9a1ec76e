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

-- Each column is filled with `default` for the rows there are, then loses its default, so that
-- nothing can be written without naming its tenant.
ALTER TABLE people ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default' REFERENCES tenants (id);
ALTER TABLE people ALTER COLUMN tenant_id DROP DEFAULT;
DROP INDEX people_sip_user;
CREATE UNIQUE INDEX people_sip_user ON people (tenant_id, sip_user) WHERE sip_user IS NOT NULL;

ALTER TABLE setup_tokens ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default' REFERENCES tenants (id);
ALTER TABLE setup_tokens ALTER COLUMN tenant_id DROP DEFAULT;

ALTER TABLE audit_log ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default' REFERENCES tenants (id);
ALTER TABLE audit_log ALTER COLUMN tenant_id DROP DEFAULT;
CREATE INDEX audit_log_tenant_at ON audit_log (tenant_id, at);

ALTER TABLE integration_accounts ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default' REFERENCES tenants (id);
ALTER TABLE integration_accounts ALTER COLUMN tenant_id DROP DEFAULT;
ALTER TABLE integration_accounts DROP CONSTRAINT integration_accounts_name_key;
ALTER TABLE integration_accounts ADD CONSTRAINT integration_accounts_tenant_name UNIQUE (tenant_id, name);
DROP INDEX integration_accounts_one_default;
CREATE UNIQUE INDEX integration_accounts_one_default ON integration_accounts (tenant_id, kind) WHERE is_default = 1;

ALTER TABLE call_logs ADD COLUMN tenant_id TEXT NOT NULL DEFAULT 'default' REFERENCES tenants (id);
ALTER TABLE call_logs ALTER COLUMN tenant_id DROP DEFAULT;
ALTER TABLE call_logs DROP CONSTRAINT call_logs_kind_agent_call_id_key;
ALTER TABLE call_logs ADD CONSTRAINT call_logs_tenant_kind_agent_call_id UNIQUE (tenant_id, kind, agent, call_id);
CREATE INDEX call_logs_tenant_updated ON call_logs (tenant_id, updated_at);
