-- What the service mints a tenant's short-lived call credentials with: `sip`, the secret it
-- shares with the SIP servers (Kamailio auth_ephemeral), and `turn`, the one it shares with the
-- TURN servers (coturn use-auth-secret). The secret is sealed with AES-256-GCM under master key
-- `key_id`, bound to `tenants/<tenant_id>/call-credentials/<kind>`; `settings` (JSON) holds the
-- rest: the HMAC's hash, the lifetime, and for TURN the servers' URLs.
CREATE TABLE call_credential_secrets (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('sip', 'turn')),
    settings TEXT NOT NULL,
    key_id TEXT NOT NULL,
    sealed TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, kind)
);
