//! A local stand-in for GitHub: a stateful fake of the REST API subset genie-gitops uses,
//! bors-style, for `genie-gitops demo` and the tests. An axum server on 127.0.0.1:0 whose handlers read and change an in-memory GitHub (pull requests, issues,
//! comments with pagination, labels, check runs, commit statuses). Branch heads come from a
//! real bare repository, so a pull request points at what was actually pushed.
//!
//! Every request is logged; [`LocalGitHub::writes`] counts the non-GET ones, which is how tests
//! prove a dry run wrote nothing. A request no route knows gets a GitHub-style 500 naming it and
//! is recorded in [`LocalGitHub::unexpected`]. Tokens map to logins, so comments made "by a
//! person" and "by the bot" are told apart the way GitHub does.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// One request the fake received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path and query.
    pub path: String,
}

/// A pull request in the fake.
#[derive(Debug, Clone)]
pub struct Pull {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub state: String,
    pub merged: bool,
    pub head: String,
    pub base: String,
    pub author: String,
    pub labels: Vec<String>,
}

/// An issue in the fake (pull requests share the numbering but live in `pulls`).
#[derive(Debug, Clone)]
pub struct FakeIssue {
    pub number: u64,
    pub title: String,
    pub body: String,
    pub state: String,
    pub author: String,
    pub labels: Vec<String>,
}

/// A comment in the fake.
#[derive(Debug, Clone)]
pub struct FakeComment {
    pub id: u64,
    pub issue: u64,
    pub body: String,
    pub author: String,
}

/// A check run in the fake.
#[derive(Debug, Clone)]
pub struct FakeCheckRun {
    pub id: u64,
    pub body: Value,
}

#[derive(Default)]
struct World {
    owner: String,
    repo: String,
    base_url: String,
    logins: BTreeMap<String, String>,
    bare_repo: Option<PathBuf>,
    next_number: u64,
    next_id: u64,
    pulls: Vec<Pull>,
    issues: Vec<FakeIssue>,
    comments: Vec<FakeComment>,
    check_runs: Vec<FakeCheckRun>,
    statuses: Vec<(String, Value)>,
    requests: Vec<Request>,
    unexpected: Vec<String>,
    fail_next: Vec<(u16, Option<u64>)>,
    user_endpoint_forbidden: bool,
}

