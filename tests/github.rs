//! The GitHub layer and branch safety against a stateful fake GitHub and a local bare remote:
//! two runs make one pull request, one comment and one push; a person's commit pauses the bot;
//! a dry run writes nothing; a lease race loses nothing; sticky comments are found across pages.

mod support;
use support::repo::git;

use std::path::PathBuf;
use std::time::Duration;

use genie_gitops::git::branch::{self, BranchOutcome, BranchRequest, LeverCommit};
use genie_gitops::git::remote::{PushResult, Remote};
use genie_gitops::git::repo::{Author, GitRepo};
use genie_gitops::github::client::{GitHub, RetryPolicy};
use genie_gitops::github::env::RepoName;
use genie_gitops::github::event::{self, Event};
use genie_gitops::github::outputs::PrOperation;
use genie_gitops::github::proposal::{self, ProposalOutcome, ProposalRequest};
use genie_gitops::github::types::WriteMode;
use genie_gitops::github::{checks, comments, issues, marker::Marker};
use genie_gitops::model::snapshot::RepoSnapshot;
use genie_gitops::sim::github::LocalGitHub;
use secrecy::SecretString;

const BOT: &str = "genie-gitops[bot]";
const BOT_TOKEN: &str = "bot-token";
const BRANCH: &str = "genie-gitops/sales";

/// A bare "origin", a clone the bot works in, and a fake GitHub that reads the origin.
struct World {
    dir: tempfile::TempDir,
    bare: PathBuf,
    repo: GitRepo,
    remote: Remote,
    fake: LocalGitHub,
    gh: GitHub,
    from: RepoSnapshot,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("origin.git");
    let seed = dir.path().join("seed");
    std::fs::create_dir_all(&seed).unwrap();
    git(dir.path(), &["init", "--bare", "-b", "main", "origin.git"]);
    git(&seed, &["init", "-b", "main"]);
    std::fs::create_dir_all(seed.join("genie")).unwrap();
    std::fs::write(seed.join("genie/tables.yml"), "tables: []\n").unwrap();
    std::fs::write(seed.join("databricks.yml"), "bundle:\n  name: demo\n").unwrap();
    git(&seed, &["add", "."]);
    git(&seed, &["commit", "-m", "initial"]);
    git(&seed, &["push", bare.to_str().unwrap(), "main"]);
    let work = dir.path().join("work");
    git(dir.path(), &["clone", "-q", bare.to_str().unwrap(), "work"]);

    let fake = LocalGitHub::start("acme", "genie", BOT_TOKEN, BOT)
        .await
        .expect("the local GitHub starts");
    fake.use_repository(bare.clone());
    fake.add_user("ann-token", "ann");
    let gh = GitHub::new(
        &fake.url,
        SecretString::from(BOT_TOKEN),
        RepoName::parse("acme/genie").unwrap(),
    )
    .unwrap()
    .with_retry(RetryPolicy {
        attempts: 3,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_secs(2),
    });
    let repo = GitRepo::open(&work).unwrap();
    let from = repo.snapshot_at("HEAD").unwrap();
    World {
        remote: Remote::anonymous(bare.to_str().unwrap()),
        dir,
        bare,
        repo,
        fake,
        gh,
        from,
    }
}

fn author() -> Author {
    Author {
        name: BOT.into(),
        email: "bot@genie-gitops.dev".into(),
    }
}

/// One lever commit that sets the tables file to `tables`.
fn lever(from: &RepoSnapshot, tables: &str) -> Vec<LeverCommit> {
    let mut files = from.clone();
    files.insert("genie/tables.yml", tables);
    vec![LeverCommit {
        message: "Lever 1: describe the bookings table".into(),
        files,
    }]
}

async fn propose(w: &World, commits: &[LeverCommit], mode: WriteMode) -> ProposalOutcome {
    let labels = vec!["genie-gitops".to_owned()];
    let author = author();
    proposal::publish(
        &w.gh,
        &w.repo,
        &w.remote,
        &ProposalRequest {
            space: "sales",
            base: "main",
            branch: BRANCH,
            from: &w.from,
            commits,
            title: "genie-gitops: improve sales (+2 questions)",
            report: "## Lever impact\n\n| lever | accuracy |\n|---|---|\n| 1 | 0.80 → 0.90 |\n",
            labels: &labels,
            full_report: None,
            author: &author,
            mode,
        },
    )
    .await
    .unwrap()
}

