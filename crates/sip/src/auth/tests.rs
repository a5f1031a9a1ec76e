use super::*;

fn mufasa() -> Credentials {
    Credentials { username: "Mufasa".into(), password: "Circle of Life".into() }
}

/// RFC 7616 §3.9.1, the MD5 and SHA-256 examples.
#[test]
fn rfc_7616_vectors() {
    let value = concat!(
        r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, "#,
        r#"nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#
    )
    .as_bytes();
    let mut challenge = Challenge::parse(value).unwrap();
    assert_eq!(challenge.qop, Some(Qop::Auth));
    let request = RequestDigest { method: "GET", uri: "/dir/index.html", body: b"" };
    let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    assert_eq!(
        digest_response(&mufasa(), &challenge, request, cnonce, "00000001"),
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
    );
    challenge.algorithm = Algorithm::Md5;
    assert_eq!(digest_response(&mufasa(), &challenge, request, cnonce, "00000001"), "8ca523f5e9506fed4657c9700eebdbec");
}

/// RFC 2617 §3.5 (the example the SIP world copied).
#[test]
fn rfc_2617_vector() {
    let challenge = Challenge::parse(
        br#"Digest realm="testrealm@host.com", qop="auth,auth-int", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41""#,
    )
    .unwrap();
    let credentials = Credentials { username: "Mufasa".into(), password: "Circle Of Life".into() };
    let request = RequestDigest { method: "GET", uri: "/dir/index.html", body: b"" };
    assert_eq!(
        digest_response(&credentials, &challenge, request, "0a4f113b", "00000001"),
        "6629fae49393a05397450978507c4ef1"
    );
}

/// Vectors computed with Python's hashlib, an implementation independent of this crate.
#[test]
fn independent_vectors_for_every_algorithm_and_qop() {
    let credentials = Credentials { username: "1001".into(), password: "s3cr\u{e9}t".into() };
    let cases: [(&str, Option<Qop>, &[u8], &str); 6] = [
        ("SHA-512-256", Some(Qop::Auth), b"", "f825c4287221a1d4cdca59089affa8a1f71f2f5fc3847c07aac6c78159c898a6"),
        ("SHA-512-256-sess", Some(Qop::Auth), b"", "85123e58d226206700cc36502805a41a6c60779f9482988a31afd54667238632"),
        (
            "SHA-256-sess",
            Some(Qop::AuthInt),
            b"v=0\r\n",
            "ed140f07669df9e7a17a30e9f7944a42fd2a335e9569f2c499641d9c23d7e070",
        ),
        ("MD5-sess", Some(Qop::Auth), b"", "15a03b8689a82f65f3a8d24abcb76f18"),
        ("MD5", None, b"", "9f907f2f68a934aa9f0e62f1971ae8e8"),
        ("SHA-256", Some(Qop::AuthInt), b"", "a1e8b19cd5831377b4787bd4e2dc085cb5c0258d2159ef43e0f66947f0a4c0e7"),
    ];
    for (algorithm, qop, body, expected) in cases {
        let challenge = Challenge {
            realm: "framephone.test".into(),
            nonce: "a1b2c3d4e5f6".into(),
            opaque: None,
            algorithm: Algorithm::from_name(algorithm).unwrap(),
            qop,
            stale: false,
            userhash: false,
        };
        let request = RequestDigest { method: "REGISTER", uri: "sip:framephone.test", body };
        assert_eq!(digest_response(&credentials, &challenge, request, "0a4f113b", "00000002"), expected, "{algorithm}");
    }
}