/// The fake server and a handle on its state.
pub struct LocalGitHub {
    /// Base URL, e.g. `http://127.0.0.1:4711`.
    pub url: String,
    world: Arc<Mutex<World>>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for LocalGitHub {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl LocalGitHub {
    /// Starts a fake for `owner/repo`; `bot_token` belongs to `bot_login`.
    pub async fn start(
        owner: &str,
        repo: &str,
        bot_token: &str,
        bot_login: &str,
    ) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        let world = World {
            owner: owner.into(),
            repo: repo.into(),
            base_url: url.clone(),
            next_number: 1,
            next_id: 1000,
            ..World::default()
        };
        let world = Arc::new(Mutex::new(world));
        lock(&world)
            .logins
            .insert(bot_token.into(), bot_login.into());
        let app = Router::new().fallback(handle).with_state(world.clone());
        let server = tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, app).await {
                tracing::error!("the local GitHub stopped: {e}");
            }
        });
        Ok(Self { url, world, server })
    }

    fn world(&self) -> MutexGuard<'_, World> {
        lock(&self.world)
    }

    /// `token` authenticates as `login` (a person, or another bot).
    pub fn add_user(&self, token: &str, login: &str) {
        self.world().logins.insert(token.into(), login.into());
    }

    /// Pull request heads and trees are read from this bare repository.
    pub fn use_repository(&self, bare: PathBuf) {
        self.world().bare_repo = Some(bare);
    }

    /// `GET /user` answers 403, as it does for Actions and installation tokens.
    pub fn forbid_user_endpoint(&self) {
        self.world().user_endpoint_forbidden = true;
    }

    /// The next `count` requests fail with `status` (a `Retry-After` header when given).
    pub fn fail_next(&self, count: usize, status: u16, retry_after: Option<u64>) {
        let mut w = self.world();
        for _ in 0..count {
            w.fail_next.push((status, retry_after));
        }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.world().requests.clone()
    }

    /// Requests that could change state (anything but GET).
    pub fn writes(&self) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .collect()
    }

    /// Requests no route knew.
    pub fn unexpected(&self) -> Vec<String> {
        self.world().unexpected.clone()
    }

    /// Every pull request.
    pub fn pulls(&self) -> Vec<Pull> {
        self.world().pulls.clone()
    }

    /// Every issue (not pull requests).
    pub fn issues(&self) -> Vec<FakeIssue> {
        self.world().issues.clone()
    }

    /// Comments on issue or pull request `number`, oldest first.
    pub fn comments_on(&self, number: u64) -> Vec<FakeComment> {
        self.world()
            .comments
            .iter()
            .filter(|c| c.issue == number)
            .cloned()
            .collect()
    }

    /// Every check run.
    pub fn check_runs(&self) -> Vec<FakeCheckRun> {
        self.world().check_runs.clone()
    }

    /// Every commit status as (sha, body).
    pub fn statuses(&self) -> Vec<(String, Value)> {
        self.world().statuses.clone()
    }

    /// Someone (not through the API under test) comments on `number`.
    pub fn add_comment(&self, number: u64, author: &str, body: &str) -> u64 {
        let mut w = self.world();
        let id = w.next_id;
        w.next_id += 1;
        w.comments.push(FakeComment {
            id,
            issue: number,
            body: body.into(),
            author: author.into(),
        });
        id
    }

    /// Someone closes pull request `number` (merged or not).
    pub fn close_pull(&self, number: u64, merged: bool) {
        let mut w = self.world();
        if let Some(p) = w.pulls.iter_mut().find(|p| p.number == number) {
            p.state = "closed".into();
            p.merged = merged;
        }
    }
}

/// Locks the shared state; a panicked handler cannot poison a stand-in that only holds data.
fn lock(world: &Mutex<World>) -> MutexGuard<'_, World> {
    world
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn github_error(status: u16, message: &str) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        code,
        axum::Json(
            json!({ "message": message, "documentation_url": "https://docs.github.com/rest" }),
        ),
    )
        .into_response()
}

