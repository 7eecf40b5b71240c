//! Lists the repositories of a Bitbucket Data Center project and their open pull requests.
//!
//! ```sh
//! BITBUCKET_TOKEN=<http access token> \
//!     cargo run -p bitbucket-dc --example list_repos_and_prs -- <base-url> <project-key>
//! ```
//!
//! The token is sent as `Authorization: Bearer`; set `BITBUCKET_USER` as well to send
//! `username:token` Basic auth instead. Against the simulator's demo seed:
//! `cargo run -p bitbucket-dc-sim -- --listen 127.0.0.1:7990`, then
//! `BITBUCKET_TOKEN=alice-token cargo run -p bitbucket-dc --example list_repos_and_prs -- http://127.0.0.1:7990 DEMO`.

// An example talks to its user on the terminal.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use bitbucket_dc::{Client, Credentials, Error, PullRequest, PullRequestQuery, Repository};

const USAGE: &str = "usage: BITBUCKET_TOKEN=<token> [BITBUCKET_USER=<user>] list_repos_and_prs <base-url> <project-key>";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [base_url, project_key] = args.as_slice() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let Ok(token) = std::env::var("BITBUCKET_TOKEN") else {
        eprintln!("BITBUCKET_TOKEN is not set: export an HTTP access token\n{USAGE}");
        return ExitCode::from(2);
    };
    let user = std::env::var("BITBUCKET_USER").ok();
    match run(base_url, project_key, &token, user.as_deref()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// One repository with what the tables show.
struct Row {
    repo: Repository,
    default_branch: String,
    open: Vec<PullRequest>,
}

async fn run(
    base_url: &str,
    project_key: &str,
    token: &str,
    user: Option<&str>,
) -> Result<(), Error> {
    let credentials = match user {
        Some(user) => Credentials::basic(user, token)?,
        None => Credentials::bearer(token)?,
    };
    let client = Client::new(base_url, credentials)?;
    let info = client.server().info().await?;
    let project = client.project(project_key).get().await?;
    println!(
        "{} {} at {} as {}",
        info.properties.display_name,
        info.properties.version,
        client.base_url(),
        info.authenticated_user.as_deref().unwrap_or("anonymous")
    );

    let mut rows = Vec::new();
    for repo in client
        .project(project_key)
        .repositories()
        .collect_all()
        .await?
    {
        let handle = client.repo(project_key, &repo.slug);
        // The deprecated endpoint answers 204 for an empty repository.
        let default_branch = match handle.default_branch_legacy().await? {
            Some(branch) => branch.display_id,
            None => "(empty)".to_owned(),
        };
        let open = handle
            .pull_requests()
            .list(&PullRequestQuery::new())
            .collect_all()
            .await?;
        rows.push(Row {
            repo,
            default_branch,
            open,
        });
    }

    let noun = if rows.len() == 1 {
        "repository"
    } else {
        "repositories"
    };
    println!(
        "\nProject {} ({}): {} {noun}\n",
        project.key,
        project.name,
        rows.len()
    );
    let mut table = vec![vec![
        "REPOSITORY".to_owned(),
        "DEFAULT BRANCH".to_owned(),
        "OPEN PRS".to_owned(),
        "CLONE URL".to_owned(),
    ]];
    for row in &rows {
        table.push(vec![
            row.repo.slug.clone(),
            row.default_branch.clone(),
            row.open.len().to_string(),
            client.http_clone_url(&row.repo),
        ]);
    }
    print_table(&table);

    let total: usize = rows.iter().map(|row| row.open.len()).sum();
    println!("\nOpen pull requests: {total}\n");
    if total == 0 {
        return Ok(());
    }
    let mut table = vec![vec![
        "REPOSITORY".to_owned(),
        "#".to_owned(),
        "TITLE".to_owned(),
        "FROM -> TO".to_owned(),
        "AUTHOR".to_owned(),
        "REVIEWERS".to_owned(),
        "VERSION".to_owned(),
    ]];
    for row in &rows {
        for pr in &row.open {
            let reviewers = pr.reviewer_names();
            table.push(vec![
                row.repo.slug.clone(),
                pr.id.to_string(),
                pr.title.clone(),
                format!("{} -> {}", pr.from_ref.display_id, pr.to_ref.display_id),
                pr.author
                    .as_ref()
                    .map(|author| author.user.name.clone())
                    .unwrap_or_default(),
                if reviewers.is_empty() {
                    "-".to_owned()
                } else {
                    reviewers.join(", ")
                },
                pr.version.to_string(),
            ]);
        }
    }
    print_table(&table);
    Ok(())
}

/// Prints rows as left-aligned columns separated by two spaces.
fn print_table(rows: &[Vec<String>]) {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|col| {
            rows.iter()
                .filter_map(|row| row.get(col))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in rows {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        println!("{}", line.join("  ").trim_end());
    }
}
