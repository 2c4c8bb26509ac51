//! Postgres: people's accounts, their tokens, sign-in, sessions and the
//! audit log, for [`AccountStore`](crate::central::storage::AccountStore).

use super::*;

pub(super) fn user_from(r: &tokio_postgres::Row) -> UserRow {
    UserRow {
        name: r.get(0),
        role: Role::parse(r.get(1)).unwrap_or(Role::Bureau),
        password_hash: r.get(2),
        failures: r.get::<_, i64>(3) as u32,
        locked_until: r.get(4),
    }
}

#[async_trait]
impl AccountStore for Postgres {
    async fn add_user(&self, name: &str, role: Role, password_hash: &str, now: Instant) -> Result<()> {
        let n = self
            .client()
            .await?
            .execute(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                &[&name, &role.as_str(), &password_hash, &now],
            )
            .await
            .map_err(pg)?;
        if n == 0 {
            return Err(StorageError::Exists(format!("user {name}")));
        }
        Ok(())
    }

    async fn user(&self, name: &str) -> Result<Option<UserRow>> {
        let row = self
            .client()
            .await?
            .query_opt(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.name = $1"), &[&name])
            .await
            .map_err(pg)?;
        Ok(row.as_ref().map(user_from))
    }

    async fn users(&self) -> Result<Vec<UserRow>> {
        let rows = self
            .client()
            .await?
            .query(&format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.name"), &[])
            .await
            .map_err(pg)?;
        Ok(rows.iter().map(user_from).collect())
    }

    async fn set_password(&self, name: &str, password_hash: &str) -> Result<()> {
        let mut c = self.client().await?;
        let tx = c.transaction().await.map_err(pg)?;
        let n = tx
            .execute("UPDATE users SET password_hash = $2 WHERE name = $1", &[&name, &password_hash])
            .await
            .map_err(pg)?;
        if n == 0 {
            return Err(StorageError::NotFound(format!("no user {name}")));
        }
        tx.execute("DELETE FROM login_failures WHERE user_name = $1", &[&name]).await.map_err(pg)?;
        tx.execute("DELETE FROM sessions WHERE user_name = $1", &[&name]).await.map_err(pg)?;
        tx.execute("DELETE FROM user_tokens WHERE user_name = $1", &[&name]).await.map_err(pg)?;
        tx.commit().await.map_err(pg)
    }

    async fn add_user_token(&self, name: &str, token_hash: &str, now: Instant, expires_at: Instant) -> Result<()> {
        let c = self.client().await?;
        if c.query_opt("SELECT 1 FROM users WHERE name = $1", &[&name]).await.map_err(pg)?.is_none() {
            return Err(StorageError::NotFound(format!("no user {name}")));
        }
        c.execute(
            "INSERT INTO user_tokens (token_hash, user_name, created_at, expires_at) VALUES ($1, $2, $3, $4)",
            &[&token_hash, &name, &now, &expires_at],
        )
        .await
        .map_err(pg)?;
        Ok(())
    }

    async fn user_by_token(&self, token_hash: &str, now: Instant) -> Result<Option<UserRow>> {
        let row = self
            .client()
            .await?
            .query_opt(
                &format!(
                    "SELECT {USER_COLUMNS} FROM users u JOIN user_tokens t ON t.user_name = u.name
                     WHERE t.token_hash = $1 AND {TOKEN_EXPIRY_SQL} > $2"
                ),
                &[&token_hash, &now],
            )
            .await
            .map_err(pg)?;
        Ok(row.as_ref().map(user_from))
    }

    async fn user_tokens(&self, name: &str) -> Result<Vec<TokenRow>> {
        let rows = self
            .client()
            .await?
            .query(
                &format!(
                    "SELECT t.token_hash, t.created_at, {TOKEN_EXPIRY_SQL} FROM user_tokens t
                     WHERE t.user_name = $1 ORDER BY t.created_at, t.token_hash"
                ),
                &[&name],
            )
            .await
            .map_err(pg)?;
        Ok(rows
            .iter()
            .map(|r| TokenRow {
                id: r.get::<_, &str>(0).chars().take(TOKEN_ID_LEN).collect(),
                created_at: r.get(1),
                expires_at: r.get(2),
            })
            .collect())
    }

    async fn revoke_user_token(&self, name: &str, id: &str) -> Result<()> {
        let pattern = format!("{}%", id.to_ascii_lowercase());
        let c = self.client().await?;
        let n = if id.len() == TOKEN_ID_LEN && id.bytes().all(|b| b.is_ascii_hexdigit()) {
            c.execute("DELETE FROM user_tokens WHERE user_name = $1 AND token_hash LIKE $2", &[&name, &pattern])
                .await
                .map_err(pg)?
        } else {
            0
        };
        if n == 0 {
            return Err(StorageError::NotFound(format!("{name} has no token {id}")));
        }
        Ok(())
    }

    async fn claim_login(
        &self,
        name: &str,
        client: &str,
        at: Instant,
        tries: u32,
        lock_ms: i64,
    ) -> Result<Option<u32>> {
        let c = self.client().await?;
        let row = c
            .query_opt(&claim_login_sql('$'), &[&name, &client, &at, &i64::from(tries), &lock_ms])
            .await
            .map_err(pg)?;
        Ok(row.map(|r| r.get::<_, i64>(0) as u32))
    }

    async fn login_locked(&self, name: &str, client: &str, at: Instant) -> Result<bool> {
        let c = self.client().await?;
        let row = c
            .query_opt(
                "SELECT 1 FROM login_failures WHERE user_name = $1 AND client = $2 AND locked_until > $3",
                &[&name, &client, &at],
            )
            .await
            .map_err(pg)?;
        Ok(row.is_some())
    }

    async fn login_succeeded(&self, name: &str, client: &str) -> Result<()> {
        let c = self.client().await?;
        c.execute("DELETE FROM login_failures WHERE user_name = $1 AND client = $2", &[&name, &client])
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn unlock(&self, name: &str) -> Result<()> {
        let c = self.client().await?;
        c.execute("DELETE FROM login_failures WHERE user_name = $1", &[&name]).await.map_err(pg)?;
        Ok(())
    }

    async fn add_session(
        &self,
        id_hash: &str,
        name: &str,
        password_hash: &str,
        csrf: &str,
        expires_at: Instant,
    ) -> Result<bool> {
        let n = self
            .client()
            .await?
            .execute(
                "INSERT INTO sessions (id_hash, user_name, csrf, expires_at)
                 SELECT $1, name, $3, $4 FROM users WHERE name = $2 AND password_hash = $5",
                &[&id_hash, &name, &csrf, &expires_at, &password_hash],
            )
            .await
            .map_err(pg)?;
        Ok(n == 1)
    }

    async fn session(&self, id_hash: &str, now: Instant) -> Result<Option<(UserRow, String)>> {
        let row = self
            .client()
            .await?
            .query_opt(
                &format!(
                    "SELECT {USER_COLUMNS}, s.csrf FROM sessions s JOIN users u ON u.name = s.user_name
                     WHERE s.id_hash = $1 AND s.expires_at > $2"
                ),
                &[&id_hash, &now],
            )
            .await
            .map_err(pg)?;
        Ok(row.map(|r| (user_from(&r), r.get(5))))
    }

    async fn prune(&self, now: Instant) -> Result<u64> {
        let c = self.client().await?;
        let sessions = c.execute("DELETE FROM sessions WHERE expires_at <= $1", &[&now]).await.map_err(pg)?;
        let locks = c
            .execute(
                "DELETE FROM login_failures WHERE locked_until <= $1 OR (locked_until IS NULL AND updated_at <= $2)",
                &[&now, &(now - LOCK_WINDOW_MS)],
            )
            .await
            .map_err(pg)?;
        Ok(sessions + locks)
    }

    async fn end_session(&self, id_hash: &str) -> Result<()> {
        self.client().await?.execute("DELETE FROM sessions WHERE id_hash = $1", &[&id_hash]).await.map_err(pg)?;
        Ok(())
    }

    async fn audit(&self, who: &str, action: &str, detail: &str, now: Instant) -> Result<()> {
        self.client()
            .await?
            .execute(
                "INSERT INTO audit (at, who, action, detail) VALUES ($1, $2, $3, $4)",
                &[&now, &who, &action, &detail],
            )
            .await
            .map_err(pg)?;
        Ok(())
    }

    async fn audit_log(&self, from: Instant, to: Instant) -> Result<Vec<AuditRow>> {
        let rows = self
            .client()
            .await?
            .query("SELECT at, who, action, detail FROM audit WHERE at >= $1 AND at < $2 ORDER BY id", &[&from, &to])
            .await
            .map_err(pg)?;
        Ok(rows.iter().map(|r| AuditRow { at: r.get(0), who: r.get(1), action: r.get(2), detail: r.get(3) }).collect())
    }
}
