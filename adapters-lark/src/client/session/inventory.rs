//! User groups and installed applications: `contact/v3/group/simplelist` (normal groups, then
//! dynamic ones: the listing returns one `type` per call, normal by default), each group's
//! members from `group/:id/member/simplelist` (users and departments in separate passes —
//! Lark lists one member type per request; dynamic groups have no department members), one group
//! from `group/:id`, and `application/v6/applications` with each app's availability from the
//! legacy `application/v2/app/visibility` (the only read of it `admin:app.info:readonly`
//! allows).

use aviary_domain::model::AppVisibility;
use aviary_domain::ports::{DirectoryError, Recheck, RemoteApp, RemoteGroup};
use aviary_domain::values::{GroupId, InstalledAppId};
use futures::{StreamExt, TryStreamExt};

use super::super::mapping::invalid;
use super::super::mapping_inventory as mapping;
use super::super::wire_inventory::{
    WireAppPage, WireGroupOne, WireGroupPage, WireMemberPage, WireVisibility,
};
use super::{DEPARTMENT_ID_TYPE, LarkSession, PageTokens, USER_ID_TYPE, next_page_token};
use aviary_domain::model::GroupKind;

/// Lark's maximum `page_size` for groups and group members.
const GROUP_PAGE_SIZE: usize = 100;
/// Lark's maximum `page_size` for installed apps.
const APP_PAGE_SIZE: usize = 50;
/// Lark's maximum `user_page_size` for an app's availability.
const VISIBILITY_PAGE_SIZE: &str = "1000";
/// The language app names come back in (`lang` is marked required).
const LANG: (&str, &str) = ("lang", "en_us");
/// `42002`: Lark does not know a group id.
const GROUP_INVALID: i64 = 42_002;
/// `50003`: the v2 availability API does not know the app id (sent with HTTP 200).
const VISIBILITY_APP_INVALID: i64 = 50_003;
/// Lark's group `type` values.
const NORMAL: &str = "1";
const DYNAMIC: &str = "2";

/// A paged listing: its items and the next token.
type Page<T> = (Vec<T>, Option<String>);

impl LarkSession {
    /// One page of group objects of one `type`.
    async fn group_page(
        &self,
        kind: &str,
        size: usize,
        page_token: Option<&str>,
    ) -> Result<Page<serde_json::Value>, DirectoryError> {
        const API: &str = "group/simplelist";
        let size = size.to_string();
        let mut query = vec![("page_size", size.as_str()), ("type", kind)];
        if let Some(token) = page_token {
            query.push(("page_token", token));
        }
        let url = self
            .transport
            .url(&["contact", "v3", "group", "simplelist"], &query);
        let page: WireGroupPage = self.transport.get_data(API, url, "the user groups").await?;
        let items = page
            .grouplist
            .ok_or_else(|| invalid(format!("the {API} answer has no grouplist")))?;
        let next = next_page_token(API, page.has_more, page.page_token, page_token)?;
        Ok((items, next))
    }

    /// Every group object of one `type`, all pages.
    async fn group_items(&self, kind: &str) -> Result<Vec<serde_json::Value>, DirectoryError> {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        let mut tokens = PageTokens::default();
        loop {
            let (items, next) = self
                .group_page(kind, GROUP_PAGE_SIZE, token.as_deref())
                .await?;
            all.extend(items);
            match next {
                Some(next) => token = Some(tokens.follow("group/simplelist", next)?),
                None => return Ok(all),
            }
        }
    }

    /// Every member id of one type (`user` as open ids, `department` as open department ids).
    async fn members(
        &self,
        id: &GroupId,
        member_type: &str,
    ) -> Result<Vec<String>, DirectoryError> {
        const API: &str = "group/member/simplelist";
        let resource = format!("group {id}");
        let size = GROUP_PAGE_SIZE.to_string();
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        let mut tokens = PageTokens::default();
        loop {
            // `open_id` is also the name of the open department id for department members.
            let mut query = vec![
                ("member_type", member_type),
                ("member_id_type", "open_id"),
                ("page_size", size.as_str()),
            ];
            if let Some(token) = &token {
                query.push(("page_token", token));
            }
            let url = self.transport.url(
                &[
                    "contact",
                    "v3",
                    "group",
                    id.as_str(),
                    "member",
                    "simplelist",
                ],
                &query,
            );
            let page: WireMemberPage = self.transport.get_data(API, url, &resource).await?;
            let members = page
                .memberlist
                .ok_or_else(|| invalid(format!("the {API} answer has no memberlist")))?;
            ids.extend(
                members
                    .into_iter()
                    .filter(|m| m.member_type.as_deref().is_none_or(|t| t == member_type))
                    .filter_map(|m| m.member_id),
            );
            match tokens.next(API, page.has_more, page.page_token)? {
                Some(next) => token = Some(next),
                None => return Ok(ids),
            }
        }
    }

