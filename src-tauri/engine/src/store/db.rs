//! One connection to either database the store runs on: the embedded SQLite
//! file of a solo studio, or a team's PostgreSQL server. The store's SQL is
//! written once, in the subset both understand, with `?N` parameters; this
//! module translates what little differs (`$N` parameters, `{now}`) and
//! hides the two drivers' types behind [`Value`] and [`Row`].
//!
//! Write transactions take a closure, not a guard: on PostgreSQL they run
//! `SERIALIZABLE` and a transaction that lost a race to another writer is
//! run again from the start, so the closure sees the winner's result and can
//! say why it cannot do the same (the way two reviewers approving at once end
//! with one approval). SQLite's `BEGIN IMMEDIATE` never needs that.
//!
//! A person's action (approve, schedule …) runs through [`Db::act`] under an
//! action id: the transaction records the id and the action's result in
//! `actions`. When the connection drops, the outcome of a COMMIT is unknown;
//! the action is then retried on a new connection, and if the id is already
//! there the stored result is returned instead of applying it twice.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::time::Duration;

use crate::error::{EngineError, Result};
use crate::message::Notice;

/// A value crossing to or from either database.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bytes(Vec<u8>),
}

/// Something that can be a query parameter.
pub(crate) trait Param {
    fn value(&self) -> Value;
}

macro_rules! int_param {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn value(&self) -> Value {
                Value::Int(i64::from(*self))
            }
        }
    )*};
}
int_param!(i64, i32, u32, bool);

impl Param for f64 {
    fn value(&self) -> Value {
        Value::Real(*self)
    }
}
impl Param for str {
    fn value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}
impl Param for String {
    fn value(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl Param for std::borrow::Cow<'_, str> {
    fn value(&self) -> Value {
        Value::Text(self.to_string())
    }
}
impl<T: Param + ?Sized> Param for &T {
    fn value(&self) -> Value {
        (**self).value()
    }
}
impl<T: Param> Param for Option<T> {
    fn value(&self) -> Value {
        self.as_ref().map_or(Value::Null, Param::value)
    }
}
impl Param for [u8] {
    fn value(&self) -> Value {
        Value::Bytes(self.to_vec())
    }
}
impl Param for Vec<u8> {
    fn value(&self) -> Value {
        Value::Bytes(self.clone())
    }
}
impl Param for Value {
    fn value(&self) -> Value {
        self.clone()
    }
}

/// Query parameters: `args![id, name]`.
macro_rules! args {
    () => { &[] as &[&dyn $crate::store::db::Param] };
    ($($x:expr),+ $(,)?) => { &[$(&$x as &dyn $crate::store::db::Param),+] as &[&dyn $crate::store::db::Param] };
}
pub(crate) use args;

/// A column value read back.
pub(crate) trait FromValue: Sized {
    fn from_value(v: &Value) -> Option<Self>;
    /// From a value the caller gives up (text is moved, not copied).
    fn from_owned(v: Value) -> Option<Self> {
        Self::from_value(&v)
    }
    const EXPECTED: &'static str;
}

impl FromValue for i64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }
    const EXPECTED: &'static str = "an integer";
}
impl FromValue for u32 {
    fn from_value(v: &Value) -> Option<Self> {
        i64::from_value(v).and_then(|i| u32::try_from(i).ok())
    }
    const EXPECTED: &'static str = "a count";
}
impl FromValue for bool {
    fn from_value(v: &Value) -> Option<Self> {
        i64::from_value(v).map(|i| i != 0)
    }
    const EXPECTED: &'static str = "a flag";
}
impl FromValue for f64 {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Real(f) => Some(*f),
            #[allow(clippy::cast_precision_loss)]
            Value::Int(i) => Some(*i as f64),
            _ => None,
        }
    }
    const EXPECTED: &'static str = "a number";
}
impl FromValue for String {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Text(s) => Some(s.clone()),
            _ => None,
        }
    }
    fn from_owned(v: Value) -> Option<Self> {
        match v {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
    const EXPECTED: &'static str = "text";
}
impl FromValue for Vec<u8> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Bytes(b) => Some(b.clone()),
            _ => None,
        }
    }
    const EXPECTED: &'static str = "bytes";
}
impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: &Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            other => T::from_value(other).map(Some),
        }
    }
    fn from_owned(v: Value) -> Option<Self> {
        match v {
            Value::Null => Some(None),
            other => T::from_owned(other).map(Some),
        }
    }
    const EXPECTED: &'static str = T::EXPECTED;
}

