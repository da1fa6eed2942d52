//! A private PostgreSQL cluster for local work, started from the system's binaries when no
//! `DATABASE_URL` is set. It lives in `{data_dir}/pg` and is kept between runs; it listens on
//! 127.0.0.1 only, on a port chosen once and remembered next to the cluster, with no unix socket,
//! and trusts local connections (it is a laptop database, never a server's).
//!
//! PostgreSQL refuses to run as root. When gamarriando runs as root (containers, CI), the cluster
//! directory is handed to the `postgres` system user and the server tools run as that user through
//! `runuser`.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    process::Stdio,
};

use anyhow::{Context as _, bail};
use kernel::db::{APP_ROLE, MIGRATOR, OWNER_ROLE, bootstrap_roles};
use sqlx::{Connection, Executor, PgConnection};
use tokio::process::Command;

/// The database the app uses inside the embedded cluster.
pub const DATABASE: &str = "gamarriando";
/// The unprivileged system user that runs the cluster when gamarriando runs as root.
pub const SYSTEM_USER: &str = "postgres";
/// The cluster's superuser (created by `initdb -U`).
const SUPERUSER: &str = "postgres";

const INSTALL_HINT: &str = "install PostgreSQL (Debian/Ubuntu: `apt-get install postgresql`, \
    macOS: `brew install postgresql@15`), put its bin directory on PATH or in GAMARRIANDO_PG_BIN, \
    or set DATABASE_URL to use an existing server";

/// A running (or startable) embedded cluster.
#[derive(Debug)]
pub struct EmbeddedPg {
    cluster: PathBuf,
    bin: PathBuf,
    port: u16,
    run_as: Option<&'static str>,
    /// Whether this process started the server (and so stops it).
    started: bool,
}