async fn handle(
    State(world): State<Arc<Mutex<World>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut w = lock(&world);
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    w.requests.push(Request {
        method: method.to_string(),
        path: path_and_query.clone(),
    });
    if !w.fail_next.is_empty() {
        let (status, retry_after) = w.fail_next.remove(0);
        let mut response = github_error(status, "injected failure: secondary rate limit");
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert("retry-after", HeaderValue::from(secs));
        }
        return response;
    }
    let token = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_whitespace().nth(1))
        .unwrap_or_default()
        .to_owned();
    let Some(login) = w.logins.get(&token).cloned() else {
        return github_error(401, "Bad credentials");
    };
    let query: BTreeMap<String, String> = uri
        .query()
        .map(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect()
        })
        .unwrap_or_default();
    let body: Value = if body.is_empty() {
        Value::Null
    } else {
        match serde_json::from_slice(&body) {
            Ok(v) => v,
            Err(e) => return github_error(400, &format!("Problems parsing JSON: {e}")),
        }
    };
    let segments: Vec<&str> = uri.path().trim_matches('/').split('/').collect();
    let prefix_ok = segments.len() >= 3
        && segments[0] == "repos"
        && segments[1] == w.owner
        && segments[2] == w.repo;
    let rest: Vec<&str> = if prefix_ok {
        segments[3..].to_vec()
    } else {
        Vec::new()
    };
    let m = method.as_str();
    match (m, prefix_ok, segments.as_slice(), rest.as_slice()) {
        ("GET", _, ["user"], _) => {
            if w.user_endpoint_forbidden {
                github_error(403, "Resource not accessible by integration")
            } else {
                axum::Json(json!({ "login": login })).into_response()
            }
        }
        ("GET", true, _, ["pulls"]) => list_pulls(&w, &query, &path_and_query),
        ("POST", true, _, ["pulls"]) => create_pull(&mut w, &login, &body),
        ("PATCH", true, _, ["pulls", n]) => edit_pull(&mut w, n, &body),
        ("GET", true, _, ["commits", sha, "pulls"]) => {
            let sha = sha.to_string();
            let items: Vec<Value> = w
                .pulls
                .clone()
                .iter()
                .filter(|p| head_sha(&w, &p.head).as_deref() == Some(sha.as_str()))
                .map(|p| pull_json(&w, p))
                .collect();
            paginate(&w, items, &query, &path_and_query)
        }
        ("GET", true, _, ["issues", n, "comments"]) => {
            let n: u64 = n.parse().unwrap_or(0);
            let items: Vec<Value> = w
                .comments
                .iter()
                .filter(|c| c.issue == n)
                .map(|c| comment_json(&w, c))
                .collect();
            paginate(&w, items, &query, &path_and_query)
        }
        ("POST", true, _, ["issues", n, "comments"]) => {
            let n: u64 = n.parse().unwrap_or(0);
            if !number_exists(&w, n) {
                return github_error(404, "Not Found");
            }
            let id = w.next_id;
            w.next_id += 1;
            let comment = FakeComment {
                id,
                issue: n,
                body: body["body"].as_str().unwrap_or_default().into(),
                author: login,
            };
            let json = comment_json(&w, &comment);
            w.comments.push(comment);
            (StatusCode::CREATED, axum::Json(json)).into_response()
        }
        ("PATCH", true, _, ["issues", "comments", id]) => {
            let id: u64 = id.parse().unwrap_or(0);
            let Some(i) = w.comments.iter().position(|c| c.id == id) else {
                return github_error(404, "Not Found");
            };
            if let Some(text) = body["body"].as_str() {
                w.comments[i].body = text.into();
            }
            let json = comment_json(&w, &w.comments[i].clone());
            axum::Json(json).into_response()
        }
        ("POST", true, _, ["issues", n, "labels"]) => {
            let n: u64 = n.parse().unwrap_or(0);
            let labels: Vec<String> = body["labels"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|l| l.as_str().map(str::to_owned))
                .collect();
            if let Some(p) = w.pulls.iter_mut().find(|p| p.number == n) {
                p.labels.extend(labels.clone());
            } else if let Some(i) = w.issues.iter_mut().find(|i| i.number == n) {
                i.labels.extend(labels.clone());
            } else {
                return github_error(404, "Not Found");
            }
            axum::Json(json!(
                labels
                    .iter()
                    .map(|l| json!({"name": l}))
                    .collect::<Vec<_>>()
            ))
            .into_response()
        }
        ("GET", true, _, ["issues"]) => {
            let state = query.get("state").map(String::as_str).unwrap_or("open");
            let label = query.get("labels").cloned();
            let items: Vec<Value> = w
                .issues
                .iter()
                .filter(|i| state == "all" || i.state == state)
                .filter(|i| label.as_ref().is_none_or(|l| i.labels.contains(l)))
                .map(|i| issue_json(&w, i))
                .collect();
            paginate(&w, items, &query, &path_and_query)
        }
        ("POST", true, _, ["issues"]) => {
            let number = w.next_number;
            w.next_number += 1;
            let issue = FakeIssue {
                number,
                title: body["title"].as_str().unwrap_or_default().into(),
                body: body["body"].as_str().unwrap_or_default().into(),
                state: "open".into(),
                author: login,
                labels: body["labels"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|l| l.as_str().map(str::to_owned))
                    .collect(),
            };
            let json = issue_json(&w, &issue);
            w.issues.push(issue);
            (StatusCode::CREATED, axum::Json(json)).into_response()
        }
        ("PATCH", true, _, ["issues", n]) => {
            let n: u64 = n.parse().unwrap_or(0);
            let Some(i) = w.issues.iter().position(|i| i.number == n) else {
                return github_error(404, "Not Found");
            };
            for (key, field) in [("title", 0), ("body", 1), ("state", 2)] {
                if let Some(v) = body[key].as_str() {
                    let issue = &mut w.issues[i];
                    match field {
                        0 => issue.title = v.into(),
                        1 => issue.body = v.into(),
                        _ => issue.state = v.into(),
                    }
                }
            }
            let json = issue_json(&w, &w.issues[i].clone());
            axum::Json(json).into_response()
        }
        ("POST", true, _, ["check-runs"]) => {
            let id = w.next_id;
            w.next_id += 1;
            w.check_runs.push(FakeCheckRun {
                id,
                body: body.clone(),
            });
            let url = format!("{}/{}/{}/runs/{id}", w.base_url, w.owner, w.repo);
            (
                StatusCode::CREATED,
                axum::Json(json!({ "id": id, "html_url": url })),
            )
                .into_response()
        }
        ("PATCH", true, _, ["check-runs", id]) => {
            let id: u64 = id.parse().unwrap_or(0);
            let Some(run) = w.check_runs.iter_mut().find(|r| r.id == id) else {
                return github_error(404, "Not Found");
            };
            if let (Some(old), Some(new)) = (run.body.as_object_mut(), body.as_object()) {
                for (k, v) in new {
                    old.insert(k.clone(), v.clone());
                }
            }
            axum::Json(json!({ "id": id })).into_response()
        }
        ("POST", true, _, ["statuses", sha]) => {
            w.statuses.push((sha.to_string(), body.clone()));
            (StatusCode::CREATED, axum::Json(body)).into_response()
        }
        _ => {
            let what = format!("{m} {path_and_query}");
            w.unexpected.push(what.clone());
            github_error(500, &format!("the fake GitHub has no route for {what}"))
        }
    }
}

