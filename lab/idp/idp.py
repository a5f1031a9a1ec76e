#!/usr/bin/python3
"""The lab's SAML 2.0 identity provider: a real IdP (Debian's pysaml2) on loopback for the
end-to-end tests and the demo of the integration service's single sign-on. Tests and the demo
only, never production: plain HTTP, lab passwords in a text file, no sessions, no logout.

  python3 lab/idp/idp.py --port PORT --dir DIR --users lab/idp/users.txt \
      [--sp-metadata FILE_OR_URL ...] [--sign-response] [--coop]

* Entity id (the Issuer of everything it sends): http://127.0.0.1:PORT/metadata.
* DIR keeps its RSA-2048 key and self-signed certificate (idp.key, idp.crt; made with
  `openssl req -x509` when missing) and its metadata (idp-metadata.xml, rewritten at each start).
* GET /metadata          its metadata (SSO endpoint with the HTTP-Redirect binding, certificate).
* GET /sso?SAMLRequest=&RelayState=
                         SP-initiated login: the login form; POST /sso with the form answers with
                         a page that POSTs SAMLResponse and RelayState to the request's ACS URL.
* GET /sso/idp-initiated?sp=SP_ENTITY_ID&acs=ACS_URL&relay=RELAY_STATE
                         IdP-initiated login: the same form, then an unsolicited Response (no
                         InResponseTo) to ACS_URL.
The Response has NameID = the username (format unspecified), the attributes FirstName, LastName,
Email (and SipUser when given) of users.txt, Audience = the SP's entity id, Destination and Recipient = the ACS URL, a
lifetime of 5 minutes, and its Assertion signed with RSA-SHA256, SHA-256 digests and exclusive
C14N (the Response too with --sign-response).

A Response goes only to an ACS URL that the SP's metadata lists for the HTTP-POST binding (else
400). --sp-metadata takes files or http URLs; the SP (the integration service) may start after
the IdP, so every source is (re)read whenever a request names an SP or ACS not yet known.
"""
import argparse, base64, hmac, html, os, subprocess, sys, threading, urllib.parse, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    import saml2
except ImportError:
    # Debian's python3-pysaml2 is in /usr/lib/python3/dist-packages, which another python3 first
    # on PATH (pyenv's, a virtualenv's) does not see: run again with Debian's.
    if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and os.path.exists("/usr/bin/python3"):
        os.execv("/usr/bin/python3", ["/usr/bin/python3", *sys.argv])
    sys.exit("idp: pysaml2 is missing (scripts/bootstrap.sh installs python3-pysaml2)")
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, saml
from saml2.attribute_converter import AttributeConverter
from saml2.config import IdPConfig
from saml2.mdstore import MetadataStore
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_BASIC, NAMEID_FORMAT_UNSPECIFIED
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

ATTRIBUTES = ("FirstName", "LastName", "Email", "SipUser")


def parse_args():
    parser = argparse.ArgumentParser(description="The lab's SAML 2.0 identity provider (tests and the demo only).")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True, help="keeps idp.key, idp.crt and idp-metadata.xml")
    parser.add_argument("--users", required=True, help="lines USERNAME PASSWORD FIRSTNAME LASTNAME EMAIL [SIPUSER]")
    parser.add_argument("--sp-metadata", action="append", default=[], metavar="FILE_OR_URL",
                        help="the metadata of an SP trusted with Responses (repeatable)")
    parser.add_argument("--sign-response", action="store_true", help="sign the Response as well as its Assertion")
    parser.add_argument("--coop", action="store_true",
                        help="send Cross-Origin-Opener-Policy: same-origin, as Entra's pages do, which severs "
                             "window.opener of the popup the sign-in runs in")
    return parser.parse_args()


def read_users(path):
    users = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            fields = line.split()
            if not fields or fields[0].startswith("#"):
                continue
            if len(fields) not in (5, 6):
                sys.exit(f"idp: {path}: want USERNAME PASSWORD FIRSTNAME LASTNAME EMAIL [SIPUSER], got: {line.strip()}")
            name, password, first, last, email = fields[:5]
            attributes = {"FirstName": [first], "LastName": [last], "Email": [email]}
            if len(fields) == 6:
                attributes["SipUser"] = [fields[5]]
            users[name] = (password, attributes)
    return users


