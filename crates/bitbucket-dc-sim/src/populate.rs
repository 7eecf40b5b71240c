//! Populating the model and the disk from a seed: validation, projects, repositories, users, grants and
//! scoped tokens in the state, and the initial git content written with `git fast-import`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use crate::builder::{Grant, ProjectSeed, RepoSeed, SimulatorBuilder, UserSeed};
use crate::error::SimError;
use crate::git::{Git, ImportCommit, ImportStream, Signature};
use crate::state::{Level, Permission, Project, RefTip, Repo, State, Token, User};

/// `<root>/<key lower-cased>/<slug>.git`.
pub(crate) fn repo_dir(root: &std::path::Path, key: &str, slug: &str) -> PathBuf {
    root.join(key.to_ascii_lowercase())
        .join(format!("{slug}.git"))
}

pub(crate) fn valid_project_key(key: &str) -> bool {
    if let Some(user) = key.strip_prefix('~') {
        return !user.is_empty()
            && user
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
    }
    !key.is_empty()
        && key.len() <= 128
        && key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

pub(crate) fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 128
        && slug != "."
        && slug != ".."
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c))
}

pub(crate) fn new_user(id: u64, seed: &UserSeed) -> User {
    User {
        id,
        name: seed.name.clone(),
        slug: seed.name.to_ascii_lowercase(),
        display_name: seed
            .display_name
            .clone()
            .unwrap_or_else(|| seed.name.clone()),
        email: seed
            .email
            .clone()
            .unwrap_or_else(|| format!("{}@example.com", seed.name.to_ascii_lowercase())),
        password: seed.password.clone(),
        active: true,
        admin: seed.admin,
        service: false,
    }
}

pub(crate) fn validate_user(seed: &UserSeed) -> Result<(), SimError> {
    let ok = !seed.name.is_empty()
        && seed
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
    if !ok {
        return Err(SimError::InvalidSeed(format!(
            "user name \"{}\" must be non-empty ascii letters, digits, '.', '_', '-' or '@'",
            seed.name
        )));
    }
    Ok(())
}

pub(crate) fn build_state(b: &SimulatorBuilder) -> Result<State, SimError> {
    let mut state = State::default();
    let mut tokens_seen = HashSet::new();
    for seed in &b.users {
        validate_user(seed)?;
        if state.users.contains_key(&seed.name) {
            return Err(SimError::InvalidSeed(format!(
                "user \"{}\" is seeded twice",
                seed.name
            )));
        }
        state.next_user_id += 1;
        state
            .users
            .insert(seed.name.clone(), new_user(state.next_user_id, seed));
        for (token, cap) in &seed.tokens {
            if token.is_empty() || !tokens_seen.insert(token.clone()) {
                return Err(SimError::InvalidSeed(format!(
                    "user \"{}\" has an empty or duplicate token; every token must be unique",
                    seed.name
                )));
            }
            state.tokens.insert(
                token.clone(),
                Token {
                    user: seed.name.clone(),
                    cap: cap.map(Permission::level),
                    bearer_only: false,
                },
            );
        }
    }
    for seed in &b.projects {
        insert_project(&mut state, seed)?;
    }
    for seed in &b.repos {
        insert_repo(&mut state, seed)?;
    }
    for grant in &b.grants {
        apply_grant(&mut state, grant)?;
    }
    for (idx, scoped) in b.scoped_tokens.iter().enumerate() {
        if scoped.token.is_empty() || !tokens_seen.insert(scoped.token.clone()) {
            return Err(SimError::InvalidSeed(
                "a project or repository token is empty or duplicates another token".into(),
            ));
        }
        let bot = format!("bot-{}", idx + 1);
        state.next_user_id += 1;
        state.users.insert(
            bot.clone(),
            User {
                id: state.next_user_id,
                name: bot.clone(),
                slug: bot.clone(),
                display_name: format!(
                    "{} access token",
                    scoped.repo.as_deref().unwrap_or(&scoped.project)
                ),
                email: String::new(),
                password: None,
                active: true,
                admin: false,
                service: true,
            },
        );
        apply_grant(
            &mut state,
            &Grant {
                user: bot.clone(),
                permission: scoped.permission,
                project: scoped.project.clone(),
                repo: scoped.repo.clone(),
            },
        )?;
        state.tokens.insert(
            scoped.token.clone(),
            Token {
                user: bot,
                cap: Some(scoped.permission.level()),
                bearer_only: true,
            },
        );
    }
    Ok(state)
}

