//! Unit tests of branch ownership: whose commit is whose, and the status line for a branch the
//! agent refuses to update.

use super::*;

fn commit(id: &str, user: Option<&str>, author: &str, subject: &str) -> BranchCommit {
    BranchCommit {
        id: id.into(),
        author_user: user.map(String::from),
        author: author.into(),
        subject: subject.into(),
    }
}

#[test]
fn only_commits_by_the_authenticated_user_are_the_agents() {
    let bot = commit("a", Some("gitproxy-bot"), "gitproxy-bot <bot@corp>", "fix");
    assert!(is_own(&bot, Some("gitproxy-bot")));
    assert!(
        is_own(&bot, Some("GitProxy-Bot")),
        "user names are case-insensitive"
    );
    assert!(!is_own(&bot, Some("alice")));
    assert!(!is_own(&bot, None), "an unknown identity owns nothing");
    // A git author named like the agent but not matched to a Bitbucket user is someone else.
    let lookalike = commit("b", None, "gitproxy-bot <someone@else>", "fix");
    assert!(!is_own(&lookalike, Some("gitproxy-bot")));
}

#[test]
fn the_refusal_names_the_branch_the_commits_their_authors_and_the_way_out() {
    let foreign = Foreign {
        branch: "gitproxy/security/npm-lodash".into(),
        head: "c1".into(),
        base: "main".into(),
        commits: vec![commit(
            "0123456789abcdef0123456789abcdef01234567",
            Some("alice"),
            "Alice <alice@corp>",
            "Update README",
        )],
        pull_request: Some(4),
    };
    assert_eq!(
        foreign.message(),
        "branch `gitproxy/security/npm-lodash` carries a commit the agent did not make (0123456789a \"Update README\" by Alice <alice@corp>), so the agent does not update pull request #4; remove that commit from the branch, or decline pull request #4 so that the next run recreates the branch from `main` and opens a new pull request"
    );
    let comment = refusal_comment(&foreign, "c1");
    assert!(comment.starts_with("**gitproxy did not update this pull request.** The branch `gitproxy/security/npm-lodash` carries"), "{comment}");
    let comments = vec!["looks good".to_string(), comment];
    assert!(refused_at(&comments, "c1"));
    assert!(
        !refused_at(&comments, "c2"),
        "a new head gets a new comment"
    );
    assert!(was_refused(&comments));
    assert!(!was_refused(&comments[..1]));
}
