//! Accounts and enrolment: organisations, spaces, users and their grants,
//! enrolment codes, devices and their tokens, office logins and sessions.

use odnowa_shared::ids::{DeviceId, OrgId, SpaceId, UserId};

use super::{Db, EnrolRefusal, StoreError, is_unique_violation, on_pool, parse};
/// A user's access to one space.
pub type Grant = odnowa_shared::protocol::SpaceAccess;

/// What access rules need to know of a user.
#[derive(Debug, Clone)]
pub struct UserFacts {
    pub id: UserId,
    pub name: String,
    /// As stored (`odnowa_shared::access::Role::from_stored`).
    pub role: String,
    pub org: Option<OrgId>,
    pub disabled: bool,
}

/// What an exchange needs of its user and device ([`super::Reader::peer_facts`]).
#[derive(Debug, Clone)]
pub struct PeerFacts {
    pub user: UserFacts,
    /// The name the device was enrolled with (empty when it is not the
    /// user's device, or none was asked): an exchange that pushes writes
    /// it beside its changes.
    pub device_name: String,
    /// Whether the device dropped registry entries withheld from it, some
    /// of which it may be sent again.
    pub dropped_withheld: bool,
}

/// The device behind a token.
#[derive(Debug, Clone)]
pub struct DeviceAuth {
    pub device: DeviceId,
    pub user: UserId,
    pub revoked: bool,
    pub user_disabled: bool,
    /// When the device was last seen (ms since the epoch), as stored.
    pub last_seen_at: Option<i64>,
}