/// One result row.
#[derive(Debug, Clone)]
pub(crate) struct Row(Vec<Value>);

impl Row {
    /// The value at `index` for ordering rows in memory: text and integer
    /// columns compare as the databases compare them (bytes, numbers).
    pub(crate) fn key(&self, index: usize) -> (Option<&str>, Option<i64>) {
        match self.0.get(index) {
            Some(Value::Text(t)) => (Some(t.as_str()), None),
            Some(Value::Int(i)) => (None, Some(*i)),
            _ => (None, None),
        }
    }

    pub(crate) fn get<T: FromValue>(&self, index: usize) -> Result<T> {
        let v = self.0.get(index).unwrap_or(&Value::Null);
        T::from_value(v).ok_or_else(|| {
            EngineError::StoreData(format!("column {index} holds {v:?} where {} was expected", T::EXPECTED))
        })
    }

    /// Moves column `index` out (it reads as NULL afterwards): for rows read
    /// by the thousand (a month's calendar), where copying each text shows.
    pub(crate) fn take<T: FromValue>(&mut self, index: usize) -> Result<T> {
        let v = self.0.get_mut(index).map(|v| std::mem::replace(v, Value::Null)).unwrap_or(Value::Null);
        let held = match &v {
            Value::Null => "NULL",
            Value::Int(_) => "an integer",
            Value::Real(_) => "a number",
            Value::Text(_) => "text",
            Value::Bytes(_) => "bytes",
        };
        T::from_owned(v).ok_or_else(|| {
            EngineError::StoreData(format!("column {index} holds {held} where {} was expected", T::EXPECTED))
        })
    }
}

/// Which database a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Engine {
    Sqlite,
    Postgres,
}

/// A team server connection and the statements prepared on it.
struct Pg {
    client: postgres::Client,
    statements: HashMap<String, postgres::Statement>,
}

enum Backend {
    Sqlite(rusqlite::Connection),
    Postgres { url: String, password: Option<String>, conn: Box<RefCell<Option<Pg>>> },
}

/// An open connection.
pub(crate) struct Db {
    backend: Backend,
    /// Translated SQL, by the text the store wrote.
    translated: RefCell<HashMap<String, String>>,
    in_write: Cell<bool>,
    /// The id the next action is recorded under (chosen by the client).
    next_action: RefCell<Option<String>>,
    /// Faults the tests inject, to cut a connection where only a real network failure could.
    fault: RefCell<Option<Fault>>,
}

/// A fault to inject once into the next write transaction (tests only).
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// Hold the transaction open this long before COMMIT (so a test can stop the server then).
    PauseBeforeCommit(Duration),
    /// Commit, then act as if the reply was lost on the way back.
    LoseCommitReply,
}

impl std::str::FromStr for Fault {
    type Err = EngineError;
    fn from_str(s: &str) -> Result<Self> {
        match s.split_once(':') {
            Some(("pause-before-commit", secs)) => secs
                .parse::<f64>()
                .ok()
                .and_then(|s| Duration::try_from_secs_f64(s).ok())
                .map(Fault::PauseBeforeCommit)
                .ok_or_else(|| EngineError::InvalidArgument(format!("bad fault `{s}`"))),
            None if s == "lose-commit-reply" => Ok(Fault::LoseCommitReply),
            _ => Err(EngineError::InvalidArgument(format!("unknown fault `{s}`"))),
        }
    }
}

/// How the first try of an action ended.
#[derive(serde::Serialize, serde::Deserialize)]
enum Done<T> {
    Now(T),
    Before(String),
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("engine", &self.engine()).finish_non_exhaustive()
    }
}