fn remote_tip(w: &World, branch: &str) -> Option<String> {
    let repo = git2::Repository::open_bare(&w.bare).unwrap();
    repo.refname_to_id(&format!("refs/heads/{branch}"))
        .ok()
        .map(|o| o.to_string())
}

/// A person clones the origin, commits on `branch` and pushes.
fn human_commit(w: &World, branch: &str, file: &str, text: &str) -> String {
    let clone = w.dir.path().join(format!("human-{}", rand_suffix()));
    git(
        w.dir.path(),
        &[
            "clone",
            "-q",
            "-b",
            branch,
            w.bare.to_str().unwrap(),
            clone.to_str().unwrap(),
        ],
    );
    std::fs::write(clone.join(file), text).unwrap();
    git(&clone, &["commit", "-qam", "tweak by hand"]);
    git(&clone, &["push", "-q", "origin", branch]);
    git(&clone, &["rev-parse", "HEAD"])
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

fn count(w: &World, method: &str, path_prefix: &str) -> usize {
    w.fake
        .requests()
        .iter()
        .filter(|r| r.method == method && r.path.starts_with(path_prefix))
        .count()
}

#[tokio::test]
async fn two_runs_make_one_pull_request_one_comment_and_no_second_push() {
    let w = world().await;
    let commits = lever(&w.from, "tables:\n  - name: bookings\n");
    let sticky = comments::sticky_marker("nightly", Some("sales"));

    let first = propose(&w, &commits, WriteMode::Apply).await;
    assert!(matches!(
        first.branch,
        Some(BranchOutcome::Pushed { previous: None, .. })
    ));
    assert_eq!(first.outputs().pr_operation, Some(PrOperation::Created));
    let number = first.outputs().pr_number.unwrap();
    let pushed = remote_tip(&w, BRANCH).unwrap();
    comments::upsert_sticky(
        &w.gh,
        number,
        &sticky,
        BOT,
        "report v1",
        None,
        WriteMode::Apply,
    )
    .await
    .unwrap();

    let second = propose(&w, &commits, WriteMode::Apply).await;
    assert!(
        matches!(second.branch, Some(BranchOutcome::Unchanged { .. })),
        "{:?}",
        second.branch
    );
    assert_eq!(second.outputs().pr_operation, Some(PrOperation::None));
    assert_eq!(second.outputs().pr_number, Some(number));
    let again = comments::upsert_sticky(
        &w.gh,
        number,
        &sticky,
        BOT,
        "report v1",
        None,
        WriteMode::Apply,
    )
    .await
    .unwrap();
    assert_eq!(again.action, comments::CommentAction::Unchanged);

    assert_eq!(remote_tip(&w, BRANCH).unwrap(), pushed, "no second push");
    assert_eq!(w.fake.pulls().len(), 1);
    assert_eq!(w.fake.comments_on(number).len(), 1);
    assert_eq!(count(&w, "POST", "/repos/acme/genie/pulls"), 1);
    assert_eq!(
        count(&w, "PATCH", "/repos/acme/genie/pulls"),
        0,
        "an unchanged body is not edited"
    );
    let pr = &w.fake.pulls()[0];
    assert_eq!(pr.labels, vec!["genie-gitops"]);
    let marker = Marker::find_proposal(&pr.body).unwrap();
    assert_eq!(
        (marker.space.as_str(), marker.proposal_hash.as_str()),
        ("sales", first.hash.as_str())
    );
    assert!(w.fake.unexpected().is_empty(), "{:?}", w.fake.unexpected());
}

#[tokio::test]
async fn a_new_proposal_updates_the_open_pull_request_in_place() {
    let w = world().await;
    let first = propose(&w, &lever(&w.from, "tables: [a]\n"), WriteMode::Apply).await;
    let second = propose(&w, &lever(&w.from, "tables: [b]\n"), WriteMode::Apply).await;
    assert!(matches!(
        second.branch,
        Some(BranchOutcome::Pushed {
            previous: Some(_),
            ..
        })
    ));
    assert_eq!(second.outputs().pr_operation, Some(PrOperation::Updated));
    assert_eq!(second.outputs().pr_number, first.outputs().pr_number);
    assert_eq!(w.fake.pulls().len(), 1);
    let body = &w.fake.pulls()[0].body;
    assert_eq!(
        Marker::find_proposal(body).unwrap().proposal_hash,
        second.hash
    );
}

#[tokio::test]
async fn a_human_commit_on_the_bot_branch_pauses_the_bot_and_nothing_is_overwritten() {
    let w = world().await;
    let first = propose(&w, &lever(&w.from, "tables: [a]\n"), WriteMode::Apply).await;
    let body_before = w.fake.pulls()[0].body.clone();
    let human = human_commit(&w, BRANCH, "genie/tables.yml", "tables: [by-hand]\n");

    let second = propose(&w, &lever(&w.from, "tables: [c]\n"), WriteMode::Apply).await;
    let Some(outcome @ BranchOutcome::Paused { foreign, .. }) = &second.branch else {
        panic!("expected a pause, got {:?}", second.branch);
    };
    assert_eq!(foreign.len(), 1);
    assert_eq!(foreign[0].author.email, "ann@example.com");
    assert_eq!(
        remote_tip(&w, BRANCH).unwrap(),
        human,
        "the person's commit stays"
    );
    assert_eq!(
        w.fake.pulls()[0].body,
        body_before,
        "the pull request is left alone"
    );
    assert_eq!(
        second.open_pr.as_ref().map(|p| p.number),
        first.outputs().pr_number
    );
    let note = outcome.paused_note(BRANCH).unwrap();
    assert!(
        note.contains("**Paused.**") && note.contains("ann@example.com"),
        "{note}"
    );
}

#[tokio::test]
async fn a_dry_run_makes_zero_write_requests() {
    let w = world().await;
    let outcome = propose(&w, &lever(&w.from, "tables: [a]\n"), WriteMode::DryRun).await;
    assert!(matches!(
        outcome.branch,
        Some(BranchOutcome::WouldPush { .. })
    ));
    assert_eq!(outcome.outputs().pr_operation, Some(PrOperation::Created));
    let pr = outcome.pr.unwrap();
    assert!(pr.dry_run && pr.number.is_none());

    let sticky = comments::sticky_marker("eval", None);
    let c = comments::upsert_sticky(&w.gh, 1, &sticky, BOT, "x", None, WriteMode::DryRun)
        .await
        .unwrap();
    assert_eq!(c.action, comments::CommentAction::WouldCreate);
    let draft = checks::CheckRunDraft {
        name: "genie-gitops/eval".into(),
        head_sha: "a".repeat(40),
        conclusion: None,
        title: "evaluating".into(),
        summary: String::new(),
        details_url: None,
    };
    assert!(
        checks::create(&w.gh, &draft, WriteMode::DryRun)
            .await
            .unwrap()
            .is_none()
    );
    checks::set_status(
        &w.gh,
        &"a".repeat(40),
        checks::StatusState::Success,
        "genie-gitops/deploy",
        "ok",
        None,
        WriteMode::DryRun,
    )
    .await
    .unwrap();
    let issue_marker = issues::tracking_marker("deploy-failure", Some("sales"));
    let opened = issues::upsert(
        &w.gh,
        &issue_marker,
        BOT,
        "genie-gitops",
        "t",
        "b",
        None,
        WriteMode::DryRun,
    )
    .await
    .unwrap();
    assert_eq!(opened.action, issues::IssueAction::Opened);

    assert!(w.fake.writes().is_empty(), "{:?}", w.fake.writes());
    assert!(!w.fake.requests().is_empty(), "reads still happen");
    assert_eq!(remote_tip(&w, BRANCH), None, "nothing pushed");
}

#[tokio::test]
async fn a_push_with_lease_race_loses_no_commit() {
    let w = world().await;
    propose(&w, &lever(&w.from, "tables: [a]\n"), WriteMode::Apply).await;
    let dir = w.repo.git_dir();
    // The bot looks at the branch and builds its new head…
    let seen = w.remote.fetch(dir, BRANCH).unwrap().unwrap();
    let base = w.remote.fetch(dir, "main").unwrap().unwrap();
    let commits = lever(&w.from, "tables: [b]\n");
    let head = branch::rebuild(&w.repo, base, &w.from, &commits, &author())
        .unwrap()
        .unwrap();
    // …while a person pushes to it.
    let human = human_commit(&w, BRANCH, "databricks.yml", "bundle:\n  name: mine\n");
    let pushed = w
        .remote
        .push_with_lease(dir, head, BRANCH, Some(seen))
        .unwrap();
    assert!(matches!(pushed, PushResult::Rejected { .. }), "{pushed:?}");
    assert_eq!(
        remote_tip(&w, BRANCH).unwrap(),
        human,
        "the person's commit survives"
    );

    // A whole run started after the push pauses instead.
    let outcome = branch::sync(
        &w.repo,
        &w.remote,
        &BranchRequest {
            base: "main",
            branch: BRANCH,
            from: &w.from,
            commits: &commits,
            author: &author(),
            dry_run: false,
        },
    )
    .unwrap();
    assert!(
        matches!(outcome, BranchOutcome::Paused { .. }),
        "{outcome:?}"
    );
    assert_eq!(remote_tip(&w, BRANCH).unwrap(), human);
}

#[tokio::test]
async fn a_lease_on_a_branch_that_should_not_exist_refuses_to_overwrite_it() {
    let w = world().await;
    let dir = w.repo.git_dir();
    let base = w.remote.fetch(dir, "main").unwrap().unwrap();
    let head = branch::rebuild(
        &w.repo,
        base,
        &w.from,
        &lever(&w.from, "tables: [z]\n"),
        &author(),
    )
    .unwrap()
    .unwrap();
    git(
        w.dir.path(),
        &[
            "--git-dir",
            w.bare.to_str().unwrap(),
            "branch",
            BRANCH,
            "main",
        ],
    );
    let pushed = w.remote.push_with_lease(dir, head, BRANCH, None).unwrap();
    assert!(matches!(pushed, PushResult::Rejected { .. }), "{pushed:?}");
}

#[tokio::test]
async fn a_proposal_the_base_already_holds_is_not_pushed_and_its_pull_request_is_closed() {
    let w = world().await;
    let commits = lever(&w.from, "tables: [a]\n");
    let first = propose(&w, &commits, WriteMode::Apply).await;
    let pushed = remote_tip(&w, BRANCH);
    // Nothing left to propose: the commits equal the files they started from.
    let none = vec![LeverCommit {
        message: "no-op".into(),
        files: w.from.clone(),
    }];
    let second = propose(&w, &none, WriteMode::Apply).await;
    assert!(matches!(
        second.branch,
        Some(BranchOutcome::NothingToPropose { .. })
    ));
    assert_eq!(second.outputs().pr_operation, Some(PrOperation::Closed));
    assert_eq!(
        remote_tip(&w, BRANCH),
        pushed,
        "head never made equal to base"
    );
    assert_eq!(w.fake.pulls()[0].state, "closed");
    assert_eq!(second.outputs().pr_number, first.outputs().pr_number);
}

#[tokio::test]
async fn a_proposal_closed_unmerged_is_not_proposed_again() {
    let w = world().await;
    let commits = lever(&w.from, "tables: [a]\n");
    let first = propose(&w, &commits, WriteMode::Apply).await;
    let number = first.outputs().pr_number.unwrap();
    w.fake.close_pull(number, false);
    let writes_before = w.fake.writes().len();

    let again = propose(&w, &commits, WriteMode::Apply).await;
    assert_eq!(again.declined_by, Some(number));
    assert!(again.branch.is_none() && again.pr.is_none());
    assert_eq!(w.fake.writes().len(), writes_before);

    let different = propose(&w, &lever(&w.from, "tables: [b]\n"), WriteMode::Apply).await;
    assert_eq!(different.declined_by, None);
    assert_eq!(different.outputs().pr_operation, Some(PrOperation::Created));
    assert_eq!(w.fake.pulls().len(), 2);
}

#[tokio::test]
async fn the_sticky_comment_is_found_across_pages_and_edited_in_place() {
    let w = world().await;
    let first = propose(&w, &lever(&w.from, "tables: [a]\n"), WriteMode::Apply).await;
    let number = first.outputs().pr_number.unwrap();
    let sticky = comments::sticky_marker("eval", Some("sales"));
    for i in 0..230 {
        w.fake.add_comment(number, "ann", &format!("comment {i}"));
    }
    // A person quoting the marker does not make their comment the bot's.
    w.fake
        .add_comment(number, "ann", &comments::compose("copied", &sticky, None));
    let placeholder = comments::upsert_sticky(
        &w.gh,
        number,
        &sticky,
        BOT,
        &comments::placeholder("evaluating"),
        None,
        WriteMode::Apply,
    )
    .await
    .unwrap();
    assert_eq!(placeholder.action, comments::CommentAction::Created);
    for i in 0..40 {
        w.fake.add_comment(number, "ann", &format!("later {i}"));
    }
    let report = comments::upsert_sticky(
        &w.gh,
        number,
        &sticky,
        BOT,
        "## Accuracy\n90%",
        None,
        WriteMode::Apply,
    )
    .await
    .unwrap();
    assert_eq!(report.action, comments::CommentAction::Updated);
    assert_eq!(
        report.id, placeholder.id,
        "the placeholder became the report"
    );
    let bots: Vec<_> = w
        .fake
        .comments_on(number)
        .into_iter()
        .filter(|c| c.author == BOT)
        .collect();
    assert_eq!(bots.len(), 1);
    assert!(bots[0].body.starts_with("## Accuracy\n90%"));
    let pages = count(
        &w,
        "GET",
        &format!("/repos/acme/genie/issues/{number}/comments"),
    );
    assert!(
        pages >= 6,
        "both listings paged through all three pages ({pages} requests)"
    );
}

#[tokio::test]
async fn rate_limits_are_retried_and_a_failed_create_is_not() {
    let w = world().await;
    w.fake.fail_next(2, 403, Some(0));
    let open = genie_gitops::github::pulls::find_open(&w.gh, BRANCH, "main")
        .await
        .unwrap();
    assert!(open.is_none());
    assert_eq!(w.fake.requests().len(), 3);

    w.fake.fail_next(1, 502, None);
    let err = comments::post(&w.gh, 1, "x", WriteMode::Apply)
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert_eq!(
        count(&w, "POST", "/repos/acme/genie/issues/1/comments"),
        1,
        "a POST is sent once"
    );
}

#[tokio::test]
async fn a_tracking_issue_is_opened_once_updated_and_closed() {
    let w = world().await;
    let marker = issues::tracking_marker("deploy-failure", Some("sales"));
    let upsert = |text: &'static str| {
        let gh = w.gh.clone();
        let marker = marker.clone();
        async move {
            issues::upsert(
                &gh,
                &marker,
                BOT,
                "genie-gitops",
                "Deploy of sales failed",
                text,
                None,
                WriteMode::Apply,
            )
            .await
            .unwrap()
        }
    };
    let opened = upsert("run 1 failed").await;
    assert_eq!(opened.action, issues::IssueAction::Opened);
    assert_eq!(
        upsert("run 1 failed").await.action,
        issues::IssueAction::Unchanged
    );
    assert_eq!(
        upsert("run 2 failed").await.action,
        issues::IssueAction::Updated
    );
    assert_eq!(w.fake.issues().len(), 1);
    let closed = issues::close(
        &w.gh,
        &marker,
        BOT,
        "genie-gitops",
        "Deployed fine now.",
        WriteMode::Apply,
    )
    .await
    .unwrap();
    assert_eq!(closed.action, issues::IssueAction::Closed);
    assert_eq!(w.fake.issues()[0].state, "closed");
    assert_eq!(w.fake.comments_on(opened.number.unwrap()).len(), 1);
}