fn number_exists(w: &World, n: u64) -> bool {
    w.pulls.iter().any(|p| p.number == n) || w.issues.iter().any(|i| i.number == n)
}

fn head_sha(w: &World, branch: &str) -> Option<String> {
    let bare = w.bare_repo.as_ref()?;
    let repo = git2::Repository::open_bare(bare).ok()?;
    let oid = repo.refname_to_id(&format!("refs/heads/{branch}")).ok()?;
    Some(oid.to_string())
}

fn tree_of(w: &World, branch: &str) -> Option<String> {
    let bare = w.bare_repo.as_ref()?;
    let repo = git2::Repository::open_bare(bare).ok()?;
    let oid = repo.refname_to_id(&format!("refs/heads/{branch}")).ok()?;
    Some(repo.find_commit(oid).ok()?.tree_id().to_string())
}

fn list_pulls(w: &World, query: &BTreeMap<String, String>, path: &str) -> Response {
    let state = query.get("state").map(String::as_str).unwrap_or("open");
    let head = query.get("head").cloned();
    let base = query.get("base").cloned();
    let owner_prefix = format!("{}:", w.owner);
    let mut items: Vec<&Pull> = w
        .pulls
        .iter()
        .filter(|p| state == "all" || p.state == state)
        .filter(|p| {
            head.as_ref()
                .is_none_or(|h| h.strip_prefix(&owner_prefix) == Some(p.head.as_str()))
        })
        .filter(|p| base.as_ref().is_none_or(|b| *b == p.base))
        .collect();
    items.sort_by_key(|p| std::cmp::Reverse(p.number));
    let items = items.into_iter().map(|p| pull_json(w, p)).collect();
    paginate(w, items, query, path)
}