#[test]
fn the_client_counts_nc_per_nonce_and_writes_the_header() {
    let mut client = DigestClient::new(Credentials { username: "1001".into(), password: "pw".into() });
    let challenge = Challenge::parse(br#"Digest realm="framephone.test", nonce="n1", qop="auth", opaque="o""#).unwrap();
    let request = RequestDigest { method: "REGISTER", uri: "sip:framephone.test", body: b"" };
    let first = client.authorize(&challenge, request, "c1").unwrap();
    assert!(first.contains("nc=00000001"), "{first}");
    assert!(first.starts_with(
        "Digest username=\"1001\", realm=\"framephone.test\", nonce=\"n1\", uri=\"sip:framephone.test\", response=\""
    ));
    assert!(first.contains("algorithm=MD5, opaque=\"o\", qop=auth, nc=00000001, cnonce=\"c1\""), "{first}");
    assert!(client.authorize(&challenge, request, "c2").unwrap().contains("nc=00000002"));
    let renewed = Challenge::parse(br#"Digest realm="framephone.test", nonce="n2", qop="auth", stale=TRUE"#).unwrap();
    assert!(renewed.stale);
    assert!(client.authorize(&renewed, request, "c3").unwrap().contains("nc=00000001"));
}

#[test]
fn userhash_sends_the_hashed_user_name() {
    let mut client = DigestClient::new(Credentials { username: "1001".into(), password: "pw".into() });
    let challenge =
        Challenge::parse(br#"Digest realm="framephone.test", nonce="n", algorithm=SHA-256, qop=auth, userhash=true"#)
            .unwrap();
    let value =
        client.authorize(&challenge, RequestDigest { method: "INVITE", uri: "sip:x@y", body: b"" }, "c").unwrap();
    assert!(value.contains("username=\"b26656f261dc15c30664ac5e8d36df16cedd75c0884ef2f23bc25105883af95a\""), "{value}");
    assert!(value.ends_with(", userhash=true"));
}

#[test]
fn the_strongest_supported_challenge_wins() {
    let values: [&[u8]; 4] = [
        br#"Digest realm="r", nonce="a", algorithm=MD5, qop="auth""#,
        br#"Digest realm="r", nonce="b", algorithm=SHA-512-256, qop="auth""#,
        br#"Digest realm="r", nonce="c", algorithm=SHA-256, qop="auth""#,
        br#"Digest realm="r", nonce="d", algorithm=SHA3-512, qop="auth""#,
    ];
    assert_eq!(strongest(values).unwrap().nonce, "b");
    assert_eq!(strongest([&br#"Basic realm="r""#[..]]), None);
    assert_eq!(answer_header(&HeaderName::ProxyAuthenticate), HeaderName::ProxyAuthorization);
    assert_eq!(answer_header(&HeaderName::WwwAuthenticate), HeaderName::Authorization);
}

#[test]
fn malformed_challenges_are_refused() {
    assert_eq!(Challenge::parse(br#"Basic realm="x""#), Err(AuthError::Scheme("Basic".into())));
    assert_eq!(Challenge::parse(br#"Digest nonce="n""#), Err(AuthError::Missing("realm")));
    assert_eq!(Challenge::parse(br#"Digest realm="r""#), Err(AuthError::Missing("nonce")));
    assert_eq!(
        Challenge::parse(br#"Digest realm="r", nonce="n", algorithm=SHA-1"#),
        Err(AuthError::Algorithm("SHA-1".into()))
    );
    assert_eq!(Challenge::parse(br#"Digest realm="r", nonce="n", qop="x-auth""#), Err(AuthError::Qop("x-auth".into())));
    assert!(matches!(Challenge::parse(br#"Digest realm="r, nonce="n""#), Err(AuthError::Syntax(_))));
    assert!(matches!(Challenge::parse(br#"Digest realm="r" nonce="n""#), Err(AuthError::Syntax(_))));
    assert!(matches!(Challenge::parse(br#"Digest realm="#), Err(AuthError::Syntax(_))));
    // An RFC 2069 challenge (no qop) is still answered.
    assert_eq!(Challenge::parse(br#"Digest realm="r", nonce="n""#).unwrap().qop, None);
}

/// RFC 7616 §3.9.1 again, answered from HA1 values computed with Python's hashlib
/// (`H("Mufasa:http-auth@example.org:Circle of Life")`) instead of the password.
#[test]
fn a_kept_ha1_gives_the_rfc_7616_answers() {
    let value = concat!(
        r#"Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, "#,
        r#"nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#
    );
    let realm = "http-auth@example.org";
    let kept = AuthCredentials::Ha1 {
        username: "Mufasa".into(),
        ha1: vec![
            Ha1::from_stored(realm, Algorithm::Md5, "3D78807DEFE7DE2157E2B0B6573A855F").unwrap(),
            Ha1::from_stored(
                realm,
                Algorithm::Sha256,
                "7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232",
            )
            .unwrap(),
        ],
    };
    let request = RequestDigest { method: "GET", uri: "/dir/index.html", body: b"" };
    let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
    let mut client = DigestClient::new(kept.clone());
    let mut challenge = Challenge::parse(value.as_bytes()).unwrap();
    let answer = client.authorize(&challenge, request, cnonce).unwrap();
    assert!(
        answer.contains("response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""),
        "{answer}"
    );
    challenge.algorithm = Algorithm::Md5;
    let mut client = DigestClient::new(kept.clone());
    let answer = client.authorize(&challenge, request, cnonce).unwrap();
    assert!(answer.contains("response=\"8ca523f5e9506fed4657c9700eebdbec\""), "{answer}");
    // The password computes the same HA1 values.
    for algorithm in [Algorithm::Md5, Algorithm::Sha256Sess] {
        challenge.algorithm = algorithm;
        assert_eq!(mufasa_rfc7616().ha1(&challenge), kept.ha1(&challenge), "{algorithm:?}");
    }
}

fn mufasa_rfc7616() -> AuthCredentials {
    Credentials { username: "Mufasa".into(), password: "Circle of Life".into() }.into()
}

#[test]
fn a_kept_ha1_answers_only_its_realm_and_hash() {
    let ha1 = Ha1::compute("1001", "framephone.test", "pw", Algorithm::Md5Sess);
    assert_eq!(ha1.algorithm, Algorithm::Md5, "a -sess challenge starts from the plain HA1");
    assert!(ha1.answers("framephone.test", Algorithm::Md5) && ha1.answers("framephone.test", Algorithm::Md5Sess));
    assert!(!ha1.answers("Framephone.test", Algorithm::Md5), "realms compare exactly");
    assert!(!ha1.answers("framephone.test", Algorithm::Sha256));
    let kept = AuthCredentials::Ha1 { username: "1001".into(), ha1: vec![ha1] };
    let challenge = |text: &str| Challenge::parse(text.as_bytes()).unwrap();
    assert!(kept.ha1(&challenge(r#"Digest realm="framephone.test", nonce="n", algorithm=MD5-sess"#)).is_ok());
    assert_eq!(
        kept.ha1(&challenge(r#"Digest realm="framephone.test", nonce="n", algorithm=SHA-256"#)),
        Err(AuthError::NoSecret { realm: "framephone.test".into(), algorithm: "SHA-256" })
    );
    let mut client = DigestClient::new(kept.clone());
    let other = challenge(r#"Digest realm="other.test", nonce="n""#);
    let request = RequestDigest { method: "REGISTER", uri: "sip:other.test", body: b"" };
    assert_eq!(
        client.authorize(&other, request, "c"),
        Err(AuthError::NoSecret { realm: "other.test".into(), algorithm: "MD5" })
    );
    assert!(AuthError::NoSecret { realm: "r".into(), algorithm: "MD5" }.to_string().contains("password again"));
}

#[test]
fn the_strongest_challenge_the_credentials_answer_is_chosen() {
    let values: [&[u8]; 3] = [
        br#"Digest realm="r", nonce="a", algorithm=MD5, qop="auth""#,
        br#"Digest realm="r", nonce="b", algorithm=SHA-256, qop="auth""#,
        br#"Digest realm="r", nonce="c", algorithm=SHA3-512, qop="auth""#,
    ];
    let password: AuthCredentials = Credentials { username: "u".into(), password: "p".into() }.into();
    assert_eq!(password.choose(values).unwrap().nonce, "b");
    let md5_only =
        AuthCredentials::Ha1 { username: "u".into(), ha1: vec![Ha1::compute("u", "r", "p", Algorithm::Md5)] };
    assert_eq!(md5_only.choose(values).unwrap().nonce, "a");
    let elsewhere =
        AuthCredentials::Ha1 { username: "u".into(), ha1: vec![Ha1::compute("u", "s", "p", Algorithm::Md5)] };
    assert_eq!(elsewhere.choose(values), Err(AuthError::NoSecret { realm: "r".into(), algorithm: "SHA-256" }));
    assert!(matches!(password.choose([&br#"Basic realm="r""#[..]]), Err(AuthError::Missing(_))));
}

#[test]
fn kept_ha1_values_are_checked() {
    assert!(Ha1::from_stored("r", Algorithm::Md5, "57f20519003d00270b2de26936274101").is_ok());
    for (algorithm, hex) in [
        (Algorithm::Md5, "57f20519003d00270b2de2693627410"),
        (Algorithm::Md5, "57f20519003d00270b2de2693627410g"),
        (Algorithm::Sha256, "57f20519003d00270b2de26936274101"),
        (Algorithm::Md5, ""),
        (Algorithm::Md5, "57f20519003d00270b2de269362741\r\n"),
    ] {
        assert!(matches!(Ha1::from_stored("r", algorithm, hex), Err(AuthError::BadHa1 { .. })), "{hex:?}");
    }
}

#[test]
fn debug_output_shows_no_secret() {
    let credentials = Credentials { username: "1001".into(), password: "hunter2-secret".into() };
    let ha1 = Ha1::compute("1001", "r", "hunter2-secret", Algorithm::Sha256);
    let kept = AuthCredentials::Ha1 { username: "1001".into(), ha1: vec![ha1.clone()] };
    let client = DigestClient::new(credentials.clone());
    for text in [
        format!("{credentials:?}"),
        format!("{ha1:?}"),
        format!("{kept:?}"),
        format!("{client:?}"),
        format!("{:?}", AuthCredentials::from(credentials.clone())),
    ] {
        assert!(text.contains("1001") || text.contains("realm: \"r\""), "{text}");
        assert!(!text.contains("hunter2") && !text.contains(&ha1.hex), "{text}");
    }
}