#[tokio::test]
async fn a_check_run_is_created_in_progress_then_completed() {
    let w = world().await;
    let mut draft = checks::CheckRunDraft {
        name: "genie-gitops/eval (sales)".into(),
        head_sha: "b".repeat(40),
        conclusion: None,
        title: "Evaluating 24 questions".into(),
        summary: "⌛".into(),
        details_url: Some("https://run".into()),
    };
    let run = checks::create(&w.gh, &draft, WriteMode::Apply)
        .await
        .unwrap()
        .unwrap();
    draft.conclusion = Some(checks::Conclusion::Failure);
    draft.title = "2 regressions".into();
    checks::update(&w.gh, run.id, &draft, WriteMode::Apply)
        .await
        .unwrap();
    let stored = &w.fake.check_runs()[0].body;
    assert_eq!(stored["status"], "completed");
    assert_eq!(stored["conclusion"], "failure");
    assert_eq!(stored["name"], "genie-gitops/eval (sales)");
    assert_eq!(stored["output"]["title"], "2 regressions");
}

#[tokio::test]
async fn the_bot_login_falls_back_to_the_actions_bot_when_user_is_forbidden() {
    let w = world().await;
    assert_eq!(w.gh.bot_login(None).await.unwrap(), BOT);
    w.fake.forbid_user_endpoint();
    assert_eq!(w.gh.bot_login(None).await.unwrap(), "github-actions[bot]");
    assert_eq!(
        w.gh.bot_login(Some("my-app[bot]")).await.unwrap(),
        "my-app[bot]"
    );
}