/// How often a serializable transaction that lost a race is run again.
const RACE_RETRIES: u32 = 60;

/// How long an action whose connection dropped keeps trying to reach the server.
const RECONNECT_FOR: Duration = Duration::from_secs(30);

impl Db {
    pub(crate) fn sqlite(conn: rusqlite::Connection) -> Self {
        Self::new(Backend::Sqlite(conn))
    }

    /// Connects to a team server; `url` is a `postgresql://` URL, `password`
    /// the login's when the URL has none (else `PGPASSWORD`).
    pub(crate) fn postgres(url: &str, password: Option<&str>) -> Result<Self> {
        let db = Self::new(Backend::Postgres {
            url: url.to_owned(),
            password: password.map(str::to_owned),
            conn: Box::new(RefCell::new(None)),
        });
        db.pg_connect()?;
        Ok(db)
    }

    fn new(backend: Backend) -> Self {
        let fault = std::env::var("STUDIO_TEST_FAULT").ok().and_then(|f| f.parse().ok());
        Self {
            backend,
            translated: RefCell::new(HashMap::new()),
            in_write: Cell::new(false),
            next_action: RefCell::new(None),
            fault: RefCell::new(fault),
        }
    }

    pub(crate) fn engine(&self) -> Engine {
        match self.backend {
            Backend::Sqlite(_) => Engine::Sqlite,
            Backend::Postgres { .. } => Engine::Postgres,
        }
    }

    /// The SQLite connection, for what only SQLite does (snapshots, pragmas).
    pub(crate) fn sqlite_conn(&self) -> Option<&rusqlite::Connection> {
        match &self.backend {
            Backend::Sqlite(c) => Some(c),
            Backend::Postgres { .. } => None,
        }
    }

    fn pg_connect(&self) -> Result<()> {
        let Backend::Postgres { url, password, conn } = &self.backend else { return Ok(()) };
        let config: postgres::Config = url.parse().map_err(|e| {
            EngineError::Refused(
                Notice::new("team.bad_url", format!("the team database address is not a PostgreSQL URL ({e})"))
                    .with("detail", e),
            )
        })?;
        let mut config = config;
        if config.get_password().is_none() {
            match password {
                Some(pw) => {
                    config.password(pw);
                }
                None => {
                    if let Ok(pw) = std::env::var("PGPASSWORD") {
                        config.password(pw);
                    }
                }
            }
        }
        config.connect_timeout(Duration::from_secs(5));
        config.application_name("repurpose-studio");
        let client = config.connect(postgres::NoTls).map_err(|e| pg_error(url, e))?;
        *conn.borrow_mut() = Some(Pg { client, statements: HashMap::new() });
        Ok(())
    }

    /// The store's SQL in this engine's dialect.
    fn sql(&self, sql: &str) -> String {
        if let Some(done) = self.translated.borrow().get(sql) {
            return done.clone();
        }
        let done = translate(sql, self.engine());
        self.translated.borrow_mut().insert(sql.to_owned(), done.clone());
        done
    }

    /// Runs a statement; returns the number of rows it changed.
    pub(crate) fn execute(&self, sql: &str, params: &[&dyn Param]) -> Result<u64> {
        let sql = self.sql(sql);
        match &self.backend {
            Backend::Sqlite(c) => {
                let mut stmt = c.prepare_cached(&sql)?;
                let values = sqlite_params(params);
                Ok(stmt.execute(rusqlite::params_from_iter(values.iter()))? as u64)
            }
            Backend::Postgres { .. } => {
                let values: Vec<Value> = params.iter().map(|p| p.value()).collect();
                self.with_pg(false, |pg| {
                    let stmt = pg_prepare(pg, &sql)?;
                    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                        values.iter().map(|v| v as &(dyn postgres::types::ToSql + Sync)).collect();
                    pg.client.execute(&stmt, &refs)
                })
            }
        }
    }

