//! Sqlite: people's accounts, their tokens, sign-in, sessions and the
//! audit log, for [`AccountStore`](crate::central::storage::AccountStore).

use super::*;

pub(super) fn user_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        name: r.get(0)?,
        role: Role::parse(&r.get::<_, String>(1)?).unwrap_or(Role::Bureau),
        password_hash: r.get(2)?,
        failures: r.get(3)?,
        locked_until: r.get(4)?,
    })
}

#[async_trait]
impl AccountStore for Sqlite {
    async fn add_user(&self, name: &str, role: Role, password_hash: &str, now: Instant) -> Result<()> {
        let (name, hash) = (name.to_string(), password_hash.to_string());
        self.write(move |c| {
            let n = c
                .execute(
                    "INSERT OR IGNORE INTO users (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                    params![name, role.as_str(), hash, now],
                )
                .map_err(db)?;
            if n == 0 {
                return Err(StorageError::Exists(format!("user {name}")));
            }
            Ok(())
        })
        .await
    }

    async fn user(&self, name: &str) -> Result<Option<UserRow>> {
        let name = name.to_string();
        self.read(move |c| {
            c.query_row(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.name = ?1"), [name], user_from)
                .optional()
                .map_err(db)
        })
        .await
    }

    async fn users(&self) -> Result<Vec<UserRow>> {
        self.read(|c| {
            let mut stmt = c.prepare(&format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.name")).map_err(db)?;
            let users = stmt.query_map([], user_from).map_err(db)?.collect::<rusqlite::Result<_>>().map_err(db)?;
            Ok(users)
        })
        .await
    }

    async fn set_password(&self, name: &str, password_hash: &str) -> Result<()> {
        let (name, hash) = (name.to_string(), password_hash.to_string());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let n =
                tx.execute("UPDATE users SET password_hash = ?2 WHERE name = ?1", params![name, hash]).map_err(db)?;
            if n == 0 {
                return Err(StorageError::NotFound(format!("no user {name}")));
            }
            tx.execute("DELETE FROM login_failures WHERE user_name = ?1", [&name]).map_err(db)?;
            tx.execute("DELETE FROM sessions WHERE user_name = ?1", [&name]).map_err(db)?;
            tx.execute("DELETE FROM user_tokens WHERE user_name = ?1", [&name]).map_err(db)?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn add_user_token(&self, name: &str, token_hash: &str, now: Instant, expires_at: Instant) -> Result<()> {
        let (name, token) = (name.to_string(), token_hash.to_string());
        self.write(move |c| {
            let exists: bool = c
                .query_row("SELECT 1 FROM users WHERE name = ?1", [&name], |_| Ok(()))
                .optional()
                .map_err(db)?
                .is_some();
            if !exists {
                return Err(StorageError::NotFound(format!("no user {name}")));
            }
            c.execute(
                "INSERT INTO user_tokens (token_hash, user_name, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![token, name, now, expires_at],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn user_by_token(&self, token_hash: &str, now: Instant) -> Result<Option<UserRow>> {
        let token = token_hash.to_string();
        self.read(move |c| {
            c.query_row(
                &format!(
                    "SELECT {USER_COLUMNS} FROM users u JOIN user_tokens t ON t.user_name = u.name
                     WHERE t.token_hash = ?1 AND {TOKEN_EXPIRY_SQL} > ?2"
                ),
                params![token, now],
                user_from,
            )
            .optional()
            .map_err(db)
        })
        .await
    }

    async fn user_tokens(&self, name: &str) -> Result<Vec<TokenRow>> {
        let name = name.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare(&format!(
                    "SELECT t.token_hash, t.created_at, {TOKEN_EXPIRY_SQL} FROM user_tokens t
                     WHERE t.user_name = ?1 ORDER BY t.created_at, t.token_hash"
                ))
                .map_err(db)?;
            let rows = stmt
                .query_map([&name], |r| {
                    Ok(TokenRow {
                        id: r.get::<_, String>(0)?.chars().take(TOKEN_ID_LEN).collect(),
                        created_at: r.get(1)?,
                        expires_at: r.get(2)?,
                    })
                })
                .map_err(db)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db)?;
            Ok(rows)
        })
        .await
    }

    async fn revoke_user_token(&self, name: &str, id: &str) -> Result<()> {
        let (name, id) = (name.to_string(), id.to_string());
        self.write(move |c| {
            let n = if id.len() == TOKEN_ID_LEN && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                c.execute(
                    "DELETE FROM user_tokens WHERE user_name = ?1 AND substr(token_hash, 1, ?3) = ?2",
                    params![name, id.to_ascii_lowercase(), TOKEN_ID_LEN as i64],
                )
                .map_err(db)?
            } else {
                0
            };
            if n == 0 {
                return Err(StorageError::NotFound(format!("{name} has no token {id}")));
            }
            Ok(())
        })
        .await
    }

    async fn claim_login(
        &self,
        name: &str,
        client: &str,
        at: Instant,
        tries: u32,
        lock_ms: i64,
    ) -> Result<Option<u32>> {
        let (name, client) = (name.to_string(), client.to_string());
        self.write(move |c| {
            c.query_row(&claim_login_sql('?'), params![name, client, at, tries, lock_ms], |r| r.get(0))
                .optional()
                .map_err(db)
        })
        .await
    }

    async fn login_locked(&self, name: &str, client: &str, at: Instant) -> Result<bool> {
        let (name, client) = (name.to_string(), client.to_string());
        self.read(move |c| {
            c.query_row(
                "SELECT 1 FROM login_failures WHERE user_name = ?1 AND client = ?2 AND locked_until > ?3",
                params![name, client, at],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(db)
        })
        .await
    }

    async fn login_succeeded(&self, name: &str, client: &str) -> Result<()> {
        let (name, client) = (name.to_string(), client.to_string());
        self.write(move |c| {
            c.execute("DELETE FROM login_failures WHERE user_name = ?1 AND client = ?2", [&name, &client])
                .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn unlock(&self, name: &str) -> Result<()> {
        let name = name.to_string();
        self.write(move |c| {
            c.execute("DELETE FROM login_failures WHERE user_name = ?1", [&name]).map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn add_session(
        &self,
        id_hash: &str,
        name: &str,
        password_hash: &str,
        csrf: &str,
        expires_at: Instant,
    ) -> Result<bool> {
        let (id, name, hash, csrf) =
            (id_hash.to_string(), name.to_string(), password_hash.to_string(), csrf.to_string());
        self.write(move |c| {
            let n = c
                .execute(
                    "INSERT INTO sessions (id_hash, user_name, csrf, expires_at)
                     SELECT ?1, name, ?3, ?4 FROM users WHERE name = ?2 AND password_hash = ?5",
                    params![id, name, csrf, expires_at, hash],
                )
                .map_err(db)?;
            Ok(n == 1)
        })
        .await
    }

    async fn session(&self, id_hash: &str, now: Instant) -> Result<Option<(UserRow, String)>> {
        let id = id_hash.to_string();
        self.read(move |c| {
            c.query_row(
                &format!(
                    "SELECT {USER_COLUMNS}, s.csrf FROM sessions s JOIN users u ON u.name = s.user_name
                     WHERE s.id_hash = ?1 AND s.expires_at > ?2"
                ),
                params![id, now],
                |r| Ok((user_from(r)?, r.get(5)?)),
            )
            .optional()
            .map_err(db)
        })
        .await
    }

    async fn prune(&self, now: Instant) -> Result<u64> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let n = tx.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now]).map_err(db)?
                + tx.execute(
                    "DELETE FROM login_failures WHERE locked_until <= ?1 OR (locked_until IS NULL AND updated_at <= ?2)",
                    [now, now - LOCK_WINDOW_MS],
                )
                .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(n as u64)
        })
        .await
    }

    async fn end_session(&self, id_hash: &str) -> Result<()> {
        let id = id_hash.to_string();
        self.write(move |c| {
            c.execute("DELETE FROM sessions WHERE id_hash = ?1", [id]).map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn audit(&self, who: &str, action: &str, detail: &str, now: Instant) -> Result<()> {
        let row = (now, who.to_string(), action.to_string(), detail.to_string());
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.puts.send(Job::Batched(Batched::Audit { row, reply })).map_err(|_| db("the writer thread is gone"))?;
        answer.await.map_err(|_| db("the writer thread is gone"))?.map(|_| ())
    }

    async fn audit_log(&self, from: Instant, to: Instant) -> Result<Vec<AuditRow>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare("SELECT at, who, action, detail FROM audit WHERE at >= ?1 AND at < ?2 ORDER BY id")
                .map_err(db)?;
            let rows = stmt
                .query_map(params![from, to], |r| {
                    Ok(AuditRow { at: r.get(0)?, who: r.get(1)?, action: r.get(2)?, detail: r.get(3)? })
                })
                .map_err(db)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db)
        })
        .await
    }
}