/// A device as listed for administration.
#[derive(Debug, Clone)]
pub struct DeviceRow {
    pub device: DeviceId,
    pub user_id: UserId,
    /// The user's name.
    pub user: String,
    pub name: String,
    pub created_at: i64,
    pub last_seen_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

/// What a login needs to know of a user.
#[derive(Debug, Clone)]
pub struct LoginUser {
    pub id: UserId,
    pub name: String,
    pub role: String,
    pub org: Option<OrgId>,
    pub org_name: Option<String>,
    pub password_hash: Option<String>,
    pub disabled: bool,
}

impl Db {
    /// Runs `sql`, an insert of a named row with `texts` for `$1`, `$2`,
    /// ... and `now` for the last parameter; a name already taken is
    /// [`StoreError::Duplicate`] of `what`.
    async fn insert_named(
        &self,
        what: &str,
        name: &str,
        sql: &str,
        texts: &[Option<String>],
        now: i64,
    ) -> Result<(), StoreError> {
        let result = on_pool!(self, pool => {
            let mut query = sqlx::query(sql);
            for text in texts {
                query = query.bind(text.as_deref());
            }
            query.bind(now).execute(pool).await.map(drop)
        });
        match result {
            Ok(()) => Ok(()),
            Err(e) if is_unique_violation(&e) => {
                Err(StoreError::Duplicate(format!("{what} {name:?}")))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn create_org(&self, name: &str, now: i64) -> Result<OrgId, StoreError> {
        let id = OrgId::random();
        self.insert_named(
            "organisation",
            name,
            "INSERT INTO orgs (id, name, created_at) VALUES ($1, $2, $3)",
            &[Some(id.to_string()), Some(name.to_string())],
            now,
        )
        .await?;
        self.ensure_referral_spaces(now).await?;
        Ok(id)
    }

    /// Makes the referral space of every pair of member organisations
    /// that lacks one (`SpaceId::between`: the same id on every server
    /// instance, so two instances making it at once make one). Run when an
    /// organisation is created and when the database is opened.
    pub async fn ensure_referral_spaces(&self, now: i64) -> Result<(), StoreError> {
        let orgs: Vec<String> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT id FROM orgs ORDER BY id")
                .fetch_all(pool)
                .await?
        });
        let orgs = orgs
            .iter()
            .map(|o| parse::<OrgId>("org id", o))
            .collect::<Result<Vec<_>, _>>()?;
        for (at, &a) in orgs.iter().enumerate() {
            for &b in &orgs[at + 1..] {
                let (low, high) = if a.0 <= b.0 { (a, b) } else { (b, a) };
                let space = SpaceId::between(low, high);
                on_pool!(self, pool => {
                    sqlx::query(
                        "INSERT INTO spaces (id, org_id, partner_org, name, last_seq, created_at) \
                         VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT (id) DO NOTHING",
                    )
                    .bind(space.to_string())
                    .bind(low.to_string())
                    .bind(high.to_string())
                    .bind(format!("referrals {low} {high}"))
                    .bind(now)
                    .execute(pool)
                    .await?;
                });
            }
        }
        Ok(())
    }

    pub async fn create_space(
        &self,
        org: Option<OrgId>,
        name: &str,
        now: i64,
    ) -> Result<SpaceId, StoreError> {
        let id = SpaceId::random();
        self.insert_named(
            "space",
            name,
            "INSERT INTO spaces (id, org_id, name, last_seq, created_at) VALUES ($1, $2, $3, 0, $4)",
            &[
                Some(id.to_string()),
                org.map(|o| o.to_string()),
                Some(name.to_string()),
            ],
            now,
        )
        .await?;
        Ok(id)
    }

    pub async fn create_user(
        &self,
        org: Option<OrgId>,
        name: &str,
        role: &str,
        now: i64,
    ) -> Result<UserId, StoreError> {
        let id = UserId::random();
        self.insert_named(
            "user",
            name,
            "INSERT INTO users (id, org_id, name, role, created_at, disabled) VALUES ($1, $2, $3, $4, $5, 0)",
            &[
                Some(id.to_string()),
                org.map(|o| o.to_string()),
                Some(name.to_string()),
                Some(role.to_string()),
            ],
            now,
        )
        .await?;
        Ok(id)
    }

    /// Gives `user` read (and, with `write`, write) access to `space`.
    pub async fn grant(&self, user: UserId, space: SpaceId, write: bool) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO grants (user_id, space_id, can_write) VALUES ($1, $2, $3) \
                 ON CONFLICT (user_id, space_id) DO UPDATE SET can_write = excluded.can_write",
            )
            .bind(user.to_string())
            .bind(space.to_string())
            .bind(i64::from(write))
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// The spaces a device of `user` may read, and which it may write:
    /// the role's rules (`odnowa_shared::access`) over the spaces and the
    /// user's explicit grants. A disabled user, or a role the server does
    /// not know, gets none.
    pub async fn grants(&self, user: UserId) -> Result<Vec<Grant>, StoreError> {
        let mut reader = self.reader();
        match reader.user_facts(user).await? {
            Some(who) => reader.grants_of(&who).await,
            None => Ok(Vec::new()),
        }
    }

    /// A user's role, organisation and whether they are disabled ([`super::Reader::user_facts`]).
    pub async fn user_facts(&self, user: UserId) -> Result<Option<UserFacts>, StoreError> {
        self.reader().user_facts(user).await
    }