fn reference_event(name: &str) -> Option<String> {
    let path = format!(
        "{}/../shared/reference/github-events/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(_) => {
            eprintln!("skipping: {path} not found");
            None
        }
    }
}

#[test]
fn a_fork_pull_request_is_detected_from_a_real_payload() {
    let Some(text) = reference_event("pull_request.opened.fork.json") else {
        return;
    };
    let Event::PullRequest(pr) = event::parse("pull_request", "fork.json", &text)
        .unwrap()
        .event
    else {
        panic!("not a pull request");
    };
    assert!(pr.from_fork);
    assert_eq!(pr.number, 2388);
    assert_eq!(pr.head.repo.as_deref(), Some("KaTeX-bot/KaTeX"));
}

#[test]
fn a_pull_request_inside_a_forked_repository_is_not_a_fork_pull_request() {
    let Some(text) = reference_event("pull_request.closed.merged.json") else {
        return;
    };
    let Event::PullRequest(pr) = event::parse("pull_request", "merged.json", &text)
        .unwrap()
        .event
    else {
        panic!("not a pull request");
    };
    assert!(
        !pr.from_fork,
        "head.repo.fork is true, but head and base are the same repository"
    );
    assert!(pr.merged && pr.merge_commit_sha.is_some());
}

#[test]
fn every_reference_event_parses_into_its_kind() {
    let cases = [
        ("pull_request", "pull_request.opened.json"),
        ("pull_request", "pull_request.synchronize.json"),
        ("push", "push.json"),
        ("push", "push.main.json"),
        ("schedule", "schedule.json"),
        ("workflow_dispatch", "workflow_dispatch.json"),
        ("issue_comment", "issue_comment.created.json"),
        ("check_run", "check_run.completed.json"),
    ];
    for (name, file) in cases {
        let Some(text) = reference_event(file) else {
            return;
        };
        let read = event::parse(name, file, &text).unwrap_or_else(|e| panic!("{file}: {e}"));
        let kind = match &read.event {
            Event::PullRequest(_) => "pull_request",
            Event::Push(_) => "push",
            Event::Schedule(_) => "schedule",
            Event::WorkflowDispatch(_) => "workflow_dispatch",
            Event::IssueComment(_) => "issue_comment",
            Event::Other { name } => name.as_str(),
        };
        assert_eq!(kind, name, "{file}");
    }
    if let Some(text) = reference_event("push.json") {
        let Event::Push(push) = event::parse("push", "push.json", &text).unwrap().event else {
            panic!("not a push");
        };
        assert!(
            push.deleted && push.branch().is_none(),
            "a deleted tag is no branch push"
        );
    }
    if let Some(text) = reference_event("issue_comment.created.json") {
        let Event::IssueComment(c) = event::parse("issue_comment", "c.json", &text)
            .unwrap()
            .event
        else {
            panic!("not a comment");
        };
        assert!(c.on_pull_request && c.author_is_trusted());
    }
}