    /// A group object with its members; `None` when the group vanished meanwhile (42002).
    async fn with_members(
        &self,
        item: serde_json::Value,
    ) -> Result<Option<RemoteGroup>, DirectoryError> {
        let (id, kind) = mapping::group_id_of(&item)?;
        let users = match self.members(&id, "user").await {
            Err(DirectoryError::Api {
                code: GROUP_INVALID,
                ..
            }) => return Ok(None),
            other => other?,
        };
        let departments = if kind == GroupKind::Dynamic {
            Vec::new()
        } else {
            match self.members(&id, "department").await {
                Err(DirectoryError::Api {
                    code: GROUP_INVALID,
                    ..
                }) => return Ok(None),
                other => other?,
            }
        };
        mapping::group_from_item(item, &users, &departments).map(Some)
    }

    /// Every group the app may see, normal then dynamic, with their members (groups listed
    /// concurrently, in order).
    pub(super) async fn all_groups(&self) -> Result<Vec<RemoteGroup>, DirectoryError> {
        let mut items = self.group_items(NORMAL).await?;
        items.extend(self.group_items(DYNAMIC).await?);
        let mut seen = std::collections::HashSet::new();
        items.retain(|item| mapping::group_id_of(item).map_or(true, |(id, _)| seen.insert(id)));
        let requests: Vec<_> = items
            .into_iter()
            .map(|item| self.with_members(item))
            .collect();
        let groups: Vec<Option<RemoteGroup>> = futures::stream::iter(requests)
            .buffered(self.concurrency())
            .try_collect()
            .await?;
        Ok(groups.into_iter().flatten().collect())
    }

    /// One group asked for directly: gone (42002), outside the contact range (42009 and the
    /// other authority refusals), or found with its members.
    pub(super) async fn one_group(
        &self,
        id: &GroupId,
    ) -> Result<Recheck<RemoteGroup>, DirectoryError> {
        const API: &str = "group/get";
        let url = self.transport.url(
            &["contact", "v3", "group", id.as_str()],
            &[USER_ID_TYPE, DEPARTMENT_ID_TYPE],
        );
        let one = match self
            .transport
            .get_data::<WireGroupOne>(API, url, &format!("group {id}"))
            .await
            .map_err(DirectoryError::from)
        {
            Ok(one) => one,
            Err(DirectoryError::NoAuthority { .. }) => return Ok(Recheck::OutOfRange),
            Err(DirectoryError::Api {
                code: GROUP_INVALID,
                ..
            }) => return Ok(Recheck::Gone),
            Err(other) => return Err(other),
        };
        let mut item = one
            .group
            .ok_or_else(|| invalid(format!("the {API} answer has no group")))?;
        // `group/:id` may leave `id` out of the object it returns; it is the one asked for.
        if let Some(object) = item.as_object_mut() {
            object
                .entry("id")
                .or_insert_with(|| serde_json::Value::String(id.as_str().to_owned()));
        }
        match self.with_members(item).await {
            Ok(Some(group)) => Ok(Recheck::Found(group)),
            Ok(None) => Ok(Recheck::Gone),
            Err(DirectoryError::NoAuthority { .. }) => Ok(Recheck::OutOfRange),
            Err(other) => Err(other),
        }
    }