    /// Runs a query; every row.
    pub(crate) fn query(&self, sql: &str, params: &[&dyn Param]) -> Result<Vec<Row>> {
        let sql = self.sql(sql);
        match &self.backend {
            Backend::Sqlite(c) => {
                let mut stmt = c.prepare_cached(&sql)?;
                let width = stmt.column_count();
                let values = sqlite_params(params);
                let mut rows = stmt.query(rusqlite::params_from_iter(values.iter()))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    let mut cols = Vec::with_capacity(width);
                    for i in 0..width {
                        cols.push(match r.get_ref(i)? {
                            rusqlite::types::ValueRef::Null => Value::Null,
                            rusqlite::types::ValueRef::Integer(i) => Value::Int(i),
                            rusqlite::types::ValueRef::Real(f) => Value::Real(f),
                            rusqlite::types::ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
                            rusqlite::types::ValueRef::Blob(b) => Value::Bytes(b.to_vec()),
                        });
                    }
                    out.push(Row(cols));
                }
                Ok(out)
            }
            Backend::Postgres { .. } => {
                let values: Vec<Value> = params.iter().map(|p| p.value()).collect();
                let reads_only = sql.trim_start().get(..6).is_some_and(|w| w.eq_ignore_ascii_case("select"));
                let rows = self.with_pg(reads_only, |pg| {
                    let stmt = pg_prepare(pg, &sql)?;
                    let refs: Vec<&(dyn postgres::types::ToSql + Sync)> =
                        values.iter().map(|v| v as &(dyn postgres::types::ToSql + Sync)).collect();
                    pg.client.query(&stmt, &refs)
                })?;
                let kinds: Vec<Kind> =
                    rows.first().map(|r| r.columns().iter().map(|c| Kind::of(c.type_())).collect()).unwrap_or_default();
                rows.iter().map(|r| pg_row(r, &kinds)).collect()
            }
        }
    }

    /// The first row, if any.
    pub(crate) fn opt(&self, sql: &str, params: &[&dyn Param]) -> Result<Option<Row>> {
        Ok(self.query(sql, params)?.into_iter().next())
    }

    /// The first row; a query that returns none is a store error.
    pub(crate) fn row(&self, sql: &str, params: &[&dyn Param]) -> Result<Row> {
        self.opt(sql, params)?
            .ok_or_else(|| EngineError::StoreData("a query that always returns a row returned none".into()))
    }

    /// Several statements with no parameters (schema changes).
    pub(crate) fn batch(&self, sql: &str) -> Result<()> {
        match &self.backend {
            Backend::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Backend::Postgres { .. } => self.with_pg(false, |pg| pg.client.batch_execute(sql)),
        }
    }

    /// Runs `work` in one write transaction: all of it or nothing. On
    /// PostgreSQL a transaction that lost a race (serialization failure,
    /// deadlock) runs again from the start.
    pub(crate) fn write<T>(&self, mut work: impl FnMut(&Db) -> Result<T>) -> Result<T> {
        if self.in_write.get() {
            return work(self);
        }
        let begin = match self.engine() {
            Engine::Sqlite => "BEGIN IMMEDIATE",
            Engine::Postgres => "BEGIN ISOLATION LEVEL SERIALIZABLE",
        };
        let mut attempt = 0;
        loop {
            // Studio writers queue for one lock, taken before the transaction
            // so its snapshot is taken after the previous writer committed:
            // they wait their turn instead of failing and running again
            // (every write appends to the one audit chain). SERIALIZABLE
            // still guards against writers that bypass the studio.
            if self.engine() == Engine::Postgres {
                self.with_pg(false, |pg| pg.client.batch_execute("SELECT pg_advisory_lock(7247002)"))?;
            }
            self.batch(begin)?;
            self.in_write.set(true);
            let outcome = work(self).and_then(|value| {
                let fault = self.fault.borrow_mut().take();
                if let Some(Fault::PauseBeforeCommit(pause)) = fault {
                    std::thread::sleep(pause);
                }
                self.batch("COMMIT")?;
                if fault == Some(Fault::LoseCommitReply) {
                    self.drop_connection();
                    return Err(self.unreachable("the reply to COMMIT was lost (injected fault)"));
                }
                Ok(value)
            });
            self.in_write.set(false);
            if outcome.is_err() {
                // Nothing to roll back when the connection is gone.
                let _ = self.batch("ROLLBACK");
            }
            if self.engine() == Engine::Postgres {
                // Gone with the session if the connection is.
                let _ = self.with_pg(false, |pg| pg.client.batch_execute("SELECT pg_advisory_unlock(7247002)"));
            }
            match outcome {
                Ok(value) => return Ok(value),
                Err(e) => {
                    if e.is_race() && attempt < RACE_RETRIES {
                        attempt += 1;
                        std::thread::sleep(backoff(attempt));
                        continue;
                    }
                    return Err(e);
                }
            }
        }
    }

    /// Runs a person's action once: in a write transaction that also records
    /// its id and result, retried on a new connection when the old one
    /// dropped, and answered from the record when it had in fact committed.
    pub(crate) fn act<T>(&self, kind: &str, mut work: impl FnMut(&Db) -> Result<T>) -> Result<T>
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        let id = self.next_action.borrow_mut().take();
        let id = match (id, self.engine()) {
            (Some(id), _) => Some(id),
            (None, Engine::Postgres) => Some(uuid::Uuid::new_v4().to_string()),
            (None, Engine::Sqlite) => None,
        };
        let Some(id) = id else { return self.write(work) };
        // Offline from the start: say so at once; only a connection lost mid-action is waited for.
        self.ensure_connected()?;
        let started = std::time::Instant::now();
        let mut attempt: u32 = 0;
        loop {
            let outcome = self.write(|db| {
                if let Some(row) = db.opt("SELECT result FROM actions WHERE id = ?1", args![id])? {
                    return Ok(Done::Before(row.get(0)?));
                }
                let value = work(db)?;
                db.execute(
                    "INSERT INTO actions (id, kind, result) VALUES (?1, ?2, ?3)",
                    args![id, kind, serde_json::to_string(&value)?],
                )?;
                Ok(Done::Now(value))
            });
            match outcome {
                Ok(Done::Now(value)) => return Ok(value),
                Ok(Done::Before(json)) => {
                    tracing::info!(action = %id, kind, "the action had already been applied; not applying it again");
                    return Ok(serde_json::from_str(&json)?);
                }
                Err(e @ EngineError::TeamUnreachable { .. }) => {
                    if started.elapsed() > RECONNECT_FOR {
                        return Err(e);
                    }
                    attempt += 1;
                    tracing::warn!(action = %id, kind, attempt, error = %e, "lost the team database mid-action; retrying");
                    std::thread::sleep(Duration::from_millis(200 * u64::from(attempt.min(10))));
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// The id the next action is recorded under; a client that retries an
    /// action (after a crash, say) passes the same id again.
    pub(crate) fn set_next_action(&self, id: &str) {
        *self.next_action.borrow_mut() = Some(id.to_owned());
    }

    pub(crate) fn inject_fault(&self, fault: Fault) {
        *self.fault.borrow_mut() = Some(fault);
    }

    /// Connects again if the connection broke; a clear error if the server cannot be reached.
    fn ensure_connected(&self) -> Result<()> {
        match self.engine() {
            Engine::Sqlite => Ok(()),
            Engine::Postgres => self.with_pg(true, |pg| pg.client.simple_query("SELECT 1").map(drop)),
        }
    }

    fn drop_connection(&self) {
        if let Backend::Postgres { conn, .. } = &self.backend {
            *conn.borrow_mut() = None;
        }
    }

    fn unreachable(&self, detail: &str) -> EngineError {
        match &self.backend {
            Backend::Postgres { url, .. } => {
                EngineError::TeamUnreachable { server: server_of(url), detail: detail.into() }
            }
            Backend::Sqlite(_) => EngineError::StoreData(detail.into()),
        }
    }

    /// A PostgreSQL call, on a connection made again if the last one broke
    /// outside a transaction.
    fn with_pg<T>(
        &self,
        reads_only: bool,
        mut f: impl FnMut(&mut Pg) -> std::result::Result<T, postgres::Error>,
    ) -> Result<T> {
        let Backend::Postgres { url, conn, .. } = &self.backend else {
            unreachable!("with_pg is called only for PostgreSQL")
        };
        let broken = conn.borrow().as_ref().is_none_or(|pg| pg.client.is_closed());
        if broken && !self.in_write.get() {
            self.pg_connect()?;
        }
        let outcome = {
            let mut guard = conn.borrow_mut();
            let Some(pg) = guard.as_mut() else {
                return Err(EngineError::TeamUnreachable { server: server_of(url), detail: "not connected".into() });
            };
            f(pg).map_err(|e| pg_error(url, e))
        };
        // A connection that died while idle (the server restarted) shows it only
        // when used: a read outside a transaction is simply asked again.
        match outcome {
            Err(EngineError::TeamUnreachable { .. }) if reads_only && !self.in_write.get() => {
                self.pg_connect()?;
                let mut guard = conn.borrow_mut();
                let pg = guard.as_mut().ok_or_else(|| self.unreachable("not connected"))?;
                f(pg).map_err(|e| pg_error(url, e))
            }
            other => other,
        }
    }
}

/// Jittered, growing pauses between retries of a lost race.
fn backoff(attempt: u32) -> Duration {
    let jitter = u64::from(std::process::id() % 7 + attempt * 13 % 11);
    Duration::from_millis(u64::from(attempt.min(10)) * 5 + jitter)
}

fn pg_prepare(pg: &mut Pg, sql: &str) -> std::result::Result<postgres::Statement, postgres::Error> {
    if let Some(s) = pg.statements.get(sql) {
        return Ok(s.clone());
    }
    let stmt = pg.client.prepare(sql)?;
    pg.statements.insert(sql.to_owned(), stmt.clone());
    Ok(stmt)
}

fn sqlite_params(params: &[&dyn Param]) -> Vec<rusqlite::types::Value> {
    params
        .iter()
        .map(|p| match p.value() {
            Value::Null => rusqlite::types::Value::Null,
            Value::Int(i) => rusqlite::types::Value::Integer(i),
            Value::Real(f) => rusqlite::types::Value::Real(f),
            Value::Text(s) => rusqlite::types::Value::Text(s),
            Value::Bytes(b) => rusqlite::types::Value::Blob(b),
        })
        .collect()
}

/// How a column's values are read, decided once per result from its type.
#[derive(Clone, Copy)]
enum Kind {
    Int8,
    Int4,
    Int2,
    Oid,
    Bool,
    Float8,
    Float4,
    Bytes,
    Text,
}

impl Kind {
    fn of(ty: &postgres::types::Type) -> Self {
        use postgres::types::Type;
        match *ty {
            Type::INT8 => Self::Int8,
            Type::INT4 => Self::Int4,
            Type::INT2 => Self::Int2,
            Type::OID => Self::Oid,
            Type::BOOL => Self::Bool,
            Type::FLOAT8 => Self::Float8,
            Type::FLOAT4 => Self::Float4,
            Type::BYTEA => Self::Bytes,
            _ => Self::Text,
        }
    }
}

fn pg_row(r: &postgres::Row, kinds: &[Kind]) -> Result<Row> {
    let mut cols = Vec::with_capacity(r.len());
    for (i, kind) in kinds.iter().enumerate() {
        let v = match kind {
            Kind::Int8 => r.try_get::<_, Option<i64>>(i).map(|v| v.map_or(Value::Null, Value::Int)),
            Kind::Int4 => r.try_get::<_, Option<i32>>(i).map(|v| v.map_or(Value::Null, |x| Value::Int(x.into()))),
            Kind::Int2 => r.try_get::<_, Option<i16>>(i).map(|v| v.map_or(Value::Null, |x| Value::Int(x.into()))),
            Kind::Oid => r.try_get::<_, Option<u32>>(i).map(|v| v.map_or(Value::Null, |x| Value::Int(x.into()))),
            Kind::Bool => r.try_get::<_, Option<bool>>(i).map(|v| v.map_or(Value::Null, |x| Value::Int(x.into()))),
            Kind::Float8 => r.try_get::<_, Option<f64>>(i).map(|v| v.map_or(Value::Null, Value::Real)),
            Kind::Float4 => r.try_get::<_, Option<f32>>(i).map(|v| v.map_or(Value::Null, |x| Value::Real(x.into()))),
            Kind::Bytes => r.try_get::<_, Option<Vec<u8>>>(i).map(|v| v.map_or(Value::Null, Value::Bytes)),
            Kind::Text => r.try_get::<_, Option<String>>(i).map(|v| v.map_or(Value::Null, Value::Text)),
        };
        cols.push(v.map_err(|e| {
            let col = &r.columns()[i];
            EngineError::StoreData(format!("column {} ({}) cannot be read: {e}", col.name(), col.type_().name()))
        })?);
    }
    Ok(Row(cols))
}

impl postgres::types::ToSql for Value {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::Type;
        match self {
            Value::Null => Ok(postgres::types::IsNull::Yes),
            Value::Int(i) => match *ty {
                Type::INT8 => i.to_sql(ty, out),
                Type::INT4 => i32::try_from(*i)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*i)?.to_sql(ty, out),
                Type::OID => u32::try_from(*i)?.to_sql(ty, out),
                #[allow(clippy::cast_precision_loss)]
                Type::FLOAT8 => (*i as f64).to_sql(ty, out),
                Type::BOOL => (*i != 0).to_sql(ty, out),
                _ => i.to_string().to_sql(ty, out),
            },
            Value::Real(f) => match *ty {
                Type::FLOAT8 => f.to_sql(ty, out),
                #[allow(clippy::cast_possible_truncation)]
                Type::FLOAT4 => (*f as f32).to_sql(ty, out),
                _ => f.to_string().to_sql(ty, out),
            },
            Value::Bytes(b) => b.as_slice().to_sql(ty, out),
            Value::Text(s) => match *ty {
                Type::INT8 => s.parse::<i64>()?.to_sql(ty, out),
                Type::INT4 => s.parse::<i32>()?.to_sql(ty, out),
                Type::FLOAT8 => s.parse::<f64>()?.to_sql(ty, out),
                _ => s.as_str().to_sql(ty, out),
            },
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        true
    }

    postgres::types::to_sql_checked!();
}

/// `host:port/database` of a URL, for messages (never the password).
pub(crate) fn server_of(url: &str) -> String {
    match url.parse::<postgres::Config>() {
        Ok(c) => {
            let host = c
                .get_hosts()
                .first()
                .map(|h| match h {
                    postgres::config::Host::Tcp(name) => name.clone(),
                    #[cfg(unix)]
                    postgres::config::Host::Unix(path) => path.display().to_string(),
                })
                .unwrap_or_else(|| "localhost".into());
            let port = c.get_ports().first().copied().unwrap_or(5432);
            format!("{host}:{port}/{}", c.get_dbname().unwrap_or("postgres"))
        }
        Err(_) => "the team database".into(),
    }
}

fn pg_error(url: &str, e: postgres::Error) -> EngineError {
    use postgres::error::SqlState;
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED {
            return EngineError::TeamRace(db.message().to_owned());
        }
        if *code == SqlState::INSUFFICIENT_PRIVILEGE
            || *code == SqlState::RAISE_EXCEPTION
            || *code == SqlState::CHECK_VIOLATION
        {
            return EngineError::Forbidden(
                Notice::new("team.server_refused", db.message()).with("detail", db.message()),
            );
        }
        if *code == SqlState::UNIQUE_VIOLATION {
            return EngineError::Duplicate(db.message().to_owned());
        }
        // The server shut down or crashed under the connection (57P01–57P03), or the link broke (08…).
        if code.code().starts_with("57P") || code.code().starts_with("08") {
            return EngineError::TeamUnreachable { server: server_of(url), detail: db.message().to_owned() };
        }
        if *code == SqlState::INVALID_PASSWORD || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION {
            return EngineError::TeamLogin { server: server_of(url), detail: db.message().to_owned() };
        }
        return EngineError::Team(format!("{}: {}", code.code(), db.message()));
    }
    // Only a broken or refused connection means the server is out of reach;
    // anything else (a value that does not fit, say) is reported as it is.
    if e.is_closed() || std::error::Error::source(&e).is_some_and(|s| s.is::<std::io::Error>()) {
        return EngineError::TeamUnreachable { server: server_of(url), detail: e.to_string() };
    }
    EngineError::Team(e.to_string())
}

