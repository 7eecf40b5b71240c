//! Unit tests of branch ownership: whose commit is whose, and the status line for a branch the
//! agent refuses to update.

use super::*;

fn commit(id: &str, user: Option<&str>, email: &str, subject: &str) -> BranchCommit {
    BranchCommit {
        id: id.into(),
        author_user: user.map(String::from),
        author_email: Some(email.into()),
        author: format!("{} <{email}>", user.unwrap_or("someone")),
        subject: subject.into(),
    }
}

fn me(name: &str, email: Option<&str>) -> Identity {
    Identity {
        name: name.into(),
        email: email.map(String::from),
    }
}

#[test]
fn only_commits_by_the_authenticated_user_are_the_agents() {
    let bot = me("gitproxy-bot", Some("bot@corp"));
    let own = commit("a", Some("gitproxy-bot"), "bot@corp", "fix");
    assert!(is_own(&own, Some(&bot)));
    assert!(
        is_own(&own, Some(&me("GitProxy-Bot", None))),
        "user names are case-insensitive"
    );
    assert!(!is_own(&own, Some(&me("alice", Some("alice@corp")))));
    assert!(!is_own(&own, None), "an unknown identity owns nothing");
    // A Bitbucket user other than the agent is someone else, whatever the address says.
    let alice = commit("b", Some("alice"), "bot@corp", "fix");
    assert!(!is_own(&alice, Some(&bot)));
    // An author the server did not match to a user is the agent's only by its own address.
    let unmatched = commit("c", None, "BOT@corp", "fix");
    assert!(is_own(&unmatched, Some(&bot)));
    assert!(!is_own(&unmatched, Some(&me("gitproxy-bot", None))));
    let stranger = commit("d", None, "someone@else", "fix");
    assert!(!is_own(&stranger, Some(&bot)));
}

#[test]
fn the_refusal_names_the_branch_the_commits_their_authors_and_the_way_out() {
    let foreign = Foreign {
        branch: "gitproxy/security/npm-lodash".into(),
        head: "c1".into(),
        base: "main".into(),
        commits: vec![BranchCommit {
            id: "0123456789abcdef0123456789abcdef01234567".into(),
            author_user: Some("alice".into()),
            author_email: Some("alice@corp".into()),
            author: "Alice <alice@corp>".into(),
            subject: "Update README".into(),
        }],
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