    /// One page of installed apps.
    async fn app_page(
        &self,
        size: usize,
        page_token: Option<&str>,
    ) -> Result<Page<serde_json::Value>, DirectoryError> {
        const API: &str = "application/list";
        let size = size.to_string();
        let mut query = vec![LANG, USER_ID_TYPE, ("page_size", size.as_str())];
        if let Some(token) = page_token {
            query.push(("page_token", token));
        }
        let url = self
            .transport
            .url(&["application", "v6", "applications"], &query);
        let page: WireAppPage = self
            .transport
            .get_data(API, url, "the installed apps")
            .await?;
        let items = page
            .app_list
            .ok_or_else(|| invalid(format!("the {API} answer has no app_list")))?;
        let next = next_page_token(API, page.has_more, page.page_token, page_token)?;
        Ok((items, next))
    }

    /// Who may use an app, all user pages; `None` when Lark will not say for this app (an app
    /// the legacy API does not know, 50003, or a refused permission).
    async fn visibility(
        &self,
        app_id: &InstalledAppId,
    ) -> Result<Option<AppVisibility>, DirectoryError> {
        const API: &str = "application/visibility";
        let resource = format!("app {app_id}");
        let mut visibility = None;
        let mut token: Option<String> = None;
        let mut tokens = PageTokens::default();
        loop {
            let mut query = vec![
                ("app_id", app_id.as_str()),
                ("user_page_size", VISIBILITY_PAGE_SIZE),
            ];
            if let Some(token) = &token {
                query.push(("user_page_token", token));
            }
            let url = self
                .transport
                .url(&["application", "v2", "app", "visibility"], &query);
            let page: WireVisibility = match self.transport.get_data(API, url, &resource).await {
                Ok(page) => page,
                Err(err) => match DirectoryError::from(err) {
                    DirectoryError::Api {
                        code: VISIBILITY_APP_INVALID,
                        ..
                    }
                    | DirectoryError::MissingScope { .. }
                    | DirectoryError::NoAuthority { .. } => return Ok(None),
                    other => return Err(other),
                },
            };
            let (more, next) = (page.has_more_users, page.user_page_token.clone());
            mapping::extend_visibility(&mut visibility, page);
            match tokens.next(API, more, next)? {
                Some(next) => token = Some(next),
                None => return Ok(visibility),
            }
        }
    }

    async fn app_with_visibility(
        &self,
        item: serde_json::Value,
    ) -> Result<RemoteApp, DirectoryError> {
        let bare = mapping::app_from_item(item, None)?;
        let visibility = self.visibility(&bare.state.app_id).await?;
        Ok(RemoteApp {
            state: aviary_domain::model::AppState {
                visibility,
                ..bare.state
            },
            raw: bare.raw,
        })
    }

    /// Every installed app with its availability (apps asked about concurrently, in order).
    pub(super) async fn all_apps(&self) -> Result<Vec<RemoteApp>, DirectoryError> {
        let mut items = Vec::new();
        let mut token: Option<String> = None;
        let mut tokens = PageTokens::default();
        loop {
            let (page, next) = self.app_page(APP_PAGE_SIZE, token.as_deref()).await?;
            items.extend(page);
            match next {
                Some(next) => token = Some(tokens.follow("application/list", next)?),
                None => break,
            }
        }
        let requests: Vec<_> = items
            .into_iter()
            .map(|item| self.app_with_visibility(item))
            .collect();
        let apps: Vec<RemoteApp> = futures::stream::iter(requests)
            .buffered(self.concurrency())
            .try_collect()
            .await?;
        let mut seen = std::collections::HashSet::new();
        Ok(apps
            .into_iter()
            .filter(|a| seen.insert(a.state.app_id.clone()))
            .collect())
    }

    /// Up to `limit` normal groups from one page, without members (the doctor's probe).
    pub(super) async fn first_groups(
        &self,
        limit: usize,
    ) -> Result<Vec<RemoteGroup>, DirectoryError> {
        let (items, _) = self
            .group_page(NORMAL, limit.clamp(1, GROUP_PAGE_SIZE), None)
            .await?;
        items
            .into_iter()
            .map(|item| mapping::group_from_item(item, &[], &[]))
            .collect()
    }

    /// Up to `limit` installed apps from one page, without availability (the doctor's probe).
    pub(super) async fn first_apps(&self, limit: usize) -> Result<Vec<RemoteApp>, DirectoryError> {
        let (items, _) = self.app_page(limit.clamp(1, APP_PAGE_SIZE), None).await?;
        items
            .into_iter()
            .map(|item| mapping::app_from_item(item, None))
            .collect()
    }
}
