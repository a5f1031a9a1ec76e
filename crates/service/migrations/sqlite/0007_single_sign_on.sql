-- Single sign-on (SAML 2.0) per tenant and scope (`agents` into the phone, `admins` into the
-- admin UI): the settings as JSON (IdP sign-on URL, IdP entity id, the IdP's signing
-- certificate in PEM, the service's entity id, just-in-time provisioning and its template);
-- nothing in them is secret.
CREATE TABLE sso_settings (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    scope TEXT NOT NULL CHECK (scope IN ('agents', 'admins')),
    settings TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, scope)
);

-- Sign-in requests under way, by the SHA-256 of their RelayState (an opaque random token): the
-- IdP's POST to the reply URL is cross-site and carries no cookie. Claimed once, 10 minutes.
CREATE TABLE sso_requests (
    relay_hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    scope TEXT NOT NULL CHECK (scope IN ('agents', 'admins')),
    request_id TEXT NOT NULL,
    widget_origin TEXT,
    nonce_hash TEXT,
    test BIGINT NOT NULL DEFAULT 0,
    expires_at BIGINT NOT NULL
);

-- The phone's sign-ins, by the SHA-256 of a nonce only the phone holds: person_id and refusal
-- NULL while the agent is at the IdP, then the agent (or why not), until the phone claims it
-- (once, within 2 minutes).
CREATE TABLE sso_logins (
    nonce_hash TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    person_id TEXT REFERENCES people (id) ON DELETE CASCADE,
    refusal TEXT,
    expires_at BIGINT NOT NULL
);

-- Assertion IDs already used to sign in, until their assertion expires: a replayed assertion
-- is refused.
CREATE TABLE saml_assertions_seen (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    assertion_id TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, assertion_id)
);

-- People created at their first single sign-on keep the e-mail address the IdP sent.
ALTER TABLE people ADD COLUMN email TEXT;