def key_and_certificate(directory):
    key, crt = os.path.join(directory, "idp.key"), os.path.join(directory, "idp.crt")
    if not (os.path.exists(key) and os.path.exists(crt)):
        print(f"idp: making the signing key and certificate in {directory}", file=sys.stderr)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-sha256", "-days", "3650",
                        "-subj", "/CN=Framephone lab IdP", "-keyout", key, "-out", crt],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return key, crt


class IdP:
    def __init__(self, args):
        os.makedirs(args.dir, exist_ok=True)
        key, crt = key_and_certificate(args.dir)
        base = f"http://127.0.0.1:{args.port}"
        self.entity_id = f"{base}/metadata"
        config = IdPConfig().load({
            "entityid": self.entity_id,
            "key_file": key,
            "cert_file": crt,
            "signing_algorithm": SIG_RSA_SHA256,  # pysaml2 7.0's default is still RSA-SHA1
            "digest_algorithm": DIGEST_SHA256,
            "service": {"idp": {
                "name": "Framephone lab IdP",
                "endpoints": {"single_sign_on_service": [(f"{base}/sso", BINDING_HTTP_REDIRECT)]},
                "name_id_format": [NAMEID_FORMAT_UNSPECIFIED],
                "want_authn_requests_signed": False,
                "policy": {"default": {"lifetime": {"minutes": 5}, "name_form": NAME_FORMAT_BASIC}},
            }},
        })
        self.server = Server(config=config)
        # pysaml2's own attribute maps would rename Email to urn:mace:dir:attribute-def:email:
        # the attributes go out under the names of users.txt, NameFormat basic.
        converter = AttributeConverter(NAME_FORMAT_BASIC)
        converter.from_dict({"identifier": NAME_FORMAT_BASIC, "to": {name: name for name in ATTRIBUTES}})
        config.attribute_converters = [converter]
        self.metadata = create_metadata_string(None, config=config).decode()
        with open(os.path.join(args.dir, "idp-metadata.xml"), "w", encoding="utf-8") as out:
            out.write(self.metadata)
        self.users = read_users(args.users)
        self.sign_response = args.sign_response
        self.coop = args.coop
        self.sp_sources = args.sp_metadata
        self.lock = threading.Lock()  # pysaml2's Server is not made for threads
        self.load_sp_metadata()

    def load_sp_metadata(self):
        store = MetadataStore(self.server.config.attribute_converters, self.server.config)
        for source in self.sp_sources:
            try:
                if source.startswith(("http://", "https://")):
                    with urllib.request.urlopen(source, timeout=5) as answer:
                        store.load("inline", answer.read().decode())
                else:
                    store.load("local", source)
            except Exception as error:  # an SP not up yet is retried at the next request
                print(f"idp: cannot read SP metadata {source}: {error}", file=sys.stderr)
        self.server.metadata = store

    def acs_urls(self, sp_entity_id, wanted=None):
        """The SP's HTTP-POST ACS URLs, after reading the metadata again if it lacks the SP or
        the wanted URL (the SP may have started, or moved, since)."""
        def listed():
            try:
                services = self.server.metadata.assertion_consumer_service(sp_entity_id, BINDING_HTTP_POST)
            except Exception:  # pysaml2's UnsupportedBinding: an SP without an HTTP-POST ACS
                return []
            return [acs["location"] for acs in services or []]
        urls = listed()
        if not urls or (wanted and wanted not in urls):
            self.load_sp_metadata()
            urls = listed()
        return urls

    def login(self, params):
        """What a login is about, from the query (GET) or the form (POST): (the form's hidden
        fields, SP entity id, ACS URL, InResponseTo, RelayState), or why there is none."""
        if "SAMLRequest" in params:  # SP-initiated
            try:
                request = self.server.parse_authn_request(params["SAMLRequest"], BINDING_HTTP_REDIRECT).message
            except Exception as error:
                return f"unreadable or invalid AuthnRequest: {error}"
            if request.issuer is None or not request.issuer.text:
                return "the AuthnRequest has no Issuer"
            sp, acs, in_response_to = request.issuer.text.strip(), request.assertion_consumer_service_url, request.id
            if not acs:  # none in the request: the SP's first HTTP-POST ACS
                acs = (self.acs_urls(sp) or [""])[0]
            relay_state = params.get("RelayState", "")
            hidden = {"SAMLRequest": params["SAMLRequest"], "RelayState": relay_state}
        elif "sp" in params and "acs" in params:  # IdP-initiated: an unsolicited Response
            sp, acs, in_response_to, relay_state = params["sp"], params["acs"], None, params.get("relay", "")
            hidden = {"sp": sp, "acs": acs, "relay": relay_state}
        else:
            return "want SAMLRequest (SP-initiated) or sp and acs (IdP-initiated)"
        if acs not in self.acs_urls(sp, acs):
            return f"no trusted SP metadata of {sp!r} lists the ACS URL {acs!r} (HTTP-POST binding)"
        return hidden, sp, acs, in_response_to, relay_state

    def response(self, username, sp, acs, in_response_to):
        identity = self.users[username][1]
        return self.server.create_authn_response(
            identity, in_response_to, acs, sp,
            name_id=saml.NameID(format=NAMEID_FORMAT_UNSPECIFIED, text=username),
            authn={"class_ref": saml.AUTHN_PASSWORD, "authn_auth": self.entity_id},
            sign_assertion=True, sign_response=self.sign_response,
            sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>
<body>{body}</body></html>
"""


def login_form(action, hidden, username="", error=""):
    fields = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in hidden.items())
    alert = f'<p role="alert">{html.escape(error)}</p>' if error else ""
    return PAGE.format(title="Local IdP sign-in", body=f"""
<h1>Local IdP sign-in</h1>{alert}
<form method="post" action="{html.escape(action)}">{fields}
<p><label for="username">Username</label> <input id="username" name="username" value="{html.escape(username)}" autocomplete="username" required autofocus></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form>""")


def auto_submit(acs, saml_response, relay_state):
    relay = f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}">' if relay_state else ""
    return PAGE.format(title="Signing in", body=f"""
<form method="post" action="{html.escape(acs)}">
<input type="hidden" name="SAMLResponse" value="{html.escape(saml_response)}">{relay}
<noscript><button type="submit">Continue</button></noscript>
</form>
<script>document.forms[0].submit()</script>""")


class Handler(BaseHTTPRequestHandler):
    idp = None  # set in main

    def send(self, status, body, content_type="text/html; charset=utf-8"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        if self.idp.coop:
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        path, _, query = self.path.partition("?")
        if path == "/metadata":
            return self.send(200, self.idp.metadata, "application/samlmetadata+xml")
        self.sso(path, dict(urllib.parse.parse_qsl(query)), None)

    def do_POST(self):
        path = self.path.partition("?")[0]
        length = int(self.headers.get("Content-Length") or 0)
        self.sso(path, dict(urllib.parse.parse_qsl(self.rfile.read(length).decode())), True)

    def sso(self, path, params, posted):
        if path not in ("/sso", "/sso/idp-initiated"):
            return self.send(404, "not found\n", "text/plain; charset=utf-8")
        if (path == "/sso") != ("SAMLRequest" in params):
            return self.send(400, "/sso takes SAMLRequest, /sso/idp-initiated sp, acs and relay\n", "text/plain; charset=utf-8")
        with self.idp.lock:
            login = self.idp.login(params)
        if isinstance(login, str):
            return self.send(400, f"{login}\n", "text/plain; charset=utf-8")
        hidden, sp, acs, in_response_to, relay_state = login
        if not posted:
            return self.send(200, login_form(path, hidden))
        username, password = params.get("username", ""), params.get("password", "")
        user = self.idp.users.get(username)
        if user is None or not hmac.compare_digest(user[0].encode(), password.encode()):
            return self.send(200, login_form(path, hidden, username, "Wrong username or password."))
        with self.idp.lock:
            response = self.idp.response(username, sp, acs, in_response_to)
        encoded = base64.b64encode(str(response).encode()).decode()
        self.send(200, auto_submit(acs, encoded, relay_state))


def main():
    args = parse_args()
    Handler.idp = IdP(args)
    httpd = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    print(f"idp: listening on http://127.0.0.1:{args.port}, entity id {Handler.idp.entity_id}", file=sys.stderr, flush=True)
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