#[test]
fn the_action_passes_inputs_only_through_env() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/action.yml");
    let text = std::fs::read_to_string(path).unwrap();
    let action: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(action["runs"]["using"], "composite");
    let steps = action["runs"]["steps"].as_array().unwrap();
    let mut scripts = 0;
    for step in steps {
        if let Some(run) = step["run"].as_str() {
            scripts += 1;
            assert!(!run.contains("${{"), "expression inside `run:` of {step}");
        }
    }
    assert!(scripts >= 2);
    for output in [
        "pr-number",
        "pr-url",
        "pr-operation",
        "accuracy",
        "regressions",
        "deployed",
    ] {
        assert!(
            action["outputs"][output]["value"].is_string(),
            "output {output}"
        );
    }
}

#[test]
fn the_release_workflow_builds_static_binaries_with_checksums_and_no_expressions_in_scripts() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/.github/workflows/release.yml");
    let text = std::fs::read_to_string(path).unwrap();
    let workflow: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let jobs = workflow["jobs"].as_object().unwrap();
    for (name, job) in jobs {
        for step in job["steps"].as_array().into_iter().flatten() {
            if let Some(run) = step["run"].as_str() {
                assert!(
                    !run.contains("${{"),
                    "expression inside `run:` in job {name}"
                );
            }
        }
    }
    let targets: Vec<&str> = jobs["build"]["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|t| t["target"].as_str())
        .collect();
    assert!(targets.contains(&"x86_64-unknown-linux-musl"));
    assert!(text.contains("sha256sum \"$archive\" > \"$archive.sha256\""));
}