/// Adds a project to the model.
pub(crate) fn insert_project(state: &mut State, seed: &ProjectSeed) -> Result<(), SimError> {
    if !valid_project_key(&seed.key) {
        return Err(SimError::InvalidSeed(format!(
            "project key \"{}\" must be upper-case letters, digits and '_' starting with a letter (or ~user)",
            seed.key
        )));
    }
    if state.project(&seed.key).is_some() {
        return Err(SimError::InvalidSeed(format!(
            "project \"{}\" is seeded twice",
            seed.key
        )));
    }
    state.next_project_id += 1;
    state.projects.insert(
        seed.key.clone(),
        Project {
            id: state.next_project_id,
            key: seed.key.clone(),
            name: seed.name.clone().unwrap_or_else(|| seed.key.clone()),
            description: seed.description.clone(),
            public: seed.public,
        },
    );
    Ok(())
}

/// Adds a repository (and its project, when undeclared) to the model; returns its id.
pub(crate) fn insert_repo(state: &mut State, seed: &RepoSeed) -> Result<u64, SimError> {
    if state.project(&seed.project).is_none() {
        insert_project(state, &ProjectSeed::new(seed.project.clone()))?;
    }
    let project_key = state
        .project(&seed.project)
        .map(|p| p.key.clone())
        .unwrap_or_else(|| seed.project.clone());
    if !valid_slug(&seed.slug) {
        return Err(SimError::InvalidSeed(format!(
            "repository slug \"{}\" must be lower-case letters, digits, '-', '_' or '.'",
            seed.slug
        )));
    }
    if !crate::ops::valid_branch_name(&seed.default_branch) {
        return Err(SimError::InvalidSeed(format!(
            "default branch \"{}\" of {}/{} is not a valid branch name",
            seed.default_branch, seed.project, seed.slug
        )));
    }
    for (branch, files) in &seed.branches {
        if !crate::ops::valid_branch_name(branch) {
            return Err(SimError::InvalidSeed(format!(
                "branch \"{branch}\" is not a valid branch name"
            )));
        }
        if let Some((path, _)) = files.iter().find(|(p, _)| !crate::ops::valid_file_path(p)) {
            return Err(SimError::InvalidSeed(format!(
                "file path \"{path}\" is not valid"
            )));
        }
    }
    if let Some((path, _)) = seed
        .files
        .iter()
        .find(|(p, _)| !crate::ops::valid_file_path(p))
    {
        return Err(SimError::InvalidSeed(format!(
            "file path \"{path}\" is not valid"
        )));
    }
    let index_key = (project_key.to_ascii_uppercase(), seed.slug.clone());
    if state.repo_index.contains_key(&index_key) {
        return Err(SimError::InvalidSeed(format!(
            "repository {}/{} is seeded twice",
            seed.project, seed.slug
        )));
    }
    state.next_repo_id += 1;
    let id = state.next_repo_id;
    state.repo_index.insert(index_key, id);
    state.repos.insert(
        id,
        Repo {
            id,
            project_key,
            slug: seed.slug.clone(),
            name: seed.name.clone().unwrap_or_else(|| seed.slug.clone()),
            description: seed.description.clone(),
            default_branch: seed.default_branch.clone(),
            archived: seed.archived,
            public: seed.public,
            forkable: true,
            path: PathBuf::new(),
            initialized: false,
            refs: BTreeMap::new(),
            write_lock: Arc::new(tokio::sync::Mutex::new(())),
            next_pr_id: 0,
            auto_merge: seed.auto_merge,
        },
    );
    Ok(id)
}

