//! Server, user and repository-search handlers.

use crate::api::API;
use crate::client::{Client, Req};
use crate::encode::segment;
use crate::error::Error;
use crate::models::{
    ApplicationProperties, Permission, RepoSearch, Repository, ServerInfo, User, UserQuery,
};
use crate::page::{Page, Paged};

/// Server-level calls.
///
/// ```no_run
/// # async fn demo(client: bitbucket_dc::Client) -> Result<(), bitbucket_dc::Error> {
/// let info = client.server().info().await?;
/// println!("Bitbucket {} as {:?}", info.properties.version, info.authenticated_user);
/// if !info.properties.is_at_least(7, 14, 0) {
///     println!("repository-scoped builds unavailable");
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ServerApi {
    client: Client,
}

impl ServerApi {
    pub(crate) fn new(client: Client) -> Self {
        ServerApi { client }
    }

    /// `GET application-properties`: version and build (no authentication required).
    pub async fn properties(&self) -> Result<ApplicationProperties, Error> {
        Ok(self.info().await?.properties)
    }

    /// `GET application-properties` with the identity of the credential (`X-AUSERNAME`).
    pub async fn info(&self) -> Result<ServerInfo, Error> {
        let req = Req::get(format!("{API}/application-properties"));
        let method = req.method.clone();
        let path = req.path.clone();
        let raw = self.client.send(req).await?;
        let properties = crate::client::decode(&method, &path, &raw.body)?;
        Ok(ServerInfo {
            properties,
            authenticated_user: raw.authenticated_user(),
        })
    }

    /// The user name the credential authenticates as; see [`Client::whoami`].
    pub async fn whoami(&self) -> Result<Option<String>, Error> {
        Ok(self.info().await?.authenticated_user)
    }
}

/// User lookup.
///
/// ```no_run
/// # async fn demo(client: bitbucket_dc::Client) -> Result<(), bitbucket_dc::Error> {
/// use bitbucket_dc::{Permission, UserQuery};
/// let bot = client.users().get("renovate-bot").await?;
/// println!("{} <{:?}>", bot.display_name, bot.email_address);
/// // Who may write to PROJ/app?
/// let writers = client
///     .users()
///     .list(&UserQuery::new().repo_permission(Permission::RepoWrite, "PROJ", "app"))
///     .collect_all()
///     .await?;
/// # let _ = writers; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct UsersApi {
    client: Client,
}

impl UsersApi {
    pub(crate) fn new(client: Client) -> Self {
        UsersApi { client }
    }

    /// `GET users/{userSlug}`.
    pub async fn get(&self, slug: &str) -> Result<User, Error> {
        self.client
            .json(Req::get(format!("{API}/users/{}", segment(slug))))
            .await
    }

    /// `GET users?filter=&permission.N=…` (paged).
    pub fn list(&self, query: &UserQuery) -> Paged<User> {
        Paged::new(
            self.client.clone(),
            format!("{API}/users"),
            query.to_query(),
            Page::<User>::decode,
        )
    }
}

/// Repository search across projects: the way to check what the credential may do.
///
/// ```no_run
/// # async fn demo(client: bitbucket_dc::Client) -> Result<(), bitbucket_dc::Error> {
/// use bitbucket_dc::{Permission, RepoSearch};
/// let writable = client
///     .repositories()
///     .search(&RepoSearch::new().permission(Permission::RepoWrite).project_key("PROJ"))
///     .collect_all()
///     .await?;
/// let can_write = client.repositories().has_permission("PROJ", "app", Permission::RepoWrite).await?;
/// # let _ = (writable, can_write); Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct RepositoriesApi {
    client: Client,
}

impl RepositoriesApi {
    pub(crate) fn new(client: Client) -> Self {
        RepositoriesApi { client }
    }

    /// `GET repos?permission=&projectkey=&name=&state=` (paged).
    pub fn search(&self, search: &RepoSearch) -> Paged<Repository> {
        Paged::new(
            self.client.clone(),
            format!("{API}/repos"),
            search.to_query(),
            Page::<Repository>::decode,
        )
    }

    /// Whether the credential holds `permission` on `project_key/slug`: pages through
    /// `GET repos?permission=…&projectkey=…&archived=ALL` (any state, archived or not) and looks
    /// for the slug. Whether the server narrows this by an access token's own scope is not
    /// documented; treat a later 401 on a write as authoritative.
    pub async fn has_permission(
        &self,
        project_key: &str,
        slug: &str,
        permission: Permission,
    ) -> Result<bool, Error> {
        use futures_util::TryStreamExt as _;
        let mut query = RepoSearch::new()
            .permission(permission)
            .project_key(project_key)
            .state(None)
            .to_query();
        // Since 8.0 `/repos` leaves archived repositories out unless asked to include them.
        query.push(("archived".to_owned(), "ALL".to_owned()));
        let mut repos = Paged::new(
            self.client.clone(),
            format!("{API}/repos"),
            query,
            Page::<Repository>::decode,
        );
        while let Some(repo) = repos.try_next().await? {
            if repo.slug == slug && repo.project.key.eq_ignore_ascii_case(project_key) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
