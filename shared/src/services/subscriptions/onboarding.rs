//! Onboarding: DataPass (or the platform) subscribing an organisation the referential does not
//! know yet creates it, as an instructing service named from the directory of French
//! establishments, else from the request's `subscriber.name`, else "à compléter" for the
//! national administrator. Decisions: docs/API-REFERENTIAL.md, "Onboarding".

use super::body::SubscriptionBody;
use crate::{
    auth::Claims,
    domain::{OrgType, Organisation, Scope, Siret},
    state::AppState,
};

/// Who may subscribe an organisation the referential does not know, creating it: DataPass,
/// whose habilitation vouches for the organisation, and the platform.
pub(super) fn may_onboard(caller: &Claims) -> bool {
    matches!(caller.scope, Scope::Datapass | Scope::Admin)
}

/// The name of an organisation nobody could name, until the national administrator completes it.
pub(super) fn placeholder_name(siret: &Siret) -> String {
    format!("À compléter (SIRET {siret})")
}

/// The organisation to create for the subscriber of `new`, which the referential does not know:
/// an instructing service named by the directory, else by the request, else a placeholder with
/// `to_complete`. The directory is asked once; when it fails, onboarding goes on as if it knew
/// nothing (logged).
pub(super) async fn newcomer(state: &AppState, new: &SubscriptionBody) -> Organisation {
    let found = match state.directory.establishment(&new.siret).await {
        Ok(found) => found,
        Err(e) => {
            tracing::warn!(siret = %new.siret, kind = %e, "onboarding goes on without the directory of establishments");
            None
        }
    };
    if found.as_ref().is_some_and(|e| e.closed) {
        tracing::warn!(siret = %new.siret, "the directory says the establishment being onboarded is closed");
    }
    let (name, to_complete) = match (found, &new.organisation_name) {
        (Some(establishment), _) => (establishment.name, false),
        (None, Some(given)) => (given.clone(), false),
        (None, None) => (placeholder_name(&new.siret), true),
    };
    Organisation { to_complete, ..Organisation::new(new.siret.clone(), new.branch_code.clone(), name, OrgType::Si) }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use async_trait::async_trait;
    use serde_json::json;

    use super::{super::body::*, *};
    use crate::{
        domain::BranchCode,
        ports::{Directory, DirectoryError, Establishment},
    };

    /// A directory answering the same thing to every lookup.
    struct Answering(fn(&Siret) -> Result<Option<Establishment>, DirectoryError>);

    #[async_trait]
    impl Directory for Answering {
        async fn establishment(&self, siret: &Siret) -> Result<Option<Establishment>, DirectoryError> {
            (self.0)(siret)
        }
    }

    fn body(name: Option<&str>) -> SubscriptionBody {
        let mut subscriber = json!({"type": "SI", "companyRegister": "21690266800013", "branchCode": "69266"});
        if let Some(name) = name {
            subscriber["name"] = json!(name);
        }
        let body = json!({
            "datapassId": 1, "processCode": "CERTDC", "subscriber": subscriber, "notificationFrequency": "unitaire",
            "localAdministrator": {"firstName": "Claire", "lastName": "MAIRE", "email": "claire@villeurbanne.fr"}
        });
        parse_body("POST /s", &body, Purpose::Create, None).unwrap()
    }

    fn knows(siret: &Siret) -> Result<Option<Establishment>, DirectoryError> {
        Ok(Some(Establishment {
            siret: siret.clone(),
            name: "COMMUNE DE VILLEURBANNE".into(),
            commune: Some("VILLEURBANNE".into()),
            postcode: None,
            closed: false,
        }))
    }

    fn knows_nothing(_: &Siret) -> Result<Option<Establishment>, DirectoryError> {
        Ok(None)
    }

    fn fails(_: &Siret) -> Result<Option<Establishment>, DirectoryError> {
        Err(anyhow::anyhow!("it answered 503").into())
    }

    async fn named(
        directory: fn(&Siret) -> Result<Option<Establishment>, DirectoryError>,
        given: Option<&str>,
    ) -> (String, bool) {
        let dir = tempfile::tempdir().unwrap();
        let state =
            crate::state::AppState { directory: Arc::new(Answering(directory)), ..crate::testkit::state(dir.path()) };
        let org = newcomer(&state, &body(given)).await;
        assert_eq!((org.org_type, org.branch_code.clone()), (OrgType::Si, BranchCode::parse("69266").unwrap()));
        assert!(!org.is_closed() && org.code.is_none() && org.contacts.is_empty());
        (org.name, org.to_complete)
    }

    #[tokio::test]
    async fn the_directory_names_the_newcomer_else_the_request_else_it_is_to_complete() {
        let directory_name = ("COMMUNE DE VILLEURBANNE".to_owned(), false);
        assert_eq!(named(knows, None).await, directory_name);
        assert_eq!(named(knows, Some("Mairie de Villeurbanne")).await, directory_name, "the directory comes first");
        let given = ("Mairie de Villeurbanne".to_owned(), false);
        assert_eq!(named(knows_nothing, Some(" Mairie de Villeurbanne ")).await, given);
        assert_eq!(named(fails, Some("Mairie de Villeurbanne")).await, given, "a failing directory is no directory");
        let placeholder = ("À compléter (SIRET 21690266800013)".to_owned(), true);
        assert_eq!(named(knows_nothing, None).await, placeholder);
        assert_eq!(named(fails, None).await, placeholder);
        assert_eq!(named(knows_nothing, Some("   ")).await, placeholder, "a blank name is no name");
    }
}
