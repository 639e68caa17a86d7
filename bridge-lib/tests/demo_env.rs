//! The embedded demo: starts fast, cleans up after itself, and loads the reference schema.

mod common;

use bridge_lib::demo::{PgCluster, Variant};
use std::time::Duration;

#[test]
fn cluster_starts_and_removes_itself_on_drop() {
    let c = PgCluster::start().expect("start");
    assert!(c.startup > Duration::ZERO);
    let dir = c.socket_dir().to_path_buf();
    assert!(dir.join("data/postmaster.pid").exists());
    drop(c);
    assert!(!dir.exists(), "{} left behind", dir.display());
}

#[tokio::test]
async fn app_role_owns_nothing_and_cannot_bypass_rls() {
    let demo = common::demo(Variant::Clean).await;
    let c = bridge_lib::db::connect(&demo.app).await.unwrap();
    let r = c
        .query_one(
            "SELECT rolsuper, rolbypassrls, (SELECT count(*) FROM pg_class WHERE relowner = r.oid)
               FROM pg_roles r WHERE rolname = current_user",
            &[],
        )
        .await
        .unwrap();
    assert!(!r.get::<_, bool>(0) && !r.get::<_, bool>(1));
    assert_eq!(r.get::<_, i64>(2), 0);
    // no tenant context: nothing visible
    let n: i64 = c.query_one("SELECT count(*) FROM documents", &[]).await.unwrap().get(0);
    assert_eq!(n, 0);
}
