//! PostgreSQL `LISTEN`/`NOTIFY` between instances: each content write notifies [`channel`] in
//! its transaction (delivered at commit) with the change log's head, and every instance's
//! listener empties its response cache and wakes its search indexer within milliseconds, not
//! at their next poll (`HEADLINE_CACHE_SYNC_MS`, the indexer's second), which stay as the
//! fallback (and are all SQLite, one process, needs).

use std::sync::{Arc, Weak};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

use crate::startup::AppState;

/// The channel of the database schema a connection uses (`headline_content_public`):
/// notifications are database-wide, and instances on other schemas (tests run side by side
/// so) must not hear each other.
pub fn channel(conn: &mut super::AnyConnection) -> Result<String, diesel::result::Error> {
    use diesel::RunQueryDsl;
    let schema: String = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
        "current_schema()",
    ))
    .get_result(conn)?;
    let schema: String = schema
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(40)
        .collect::<String>()
        .to_ascii_lowercase();
    Ok(format!("headline_content_{schema}"))
}

/// How often the listener looks for notifications: reading them costs a non-blocking read of
/// the socket, so this is the delay a takedown waits for at most (plus delivery).
const POLL: Duration = Duration::from_millis(10);

/// Starts the listener thread of an app on PostgreSQL. It ends when the app is dropped.
pub fn spawn_listener(url: String, channel: String, state: &Arc<AppState>) {
    let state = Arc::downgrade(state);
    let spawned = std::thread::Builder::new()
        .name("cache-listener".to_owned())
        .spawn(move || listen(&url, &channel, &state));
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "cache listener did not start; polling only");
    }
}

fn listen(url: &str, channel: &str, state: &Weak<AppState>) {
    let mut reconnecting = false;
    loop {
        let connected = PgConnection::establish(url).and_then(|mut conn| {
            conn.batch_execute(&format!("LISTEN {channel}"))
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
            Ok(conn)
        });
        let mut conn = match connected {
            Ok(conn) => conn,
            Err(e) => {
                tracing::warn!(error = %e, "cache listener cannot connect; retrying");
                std::thread::sleep(Duration::from_secs(1));
                if state.strong_count() == 0 {
                    return;
                }
                continue;
            }
        };
        // After a lost connection, anything may have changed while no one listened. (At
        // start the cache is empty and syncs before it keeps anything.)
        match state.upgrade() {
            Some(state) if reconnecting => state.cache.content_changed_elsewhere(),
            Some(_) => {}
            None => return,
        }
        reconnecting = true;
        loop {
            std::thread::sleep(POLL);
            let Some(state) = state.upgrade() else { return };
            let (mut changed, mut broken) = (false, false);
            let own = state.db.instance().to_string();
            for notification in conn.notifications_iter() {
                match notification {
                    // `<instance>:<change-log head>`. Its own writes this instance has seen
                    // already (they bump its count).
                    Ok(n) => {
                        let (writer, head) = n.payload.split_once(':').unwrap_or((&n.payload, ""));
                        if let Ok(head) = head.parse::<i64>() {
                            state.db.change_head().advance(head);
                        }
                        changed |= writer != own;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "cache listener lost its connection");
                        broken = true;
                        break;
                    }
                }
            }
            if changed {
                state.cache.content_changed_elsewhere();
            }
            if broken {
                break;
            }
        }
    }
}
