//! `motu d1`: D1 databases from the command line, as `wrangler d1` (local)
//! works with them.
//!
//! - `motu d1 execute DB --command SQL | --file FILE [--json]` runs SQL on
//!   the database and prints each statement's rows as a table (or all of it
//!   as JSON).
//! - `motu d1 migrations create DB MESSAGE` writes the next numbered file in
//!   the binding's `migrations_dir`; `list DB` shows the ones not applied
//!   yet; `apply DB` applies them in order, each in one transaction with its
//!   row in the migrations table (wrangler's layout, so a database keeps one
//!   history whichever tool applied its migrations).
//!
//! `DB` is a binding name or a `database_name` of the config's
//! `d1_databases`, as wrangler takes it. The database is the one the server
//! uses: the same state folder (`[server] state_dir`, `--persist-to`),
//! whose lock keeps a running server and a command from writing it at once.

mod execute;
mod migrations;
mod table;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use motu_config::{D1Binding, Settings, StateDir};
use motu_storage::d1::{D1Limits, Database};
use motu_storage::StateFolder;

/// `motu d1 …`.
#[derive(Debug, Subcommand)]
pub enum D1Command {
    /// Run SQL on a D1 database: a command or a file of statements.
    Execute(execute::ExecuteArgs),
    /// Create, list and apply the migrations of a D1 database.
    #[command(subcommand)]
    Migrations(migrations::MigrationsCommand),
}

/// What every `motu d1` command takes: the database and where to find it.
#[derive(Debug, Clone, Args)]
pub struct Target {
    /// The database: a binding name or a `database_name` of the config's
    /// `d1_databases`.
    #[arg(value_name = "DB")]
    database: String,
    /// The config file [default: the current folder's wrangler.jsonc,
    /// wrangler.json, wrangler.toml or motu.toml].
    #[arg(long, short = 'c', value_name = "FILE")]
    config: Option<PathBuf>,
    /// The `[env.NAME]` section of a Wrangler config to use.
    #[arg(long = "env", short = 'e', value_name = "NAME")]
    wrangler_env: Option<String>,
    /// The state folder the database is in [default: the config's
    /// `[server] state_dir`, or .motu/state next to the config].
    #[arg(long, value_name = "DIR")]
    persist_to: Option<String>,
    /// Use the local database (what motu always does; accepted as wrangler
    /// takes it).
    #[arg(long)]
    local: bool,
    /// Not available: motu's databases are local.
    #[arg(long, hide = true)]
    remote: bool,
}

/// The limits of D1 databases under `settings` (`[limits]
/// d1_max_database_mb`).
pub fn limits(settings: &Settings) -> D1Limits {
    let mut limits = D1Limits::default();
    if let Some(bytes) = settings.pool.d1_max_database_bytes {
        limits.max_database_bytes = bytes;
    }
    limits
}

/// The runtime's store options under `settings`.
pub fn store_options(settings: &Settings) -> motu_runtime::StoreOptions {
    motu_runtime::StoreOptions {
        d1: limits(settings),
        cache_max_mb: settings.cache.max_mb,
        ..Default::default()
    }
}

/// Runs a `motu d1` command.
pub fn run(command: D1Command) -> anyhow::Result<()> {
    match command {
        D1Command::Execute(args) => execute::run(args),
        D1Command::Migrations(command) => migrations::run(command),
    }
}

/// The config, its folder and the binding a [`Target`] names.
struct Resolved {
    config: PathBuf,
    settings: Settings,
    binding: D1Binding,
}

impl Target {
    fn resolve(&self) -> anyhow::Result<Resolved> {
        if self.remote {
            bail!("--remote: motu's D1 databases are local; leave --remote out");
        }
        let config = crate::cli::config_or_default(self.config.clone())?;
        let mut settings = crate::cli::load_config(&config, self.wrangler_env.as_deref())?;
        if let Some(dir) = &self.persist_to {
            settings.server.state_dir = StateDir::parse(dir, Path::new("."))
                .map_err(|m| anyhow::anyhow!("--persist-to {m}"))?;
        }
        let mut found: Vec<&D1Binding> = settings
            .workers
            .iter()
            .flat_map(|w| &w.d1_databases)
            .filter(|d| d.is_named(&self.database))
            .collect();
        found.dedup_by(|a, b| a.id() == b.id());
        let binding = match found.as_slice() {
            [one] => (*one).clone(),
            [] => {
                let known: Vec<String> = settings
                    .workers
                    .iter()
                    .flat_map(|w| &w.d1_databases)
                    .map(|d| match &d.database_name {
                        Some(name) => format!("{} ({name})", d.binding),
                        None => d.binding.clone(),
                    })
                    .collect();
                bail!(
                    "{}: no D1 database has the name or binding '{}' (d1_databases: {})",
                    config.display(),
                    self.database,
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                );
            }
            several => bail!(
                "{}: '{}' names {} different D1 databases ({}); name one by its binding",
                config.display(),
                self.database,
                several.len(),
                several
                    .iter()
                    .map(|d| d.id())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Ok(Resolved {
            config,
            settings,
            binding,
        })
    }
}

/// A database opened for a command, with its state folder held (locked)
/// while it is open.
struct Opened {
    database: Database,
    _folder: StateFolder,
}

impl Resolved {
    /// Opens the binding's database in the state folder (taking its lock).
    fn open(&self) -> anyhow::Result<Opened> {
        let folder = match &self.settings.server.state_dir {
            StateDir::Folder(path) => StateFolder::open(path)?,
            StateDir::Throwaway => StateFolder::throwaway()?,
        };
        let id = self.binding.id();
        let path = folder
            .store_path("d1", id, "sqlite")
            .with_context(|| format!("D1 database '{}'", self.binding.binding))?;
        let database = Database::open(&path, limits(&self.settings))?;
        Ok(Opened {
            database,
            _folder: folder,
        })
    }

    /// How the database is named in messages: `DB (id)`.
    fn shown(&self) -> String {
        format!("{} ({})", self.binding.binding, self.binding.id())
    }
}
