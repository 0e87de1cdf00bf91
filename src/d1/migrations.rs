//! `motu d1 migrations create|list|apply DB`.

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use motu_storage::d1::migrations;

use super::{table, Resolved, Target};

/// `motu d1 migrations …`.
#[derive(Debug, Subcommand)]
pub enum MigrationsCommand {
    /// Write the next numbered migration file in the binding's
    /// migrations_dir.
    Create(CreateArgs),
    /// List the migrations not applied to the database yet.
    List(Target),
    /// Apply the migrations not applied yet, in order.
    Apply(Target),
}

/// `motu d1 migrations create DB MESSAGE`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    #[command(flatten)]
    target: Target,
    /// What the migration does, in a few words: the file's name after its
    /// number (`0002_add_users.sql`).
    #[arg(value_name = "MESSAGE")]
    message: String,
}

/// Runs a `motu d1 migrations` command.
pub fn run(command: MigrationsCommand) -> anyhow::Result<()> {
    match command {
        MigrationsCommand::Create(args) => create(args),
        MigrationsCommand::List(target) => list(&target.resolve()?),
        MigrationsCommand::Apply(target) => apply(&target.resolve()?),
    }
}

fn create(args: CreateArgs) -> anyhow::Result<()> {
    let resolved = args.target.resolve()?;
    if args.message.contains(['/', '\\']) {
        bail!(
            "the migration name {:?} contains a path separator (\"/\" or \"\\\"); leave it out",
            args.message
        );
    }
    let created = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let path = migrations::create(&resolved.binding.migrations_dir, &args.message, &created)?;
    println!(
        "Created migration '{}'",
        path.file_name().unwrap_or_default().to_string_lossy()
    );
    println!("{}", path.display());
    Ok(())
}

/// The migrations folder, which must exist for `list` and `apply`.
fn folder(resolved: &Resolved) -> anyhow::Result<&std::path::Path> {
    let dir = &resolved.binding.migrations_dir;
    if !dir.is_dir() {
        bail!(
            "No migrations present at {} (set migrations_dir in {} to use another folder)",
            dir.display(),
            resolved.config.display()
        );
    }
    Ok(dir)
}

fn pending(resolved: &Resolved, opened: &super::Opened) -> anyhow::Result<Vec<String>> {
    Ok(migrations::unapplied(
        &opened.database,
        folder(resolved)?,
        &resolved.binding.migrations_table,
    )?)
}

fn list(resolved: &Resolved) -> anyhow::Result<()> {
    folder(resolved)?;
    let opened = resolved.open()?;
    let todo = pending(resolved, &opened)?;
    if todo.is_empty() {
        println!("No migrations to apply!");
        return Ok(());
    }
    println!("Migrations to be applied:");
    let rows: Vec<Vec<String>> = todo.into_iter().map(|n| vec![n]).collect();
    print!("{}", table::render(&["Name".to_owned()], &rows));
    Ok(())
}

fn apply(resolved: &Resolved) -> anyhow::Result<()> {
    let dir = folder(resolved)?;
    let opened = resolved.open()?;
    let todo = pending(resolved, &opened)?;
    if todo.is_empty() {
        println!("No migrations to apply!");
        return Ok(());
    }
    println!(
        "Applying {} migration{} to {}:",
        todo.len(),
        if todo.len() == 1 { "" } else { "s" },
        resolved.shown()
    );
    let mut status: Vec<Vec<String>> = todo.iter().map(|n| vec![n.clone(), "…".into()]).collect();
    for (i, name) in todo.iter().enumerate() {
        let outcome = migrations::apply(
            &opened.database,
            dir,
            &resolved.binding.migrations_table,
            name,
        );
        status[i][1] = if outcome.is_ok() { "applied" } else { "failed" }.to_owned();
        if let Err(e) = outcome {
            print!(
                "{}",
                table::render(&["name".into(), "status".into()], &status)
            );
            return Err(e).with_context(|| format!("Migration {name} failed (it was rolled back)"));
        }
    }
    print!(
        "{}",
        table::render(&["name".into(), "status".into()], &status)
    );
    Ok(())
}