fn create_pull(w: &mut World, login: &str, body: &Value) -> Response {
    let head = body["head"].as_str().unwrap_or_default().to_owned();
    let base = body["base"].as_str().unwrap_or_default().to_owned();
    if w.bare_repo.is_some() {
        let (Some(head_tree), Some(base_tree)) = (tree_of(w, &head), tree_of(w, &base)) else {
            return github_error(422, "Validation Failed; head or base branch does not exist");
        };
        if head_tree == base_tree {
            return github_error(
                422,
                &format!("Validation Failed; No commits between {base} and {head}"),
            );
        }
    }
    if w.pulls
        .iter()
        .any(|p| p.state == "open" && p.head == head && p.base == base)
    {
        return github_error(
            422,
            &format!(
                "Validation Failed; A pull request already exists for {}:{head}.",
                w.owner
            ),
        );
    }
    let number = w.next_number;
    w.next_number += 1;
    let pull = Pull {
        number,
        title: body["title"].as_str().unwrap_or_default().into(),
        body: body["body"].as_str().unwrap_or_default().into(),
        state: "open".into(),
        merged: false,
        head,
        base,
        author: login.into(),
        labels: Vec::new(),
    };
    let json = pull_json(w, &pull);
    w.pulls.push(pull);
    (StatusCode::CREATED, axum::Json(json)).into_response()
}

fn edit_pull(w: &mut World, n: &str, body: &Value) -> Response {
    let n: u64 = n.parse().unwrap_or(0);
    let Some(i) = w.pulls.iter().position(|p| p.number == n) else {
        return github_error(404, "Not Found");
    };
    let pull = &mut w.pulls[i];
    if let Some(t) = body["title"].as_str() {
        pull.title = t.into();
    }
    if let Some(b) = body["body"].as_str() {
        pull.body = b.into();
    }
    if let Some(s) = body["state"].as_str() {
        pull.state = s.into();
    }
    let pull = pull.clone();
    axum::Json(pull_json(w, &pull)).into_response()
}

fn paginate(
    w: &World,
    items: Vec<Value>,
    query: &BTreeMap<String, String>,
    path: &str,
) -> Response {
    let per_page: usize = query
        .get("per_page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page: usize = query
        .get("page")
        .and_then(|p| p.parse().ok())
        .unwrap_or(1)
        .max(1);
    let start = (page - 1) * per_page;
    let slice: Vec<Value> = items.iter().skip(start).take(per_page).cloned().collect();
    let mut response = axum::Json(Value::Array(slice)).into_response();
    if start + per_page < items.len() {
        let (route, _) = path.split_once('?').unwrap_or((path, ""));
        let mut next_query = query.clone();
        next_query.insert("page".into(), (page + 1).to_string());
        next_query.insert("per_page".into(), per_page.to_string());
        let encoded: String = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(next_query.iter())
            .finish();
        let link = format!("<{}{route}?{encoded}>; rel=\"next\"", w.base_url);
        if let Ok(value) = HeaderValue::from_str(&link) {
            response.headers_mut().insert("link", value);
        }
    }
    response
}

fn user_json(login: &str) -> Value {
    json!({ "login": login, "type": if login.ends_with("[bot]") { "Bot" } else { "User" } })
}

fn pull_json(w: &World, p: &Pull) -> Value {
    let sha = |branch: &str| head_sha(w, branch).unwrap_or_else(|| "0".repeat(40));
    json!({
        "number": p.number,
        "html_url": format!("{}/{}/{}/pull/{}", w.base_url, w.owner, w.repo, p.number),
        "state": p.state,
        "title": p.title,
        "body": p.body,
        "merged_at": if p.merged { json!("2026-07-01T00:00:00Z") } else { Value::Null },
        "user": user_json(&p.author),
        "head": { "ref": p.head, "sha": sha(&p.head) },
        "base": { "ref": p.base, "sha": sha(&p.base) },
        "labels": p.labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>(),
    })
}

fn comment_json(w: &World, c: &FakeComment) -> Value {
    json!({
        "id": c.id,
        "body": c.body,
        "user": user_json(&c.author),
        "html_url": format!("{}/{}/{}/issues/{}#issuecomment-{}", w.base_url, w.owner, w.repo, c.issue, c.id),
    })
}

fn issue_json(w: &World, i: &FakeIssue) -> Value {
    json!({
        "number": i.number,
        "title": i.title,
        "body": i.body,
        "state": i.state,
        "user": user_json(&i.author),
        "html_url": format!("{}/{}/{}/issues/{}", w.base_url, w.owner, w.repo, i.number),
        "labels": i.labels.iter().map(|l| json!({"name": l})).collect::<Vec<_>>(),
    })
}