/// Rewrites the store's SQL for `engine`: `?N` → `$N` and `{now}` → the
/// engine's current UTC time as ISO text (both engines store times as text
/// that sorts as it reads). String literals are left alone.
pub(crate) fn translate(sql: &str, engine: Engine) -> String {
    let now = match engine {
        Engine::Sqlite => "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')",
        Engine::Postgres => "studio_now()",
    };
    let mut out = String::with_capacity(sql.len() + 16);
    let mut chars = sql.chars().peekable();
    let mut in_string = false;
    let mut next_bare = 0u32;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\'' {
                in_string = false;
            }
            continue;
        }
        match c {
            '\'' => {
                in_string = true;
                out.push(c);
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for c in chars.by_ref() {
                    out.push(c);
                    if c == '\n' {
                        break;
                    }
                }
            }
            '?' if engine == Engine::Postgres => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                if digits.is_empty() {
                    next_bare += 1;
                    digits = next_bare.to_string();
                }
                out.push('$');
                out.push_str(&digits);
            }
            '{' if sql_rest_starts(&mut chars, "now}") => out.push_str(now),
            other => out.push(other),
        }
    }
    out
}

/// Consumes `word` from `chars` when they continue with it.
fn sql_rest_starts(chars: &mut std::iter::Peekable<std::str::Chars<'_>>, word: &str) -> bool {
    let ahead: String = chars.clone().take(word.len()).collect();
    if ahead == word {
        for _ in 0..word.len() {
            chars.next();
        }
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_and_now_are_translated_outside_string_literals() {
        let sql = "UPDATE t SET a = ?2, at = {now}, q = '?1 {now}' WHERE id = ?1 AND b = ? -- isn't ?3\n";
        assert_eq!(translate(sql, Engine::Sqlite), sql.replacen("{now}", "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')", 1));
        assert_eq!(
            translate(sql, Engine::Postgres),
            "UPDATE t SET a = $2, at = studio_now(), q = '?1 {now}' WHERE id = $1 AND b = $1 -- isn't ?3\n"
        );
    }

    #[test]
    fn a_write_that_fails_leaves_nothing_behind() {
        let db = Db::sqlite(rusqlite::Connection::open_in_memory().unwrap());
        db.batch("CREATE TABLE t (x INTEGER)").unwrap();
        let failed: Result<()> = db.write(|db| {
            db.execute("INSERT INTO t (x) VALUES (?1)", args![1i64])?;
            Err(EngineError::NotAllowed("no".into()))
        });
        assert!(failed.is_err());
        assert_eq!(db.row("SELECT COUNT(*) FROM t", args![]).unwrap().get::<i64>(0).unwrap(), 0);
        db.write(|db| db.execute("INSERT INTO t (x) VALUES (?1)", args![Some(2i64)])).unwrap();
        let rows = db.query("SELECT x, NULL, 1.5, 'a' FROM t", args![]).unwrap();
        assert_eq!(rows[0].get::<i64>(0).unwrap(), 2);
        assert_eq!(rows[0].get::<Option<String>>(1).unwrap(), None);
        assert_eq!(rows[0].get::<f64>(2).unwrap(), 1.5);
        assert!(rows[0].get::<i64>(3).is_err());
    }
}