    /// The organisation that owns `space` (`None`: no such space;
    /// `Some(None)`: the registry, a consortium space, or the referral
    /// space of two organisations, which neither owns alone).
    pub async fn space_org(&self, space: SpaceId) -> Result<Option<Option<OrgId>>, StoreError> {
        let row: Option<(Option<String>,)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT CASE WHEN partner_org IS NULL THEN org_id END FROM spaces WHERE id = $1",
            )
                .bind(space.to_string())
                .fetch_optional(pool)
                .await?
        });
        row.map(|(org,)| org.map(|o| parse("org id", &o)).transpose())
            .transpose()
    }

    /// Every space's id.
    pub async fn space_ids(&self) -> Result<Vec<SpaceId>, StoreError> {
        let ids: Vec<String> = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT id FROM spaces ORDER BY id").fetch_all(pool).await?
        });
        ids.iter().map(|id| parse("space id", id)).collect()
    }

    pub async fn space_exists(&self, space: SpaceId) -> Result<bool, StoreError> {
        let n: i64 = on_pool!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM spaces WHERE id = $1")
                .bind(space.to_string())
                .fetch_one(pool)
                .await?
        });
        Ok(n > 0)
    }

    async fn id_by_name(&self, table: &'static str, name: &str) -> Result<String, StoreError> {
        let sql = match table {
            "orgs" => "SELECT id FROM orgs WHERE name = $1",
            "spaces" => "SELECT id FROM spaces WHERE name = $1",
            _ => "SELECT id FROM users WHERE name = $1",
        };
        let id: Option<String> = on_pool!(self, pool => {
            sqlx::query_scalar(sql).bind(name).fetch_optional(pool).await?
        });
        id.ok_or_else(|| StoreError::NotFound(format!("{} {name:?}", table.trim_end_matches('s'))))
    }

    pub async fn org_by_name(&self, name: &str) -> Result<OrgId, StoreError> {
        parse("org id", &self.id_by_name("orgs", name).await?)
    }

    pub async fn space_by_name(&self, name: &str) -> Result<SpaceId, StoreError> {
        parse("space id", &self.id_by_name("spaces", name).await?)
    }

    pub async fn user_by_name(&self, name: &str) -> Result<UserId, StoreError> {
        parse("user id", &self.id_by_name("users", name).await?)
    }

    // ---- devices and enrolment ----

    pub async fn create_enrol_code(
        &self,
        user: UserId,
        code_hash: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("INSERT INTO enrol_codes (code_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
                .bind(code_hash)
                .bind(user.to_string())
                .bind(now)
                .bind(expires_at)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// Exchanges a one-time code for a new device with `token_hash`, in one
    /// transaction: a code works once.
    pub async fn redeem_enrol_code(
        &self,
        code_hash: &str,
        device: DeviceId,
        device_name: &str,
        token_hash: &str,
        now: i64,
    ) -> Result<(UserId, String), StoreError> {
        let _gate = self.gate().await;
        on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let row: Option<(String, i64, Option<i64>, i64, String)> = sqlx::query_as(
                "SELECT c.user_id, c.expires_at, c.used_at, u.disabled, u.name FROM enrol_codes c \
                 JOIN users u ON u.id = c.user_id WHERE c.code_hash = $1",
            )
            .bind(code_hash)
            .fetch_optional(&mut *tx)
            .await?;
            let (user, expires_at, used_at, disabled, user_name) =
                row.ok_or(StoreError::Enrol(EnrolRefusal::Unknown))?;
            if used_at.is_some() {
                return Err(StoreError::Enrol(EnrolRefusal::Used));
            }
            if expires_at < now {
                return Err(StoreError::Enrol(EnrolRefusal::Expired));
            }
            if disabled != 0 {
                return Err(StoreError::Enrol(EnrolRefusal::UserDisabled));
            }
            let claimed = sqlx::query(
                "UPDATE enrol_codes SET used_at = $1, device_id = $2 WHERE code_hash = $3 AND used_at IS NULL",
            )
            .bind(now)
            .bind(device.to_string())
            .bind(code_hash)
            .execute(&mut *tx)
            .await?;
            if claimed.rows_affected() != 1 {
                return Err(StoreError::Enrol(EnrolRefusal::Used));
            }
            sqlx::query(
                "INSERT INTO devices (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(device.to_string())
            .bind(&user)
            .bind(device_name)
            .bind(token_hash)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok((parse("user id", &user)?, user_name))
        })
    }

    /// The device a token hash belongs to.
    pub async fn device_by_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<DeviceAuth>, StoreError> {
        self.device_where("d.token_hash = $1", token_hash).await
    }

    async fn device_where(
        &self,
        filter: &str,
        value: &str,
    ) -> Result<Option<DeviceAuth>, StoreError> {
        let sql = format!(
            "SELECT d.id, d.user_id, d.revoked_at, u.disabled, d.last_seen_at FROM devices d \
             JOIN users u ON u.id = d.user_id WHERE {filter}"
        );
        type Row = (String, String, Option<i64>, i64, Option<i64>);
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(value).fetch_optional(pool).await?
        });
        row.map(|(device, user, revoked_at, disabled, last_seen_at)| {
            Ok(DeviceAuth {
                device: parse("device id", &device)?,
                user: parse("user id", &user)?,
                revoked: revoked_at.is_some(),
                user_disabled: disabled != 0,
                last_seen_at,
            })
        })
        .transpose()
    }

    pub async fn touch_device(&self, device: DeviceId, now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE devices SET last_seen_at = $1 WHERE id = $2")
                .bind(now)
                .bind(device.to_string())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// Revokes a device; returns whether it existed and was not revoked yet.
    pub async fn revoke_device(&self, device: DeviceId, now: i64) -> Result<bool, StoreError> {
        let done = on_pool!(self, pool => {
            sqlx::query("UPDATE devices SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
                .bind(now)
                .bind(device.to_string())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done == 1)
    }

    /// Disables a user (every device of theirs is refused from then on);
    /// returns whether the user existed and was enabled.
    pub async fn disable_user(&self, user: UserId) -> Result<bool, StoreError> {
        let done = on_pool!(self, pool => {
            sqlx::query("UPDATE users SET disabled = 1 WHERE id = $1 AND disabled = 0")
                .bind(user.to_string())
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done == 1)
    }

    /// Whether a device may still connect (revoked, user disabled).
    pub async fn device_auth(&self, device: DeviceId) -> Result<Option<DeviceAuth>, StoreError> {
        self.device_where("d.id = $1", &device.to_string()).await
    }

    /// Changes whenever a device is revoked or a user disabled (by any
    /// process on this database): the live connections then check
    /// themselves.
    pub async fn revocation_stamp(&self) -> Result<(i64, i64, i64), StoreError> {
        Ok(on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM devices WHERE revoked_at IS NOT NULL), \
                 (SELECT COALESCE(MAX(revoked_at), 0) FROM devices), \
                 (SELECT COUNT(*) FROM users WHERE disabled = 1)",
            )
            .fetch_one(pool)
            .await?
        }))
    }

    /// Enrolled devices, oldest first: every one, or (`Some(org)`) those
    /// of one organisation's users.
    pub async fn list_devices(&self, org: Option<OrgId>) -> Result<Vec<DeviceRow>, StoreError> {
        type DeviceTuple = (
            String,
            String,
            String,
            String,
            i64,
            Option<i64>,
            Option<i64>,
        );
        const SELECT: &str = "SELECT d.id, d.user_id, u.name, d.name, d.created_at, d.last_seen_at, d.revoked_at \
             FROM devices d JOIN users u ON u.id = d.user_id";
        let rows: Vec<DeviceTuple> = match org {
            None => on_pool!(self, pool => {
                sqlx::query_as(&format!("{SELECT} ORDER BY d.created_at"))
                    .fetch_all(pool)
                    .await?
            }),
            Some(org) => on_pool!(self, pool => {
                sqlx::query_as(&format!("{SELECT} WHERE u.org_id = $1 ORDER BY d.created_at"))
                    .bind(org.to_string())
                    .fetch_all(pool)
                    .await?
            }),
        };
        rows.into_iter()
            .map(
                |(device, user_id, user, name, created_at, last_seen_at, revoked_at)| {
                    Ok(DeviceRow {
                        device: parse("device id", &device)?,
                        user_id: parse("user id", &user_id)?,
                        user,
                        name,
                        created_at,
                        last_seen_at,
                        revoked_at,
                    })
                },
            )
            .collect()
    }

    /// The users of an organisation, by name.
    pub async fn org_users(&self, org: OrgId) -> Result<Vec<UserFacts>, StoreError> {
        let rows: Vec<(String, String, String, i64)> = on_pool!(self, pool => {
            sqlx::query_as(
                "SELECT id, name, role, disabled FROM users WHERE org_id = $1 ORDER BY name",
            )
            .bind(org.to_string())
            .fetch_all(pool)
            .await?
        });
        rows.into_iter()
            .map(|(id, name, role, disabled)| {
                Ok(UserFacts {
                    id: parse("user id", &id)?,
                    name,
                    role,
                    org: Some(org),
                    disabled: disabled != 0,
                })
            })
            .collect()
    }

    // ---- documents and feeds ----

    /// The user called `name`, for a login.
    pub async fn login_user(&self, name: &str) -> Result<Option<LoginUser>, StoreError> {
        self.user_where("u.name = $1", name).await
    }

    async fn user_where(
        &self,
        condition: &str,
        value: &str,
    ) -> Result<Option<LoginUser>, StoreError> {
        type Row = (
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            i64,
        );
        let sql = format!(
            "SELECT u.id, u.name, u.role, u.org_id, o.name, u.password_hash, u.disabled \
             FROM users u LEFT JOIN orgs o ON o.id = u.org_id WHERE {condition}"
        );
        let row: Option<Row> = on_pool!(self, pool => {
            sqlx::query_as(&sql).bind(value).fetch_optional(pool).await?
        });
        row.map(|(id, name, role, org, org_name, password_hash, disabled)| {
            Ok(LoginUser {
                id: parse("user id", &id)?,
                name,
                role,
                org: org.map(|o| parse("org id", &o)).transpose()?,
                org_name,
                password_hash,
                disabled: disabled != 0,
            })
        })
        .transpose()
    }

    /// Sets (or replaces) a user's password hash; ends their sessions.
    /// Whether anyone can log in to the office pages as the office (an
    /// enabled `office` user with a password).
    pub async fn office_login_exists(&self) -> Result<bool, StoreError> {
        let n: i64 = on_pool!(self, pool => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM users WHERE role = 'office' AND password_hash IS NOT NULL AND disabled = 0",
            )
            .fetch_one(pool)
            .await?
        });
        Ok(n > 0)
    }

    pub async fn set_password_hash(&self, user: UserId, hash: &str) -> Result<(), StoreError> {
        let _gate = self.gate().await;
        let updated = on_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let updated = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                .bind(hash)
                .bind(user.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM office_sessions WHERE user_id = $1")
                .bind(user.to_string())
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            updated
        });
        if updated == 0 {
            return Err(StoreError::NotFound(format!("user {user}")));
        }
        Ok(())
    }

    /// Starts a session for `user` under `token_hash`.
    pub async fn create_session(
        &self,
        token_hash: &str,
        user: UserId,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let _gate = self.gate().await;
        on_pool!(self, pool => {
            sqlx::query(
                "INSERT INTO office_sessions (token_hash, user_id, created_at, expires_at, last_seen_at) \
                 VALUES ($1, $2, $3, $4, $3)",
            )
            .bind(token_hash)
            .bind(user.to_string())
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The session under `token_hash`: its user, when it ends, when it
    /// was last used.
    pub async fn session(
        &self,
        token_hash: &str,
    ) -> Result<Option<(LoginUser, i64, i64)>, StoreError> {
        let found: Option<(String, i64, i64)> = on_pool!(self, pool => {
            sqlx::query_as("SELECT user_id, expires_at, last_seen_at FROM office_sessions WHERE token_hash = $1")
                .bind(token_hash)
                .fetch_optional(pool)
                .await?
        });
        let Some((user, expires_at, last_seen_at)) = found else {
            return Ok(None);
        };
        Ok(self
            .user_where("u.id = $1", &user)
            .await?
            .map(|u| (u, expires_at, last_seen_at)))
    }

    /// Marks a session used now.
    pub async fn touch_session(&self, token_hash: &str, now: i64) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("UPDATE office_sessions SET last_seen_at = $1 WHERE token_hash = $2")
                .bind(now)
                .bind(token_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Ends a session (logout, or found expired).
    pub async fn end_session(&self, token_hash: &str) -> Result<(), StoreError> {
        on_pool!(self, pool => {
            sqlx::query("DELETE FROM office_sessions WHERE token_hash = $1")
                .bind(token_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }
}
