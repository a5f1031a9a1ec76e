//! Writers at once. On SQLite a transaction that reads before it writes fails at once with
//! "database is locked" when another connection is writing, instead of waiting its turn; a
//! single sign-on answered at such a moment was refused as "not started here".

mod common;

use std::time::Duration;

use common::{Backend, fresh_database};
use service::database::{Database, begin_writing};
use service::sso::Scope;
use service::sso::store::{Request, claim_request, open_request};
use sqlx::Row;

const WRITERS: usize = 6;
const ROUNDS: usize = 15;

/// Each writer counts the rows, waits a moment with its transaction open, and adds one.
async fn transactions_that_read_first_all_commit(backend: Backend) {
    let database = Database::open(&fresh_database(backend).await).await.expect("open");
    let pool = database.pool.clone();
    sqlx::query("CREATE TABLE tally (writer BIGINT NOT NULL, seen BIGINT NOT NULL)")
        .execute(&pool)
        .await
        .expect("create the table");
    let writers: Vec<_> = (0..WRITERS)
        .map(|writer| {
            let pool = pool.clone();
            tokio::spawn(async move {
                for _ in 0..ROUNDS {
                    let mut tx = begin_writing(&pool).await?;
                    let seen: i64 =
                        sqlx::query("SELECT COUNT(*) AS n FROM tally").fetch_one(&mut *tx).await?.try_get("n")?;
                    tokio::time::sleep(Duration::from_millis(2)).await;
                    sqlx::query("INSERT INTO tally (writer, seen) VALUES ($1, $2)")
                        .bind(writer as i64)
                        .bind(seen)
                        .execute(&mut *tx)
                        .await?;
                    tx.commit().await?;
                }
                Ok::<_, sqlx::Error>(())
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("the writer ran").expect("every transaction commits");
    }
    let rows: Vec<i64> = sqlx::query("SELECT seen FROM tally ORDER BY seen")
        .fetch_all(&pool)
        .await
        .expect("read")
        .iter()
        .map(|row| row.try_get("seen").expect("seen"))
        .collect();
    assert_eq!(rows.len(), WRITERS * ROUNDS, "every row kept");
    if let Backend::Sqlite = backend {
        // SQLite's writers take turns: each saw every row committed before it. (PostgreSQL's
        // read-committed transactions read side by side, which this does not change.)
        assert_eq!(rows, (0..(WRITERS * ROUNDS) as i64).collect::<Vec<_>>());
    }
}

/// Sign-in requests are claimed while other requests are being opened, each exactly once.
async fn each_sign_in_request_is_claimed_once_beside_other_writers(backend: Backend) {
    let database = Database::open(&fresh_database(backend).await).await.expect("open");
    let pool = database.pool.clone();
    let request = |n: usize| Request {
        tenant_id: "default".into(),
        scope: Scope::Admins,
        request_id: format!("_request{n}"),
        widget_origin: None,
        nonce_hash: None,
        test: false,
    };
    const REQUESTS: usize = 40;
    for n in 0..REQUESTS {
        open_request(&pool, &format!("relay{n}"), &request(n)).await.expect("open a request");
    }
    let opener = {
        let pool = pool.clone();
        tokio::spawn(async move {
            for n in REQUESTS..REQUESTS * 3 {
                open_request(&pool, &format!("relay{n}"), &request(n)).await.expect("open another request");
            }
        })
    };
    // Two claims of every request at once: one gets it, the other finds it gone.
    let claims: Vec<_> = (0..REQUESTS * 2)
        .map(|i| {
            let pool = pool.clone();
            tokio::spawn(async move { claim_request(&pool, &format!("relay{}", i / 2)).await })
        })
        .collect();
    let mut claimed: Vec<String> = Vec::new();
    for claim in claims {
        if let Some(request) = claim.await.expect("the claim ran").expect("a claim never fails for a busy database") {
            claimed.push(request.request_id);
        }
    }
    opener.await.expect("the opener ran");
    claimed.sort();
    let mut expected: Vec<String> = (0..REQUESTS).map(|n| format!("_request{n}")).collect();
    expected.sort();
    assert_eq!(claimed, expected, "each request claimed once");
    assert_eq!(claim_request(&pool, "relay0").await.expect("claim"), None, "a claimed request is gone");
}

on_both_databases!(transactions_that_read_first_all_commit, each_sign_in_request_is_claimed_once_beside_other_writers);