impl EmbeddedPg {
    /// Creates the cluster on first use, then starts it unless it is already running.
    pub async fn start(data_dir: &Path) -> anyhow::Result<Self> {
        let bin = find_bin_dir()?;
        let run_as = if running_as_root() {
            Some(SYSTEM_USER)
        } else {
            None
        };
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
        let data_dir = data_dir.canonicalize()?;
        let cluster = data_dir.join("pg");
        let mut pg = Self {
            cluster,
            bin,
            port: 0,
            run_as,
            started: false,
        };
        if let Some(user) = run_as {
            pg.prepare_for_system_user(user).await?;
        }
        if !pg.cluster.join("PG_VERSION").exists() {
            pg.init().await?;
        }
        pg.check_version().await?;
        pg.port = pg.read_port()?;
        if pg.is_running().await? {
            tracing::info!(cluster = %pg.cluster.display(), port = pg.port, "embedded PostgreSQL already running; reusing it");
        } else {
            pg.start_server().await?;
            pg.started = true;
            tracing::info!(cluster = %pg.cluster.display(), port = pg.port, "embedded PostgreSQL started");
        }
        Ok(pg)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn cluster_dir(&self) -> &Path {
        &self.cluster
    }

    /// Whether this process started the server.
    pub fn started_here(&self) -> bool {
        self.started
    }

    /// `postgres://{role}@127.0.0.1:{port}/{db}` (trust authentication).
    pub fn url(&self, role: &str, db: &str) -> String {
        format!("postgres://{role}@127.0.0.1:{}/{db}", self.port)
    }

    pub fn superuser_url(&self) -> String {
        self.url(SUPERUSER, "postgres")
    }

    /// The runtime role's URL (no superuser, no BYPASSRLS): what the app uses.
    pub fn app_url(&self) -> String {
        self.url(APP_ROLE, DATABASE)
    }

    /// The owner role's URL: migrations only.
    pub fn owner_url(&self) -> String {
        self.url(OWNER_ROLE, DATABASE)
    }

    /// Roles, the `gamarriando` database owned by the owner role, and every migration (as the
    /// owner). Idempotent.
    pub async fn bootstrap(&self) -> anyhow::Result<()> {
        let mut admin = PgConnection::connect(&self.superuser_url())
            .await
            .context("connecting to the embedded PostgreSQL")?;
        create_roles_and_database(&mut admin, DATABASE).await?;
        admin.close().await.ok();
        let mut owner = PgConnection::connect(&self.owner_url())
            .await
            .context("connecting as the owner role")?;
        MIGRATOR
            .run(&mut owner)
            .await
            .context("running migrations")?;
        owner.close().await.ok();
        Ok(())
    }

    /// Stops the server (fast shutdown) when this process started it.
    pub async fn stop(self) -> anyhow::Result<()> {
        if !self.started {
            return Ok(());
        }
        self.stop_server().await
    }

    /// Stops the server whoever started it.
    pub async fn stop_server(&self) -> anyhow::Result<()> {
        if !self.is_running().await? {
            return Ok(());
        }
        let out = self
            .pg_tool("pg_ctl")
            .args(["stop", "-D"])
            .arg(&self.cluster)
            .args(["-m", "fast", "-w", "-t", "60", "-s"])
            .output()
            .await?;
        if !out.status.success() && self.is_running().await? {
            bail!(
                "pg_ctl stop failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        tracing::info!(cluster = %self.cluster.display(), "embedded PostgreSQL stopped");
        Ok(())
    }

    async fn init(&self) -> anyhow::Result<()> {
        tracing::info!(cluster = %self.cluster.display(), "creating the embedded PostgreSQL cluster (first run)");
        let out = self
            .pg_tool("initdb")
            .arg("-D")
            .arg(&self.cluster)
            .args([
                "-U",
                SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-instructions",
            ])
            .output()
            .await
            .context("running initdb")?;
        if !out.status.success() {
            bail!(
                "initdb failed for {}:\n{}{}",
                self.cluster.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let port = free_port()?;
        let conf = format!(
            "\n# gamarriando embedded cluster: local TCP only, on a port chosen at creation\n\
             listen_addresses = '127.0.0.1'\n\
             port = {port}\n\
             unix_socket_directories = ''\n\
             max_connections = 200\n\
             log_min_messages = warning\n"
        );
        use std::io::Write;
        std::fs::OpenOptions::new()
            .append(true)
            .open(self.cluster.join("postgresql.conf"))?
            .write_all(conf.as_bytes())?;
        std::fs::write(self.cluster.join(PORT_FILE), format!("{port}\n"))?;
        Ok(())
    }

    fn read_port(&self) -> anyhow::Result<u16> {
        let path = self.cluster.join(PORT_FILE);
        let text = std::fs::read_to_string(&path).with_context(|| {
            format!(
                "reading {} (remove {} to recreate the cluster)",
                path.display(),
                self.cluster.display()
            )
        })?;
        text.trim()
            .parse()
            .with_context(|| format!("{} does not hold a port", path.display()))
    }

    async fn check_version(&self) -> anyhow::Result<()> {
        let cluster = std::fs::read_to_string(self.cluster.join("PG_VERSION"))?;
        let out = self.pg_tool("pg_ctl").arg("--version").output().await?;
        let tools = String::from_utf8_lossy(&out.stdout);
        // "pg_ctl (PostgreSQL) 15.8 (Debian 15.8-1)" → "15"
        let major = tools
            .split_whitespace()
            .nth(2)
            .and_then(|v| v.split('.').next())
            .unwrap_or_default();
        if major != cluster.trim() {
            bail!(
                "the embedded cluster {} was made by PostgreSQL {} but the tools in {} are version {major}; \
                 point GAMARRIANDO_PG_BIN at PostgreSQL {} or remove the cluster directory to start over",
                self.cluster.display(),
                cluster.trim(),
                self.bin.display(),
                cluster.trim()
            );
        }
        Ok(())
    }

    async fn is_running(&self) -> anyhow::Result<bool> {
        let out = self
            .pg_tool("pg_ctl")
            .arg("status")
            .arg("-D")
            .arg(&self.cluster)
            .output()
            .await?;
        // 0: running, 3: not running, 4: no accessible data directory.
        Ok(out.status.success())
    }

    async fn start_server(&self) -> anyhow::Result<()> {
        let log = self.cluster.join("server.log");
        let mut cmd = self.pg_tool("pg_ctl");
        cmd.arg("start")
            .arg("-D")
            .arg(&self.cluster)
            .arg("-l")
            .arg(&log)
            .args(["-w", "-t", "60", "-s"])
            // A process group of its own: Ctrl-C in the terminal reaches gamarriando, which then
            // stops the cluster in order, instead of reaching PostgreSQL directly.
            .process_group(0);
        let out = cmd.output().await.context("running pg_ctl start")?;
        if !out.status.success() {
            let tail = std::fs::read_to_string(&log)
                .map(|t| {
                    t.lines()
                        .rev()
                        .take(15)
                        .collect::<Vec<_>>()
                        .into_iter()
                        .rev()
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default();
            bail!(
                "the embedded PostgreSQL did not start (port {} on 127.0.0.1 may be taken; it is remembered in {}):\n{}\n{}",
                self.port,
                self.cluster.join(PORT_FILE).display(),
                String::from_utf8_lossy(&out.stderr).trim(),
                tail
            );
        }
        Ok(())
    }

    /// As root: the cluster directory belongs to the system user, who must be able to reach it.
    async fn prepare_for_system_user(&self, user: &str) -> anyhow::Result<()> {
        if !command_ok(Command::new("id").args(["-u", user])).await {
            bail!(
                "gamarriando runs as root, and PostgreSQL refuses to run as root: the embedded cluster runs as the \
                 `{user}` system user, which does not exist here. Create it (`useradd --system --user-group \
                 --home-dir /var/lib/postgresql {user}`; installing the postgresql package does this), run gamarriando \
                 as a normal user, or set DATABASE_URL to use an existing server"
            );
        }
        if which("runuser").is_none() {
            bail!(
                "gamarriando runs as root and needs `runuser` (util-linux) to run PostgreSQL as `{user}`"
            );
        }
        std::fs::create_dir_all(&self.cluster)?;
        let status = Command::new("chown")
            .arg("-R")
            .arg(format!("{user}:"))
            .arg(&self.cluster)
            .status()
            .await
            .context("running chown")?;
        if !status.success() {
            bail!(
                "could not hand {} to the `{user}` user (chown failed)",
                self.cluster.display()
            );
        }
        std::fs::set_permissions(
            &self.cluster,
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )?;
        let reachable = command_ok(
            Command::new("runuser")
                .args(["-u", user, "--", "test", "-w"])
                .arg(&self.cluster),
        )
        .await;
        if !reachable {
            bail!(
                "the `{user}` user cannot reach {} (a parent directory is private, like /root). Set \
                 GAMARRIANDO_DATA_DIR to a directory it can reach, for example /var/tmp/gamarriando",
                self.cluster.display()
            );
        }
        Ok(())
    }

    /// A PostgreSQL tool, run as the system user when gamarriando runs as root.
    fn pg_tool(&self, tool: &str) -> Command {
        let path = self.bin.join(tool);
        let mut cmd = match self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(path);
                c
            }
            None => Command::new(path),
        };
        // The tools must not inherit a language or a libpq setting that changes their output.
        cmd.env("LC_ALL", "C")
            .env_remove("PGDATA")
            .env_remove("PGPORT")
            .env_remove("PGHOST");
        cmd.stdin(Stdio::null()).kill_on_drop(false);
        cmd
    }
}

/// The file in the cluster directory that remembers its port.
const PORT_FILE: &str = "gamarriando.port";

/// Roles (idempotent), and `database` owned by the owner role when it does not exist yet.
/// `admin` must be a superuser (or have CREATEROLE and CREATEDB).
pub async fn create_roles_and_database(
    admin: &mut PgConnection,
    database: &str,
) -> anyhow::Result<bool> {
    anyhow::ensure!(
        !database.is_empty()
            && database
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'),
        "database name {database:?} must be letters, digits and underscores"
    );
    bootstrap_roles(admin)
        .await
        .context("creating the gamarriando roles")?;
    let exists: bool =
        sqlx::query_scalar("select exists (select from pg_database where datname = $1)")
            .bind(database)
            .fetch_one(&mut *admin)
            .await?;
    if !exists {
        admin
            .execute(sqlx::AssertSqlSafe(format!(
                "create database {database} owner {OWNER_ROLE} encoding 'UTF8'"
            )))
            .await
            .with_context(|| format!("creating database {database}"))?;
    }
    Ok(!exists)
}

/// The directory holding `initdb` and `pg_ctl`: `GAMARRIANDO_PG_BIN`, then `PATH`, then the newest
/// of the usual install locations (Debian's /usr/lib/postgresql/N/bin, Homebrew, Postgres.app).
pub fn find_bin_dir() -> anyhow::Result<PathBuf> {
    let has_tools = |d: &Path| {
        d.join("initdb").is_file() && d.join("pg_ctl").is_file() && d.join("postgres").is_file()
    };
    if let Some(dir) = std::env::var_os("GAMARRIANDO_PG_BIN") {
        let dir = PathBuf::from(dir);
        if has_tools(&dir) {
            return Ok(dir);
        }
        bail!(
            "GAMARRIANDO_PG_BIN={} holds no initdb, pg_ctl and postgres; {INSTALL_HINT}",
            dir.display()
        );
    }
    if let Some(path) = std::env::var_os("PATH")
        && let Some(dir) = std::env::split_paths(&path).find(|d| has_tools(d))
    {
        return Ok(dir);
    }
    let mut candidates: Vec<(u32, PathBuf)> = Vec::new();
    let roots = [
        ("/usr/lib/postgresql", ""),
        ("/opt/homebrew/opt", "postgresql@"),
        ("/usr/local/opt", "postgresql@"),
        ("/Applications/Postgres.app/Contents/Versions", ""),
        ("/usr", "pgsql-"),
    ];
    for (root, prefix) in roots {
        let Ok(entries) = std::fs::read_dir(root) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(version) = name.strip_prefix(prefix) else {
                continue;
            };
            let Ok(major) = version.split('.').next().unwrap_or_default().parse::<u32>() else {
                continue;
            };
            let dir = entry.path().join("bin");
            if has_tools(&dir) {
                candidates.push((major, dir));
            }
        }
    }
    candidates.sort();
    match candidates.pop() {
        Some((_, dir)) => Ok(dir),
        None => bail!(
            "no PostgreSQL server binaries (initdb, pg_ctl) found for the embedded database; {INSTALL_HINT}"
        ),
    }
}

/// Whether this process runs as root (effective uid 0), read from /proc or `id -u`.
pub fn running_as_root() -> bool {
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(line) = status.lines().find(|l| l.starts_with("Uid:"))
    {
        return line.split_whitespace().nth(2) == Some("0");
    }
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))
        .context("finding a free port")?
        .local_addr()?
        .port())
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|d| d.join(tool))
        .find(|p| p.is_file())
}

async fn command_ok(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd.status().await.map(|s| s.success()).unwrap_or(false)
}
