//! `semzip completions SHELL` and `semzip man`: generated from the CLI definition.

use std::io::Write;

/// Flags of `semzip completions`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  semzip completions bash > /etc/bash_completion.d/semzip")]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell.
    #[arg(value_name = "SHELL")]
    shell: clap_complete::Shell,
}

/// Flags of `semzip man`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Example:
  semzip man > semzip.1 && man ./semzip.1")]
pub struct ManArgs {}

/// Prints the completion script of `shell` on stdout.
pub fn completions(args: CompletionsArgs, mut cmd: clap::Command) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "semzip", &mut buf);
    write_stdout(&buf)
}

/// Prints the man page (roff) on stdout.
pub fn man(_args: ManArgs, cmd: clap::Command) -> anyhow::Result<()> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut buf)
        .map_err(|e| crate::Error::internal(format!("cannot render the man page: {e}")))?;
    write_stdout(&buf)
}

fn write_stdout(buf: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(buf)
        .and_then(|_| out.flush())
        .map_err(|e| crate::Error::writing("<stdout>", e))?;
    Ok(())
}