pub(crate) fn apply_grant(state: &mut State, grant: &Grant) -> Result<(), SimError> {
    if state.user(&grant.user).is_none() {
        return Err(SimError::InvalidSeed(format!(
            "grant names unknown user \"{}\"",
            grant.user
        )));
    }
    let Some(project) = state.project(&grant.project).map(|p| p.key.clone()) else {
        return Err(SimError::InvalidSeed(format!(
            "grant names unknown project \"{}\"",
            grant.project
        )));
    };
    let level: Level = grant.permission.level();
    match &grant.repo {
        None => {
            if !grant.permission.is_project() {
                return Err(SimError::InvalidSeed(format!(
                    "{} is a repository permission; use grant_repo",
                    grant.permission.as_str()
                )));
            }
            state
                .project_perms
                .insert((grant.user.clone(), project), level);
        }
        Some(slug) => {
            if grant.permission.is_project() {
                return Err(SimError::InvalidSeed(format!(
                    "{} is a project permission; use grant_project",
                    grant.permission.as_str()
                )));
            }
            let Some(id) = state.repo_id(&project, slug) else {
                return Err(SimError::InvalidSeed(format!(
                    "grant names unknown repository {project}/{slug}"
                )));
            };
            state.repo_perms.insert((grant.user.clone(), id), level);
        }
    }
    Ok(())
}

/// Writes every repository that has content with one `git fast-import` each (a few at a time).
pub(crate) async fn seed_git(
    git: &Git,
    seeds: &[RepoSeed],
    state: &mut State,
) -> Result<(), SimError> {
    let mut jobs = Vec::new();
    for seed in seeds.iter().filter(|s| s.has_content()) {
        let Some(id) = state.repo_id(&seed.project, &seed.slug) else {
            continue;
        };
        let Some(repo) = state.repo(id) else { continue };
        jobs.push((id, repo.path.clone(), seed.clone()));
    }
    let mut results: HashMap<u64, Vec<crate::git::RefEntry>> = HashMap::new();
    for chunk in jobs.chunks(4) {
        let mut set = tokio::task::JoinSet::new();
        for (id, path, seed) in chunk.iter().cloned() {
            let git = git.clone();
            set.spawn(async move {
                let refs = seed_one(&git, &path, &seed).await?;
                Ok::<_, SimError>((id, refs))
            });
        }
        while let Some(joined) = set.join_next().await {
            let (id, refs) = joined
                .map_err(|err| SimError::InvalidSeed(format!("seeding task failed: {err}")))??;
            results.insert(id, refs);
        }
    }
    for (id, refs) in results {
        if let Some(repo) = state.repo_mut(id) {
            repo.initialized = true;
            repo.refs = refs
                .into_iter()
                .map(|r| {
                    (
                        r.name,
                        RefTip {
                            sha: r.sha,
                            time: r.time,
                        },
                    )
                })
                .collect();
        }
    }
    Ok(())
}

pub(crate) async fn seed_one(
    git: &Git,
    path: &std::path::Path,
    seed: &RepoSeed,
) -> Result<Vec<crate::git::RefEntry>, SimError> {
    if let Some(parent) = path.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    git.init_bare(path, &seed.default_branch).await?;
    let signature = Signature {
        name: "Bitbucket Simulator".into(),
        email: "simulator@example.invalid".into(),
        time: crate::state::now_ms() / 1000,
    };
    let default_ref = format!("refs/heads/{}", seed.default_branch);
    let mut stream = ImportStream::default();
    stream.commit(&ImportCommit {
        git_ref: &default_ref,
        author: &signature,
        message: "Initial commit",
        from: None,
        files: &seed.files,
    });
    for (branch, files) in &seed.branches {
        if *branch == seed.default_branch {
            continue;
        }
        let branch_ref = format!("refs/heads/{branch}");
        if files.is_empty() {
            stream.reset(&branch_ref, &default_ref);
        } else {
            let message = format!("Changes on {branch}");
            stream.commit(&ImportCommit {
                git_ref: &branch_ref,
                author: &signature,
                message: &message,
                from: Some(&default_ref),
                files,
            });
        }
    }
    if !stream.is_empty() {
        git.fast_import(path, &stream.into_bytes()).await?;
    }
    git.refs(path).await
}

#[cfg(test)]
mod tests;
