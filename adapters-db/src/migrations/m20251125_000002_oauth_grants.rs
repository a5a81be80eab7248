//! OAuth: `oauth_logins` (logins in progress, keyed by their single-use `state`) and `grants`
//! (one per integration). Both hold secrets only as AES-256-GCM ciphertexts (the PKCE verifier;
//! the access and refresh tokens together) and go with their integration (`ON DELETE CASCADE`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{
    big_integer, big_integer_null, binary, string_len, text, text_null, uuid,
};

#[derive(DeriveMigrationName)]
pub(super) struct Migration;

#[derive(DeriveIden)]
enum Integrations {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum OauthLogins {
    Table,
    State,
    IntegrationId,
    StartedBy,
    VerifierCiphertext,
    VerifierNonce,
    VerifierKeyId,
    RedirectUri,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Grants {
    Table,
    IntegrationId,
    TokensCiphertext,
    TokensNonce,
    TokensKeyId,
    AccessExpiresAt,
    RefreshExpiresAt,
    Scopes,
    AuthorizedOpenId,
    AuthorizedName,
    AuthorizedEmail,
    TenantKey,
    GrantedAt,
    Generation,
}

fn cascade(name: &str, table: impl IntoIden, col: impl IntoIden) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(table, col)
        .to(Integrations::Table, Integrations::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(OauthLogins::Table)
                    .if_not_exists()
                    .col(string_len(OauthLogins::State, 64).primary_key())
                    .col(uuid(OauthLogins::IntegrationId))
                    .col(text(OauthLogins::StartedBy))
                    .col(binary(OauthLogins::VerifierCiphertext))
                    .col(binary(OauthLogins::VerifierNonce))
                    .col(string_len(OauthLogins::VerifierKeyId, 64))
                    .col(text(OauthLogins::RedirectUri))
                    .col(big_integer(OauthLogins::ExpiresAt))
                    .foreign_key(&mut cascade(
                        "fk_oauth_logins_integration",
                        OauthLogins::Table,
                        OauthLogins::IntegrationId,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_oauth_logins_expires_at")
                    .table(OauthLogins::Table)
                    .col(OauthLogins::ExpiresAt)
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Grants::Table)
                    .if_not_exists()
                    .col(uuid(Grants::IntegrationId).primary_key())
                    .col(binary(Grants::TokensCiphertext))
                    .col(binary(Grants::TokensNonce))
                    .col(string_len(Grants::TokensKeyId, 64))
                    .col(big_integer(Grants::AccessExpiresAt))
                    .col(big_integer_null(Grants::RefreshExpiresAt))
                    .col(text(Grants::Scopes))
                    .col(string_len(Grants::AuthorizedOpenId, 128))
                    .col(text(Grants::AuthorizedName))
                    .col(text_null(Grants::AuthorizedEmail))
                    .col(text(Grants::TenantKey))
                    .col(big_integer(Grants::GrantedAt))
                    .col(big_integer(Grants::Generation))
                    .foreign_key(&mut cascade(
                        "fk_grants_integration",
                        Grants::Table,
                        Grants::IntegrationId,
                    ))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [Grants::Table.into_iden(), OauthLogins::Table.into_iden()] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }
}
