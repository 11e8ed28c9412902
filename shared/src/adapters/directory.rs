//! The directory of French establishments: `HttpDirectory` asks the public "recherche
//! d'entreprises" API (`https://recherche-entreprises.api.gouv.fr`, `HUBEE_DIRECTORY_URL`);
//! `NoDirectory`, for a hub configured without one, knows no establishment.

use std::time::Duration;

use anyhow::{Context, anyhow};
use async_trait::async_trait;
use serde::Deserialize;

use crate::{
    domain::Siret,
    ports::{Directory, DirectoryError, Establishment},
};

/// How long a lookup may take, connection included. Onboarding waits for it before answering
/// DataPass, and goes on without the directory past it.
pub const DIRECTORY_TIMEOUT: Duration = Duration::from_secs(3);

/// The directory of a hub configured without one: every lookup finds nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoDirectory;

#[async_trait]
impl Directory for NoDirectory {
    async fn establishment(&self, _: &Siret) -> Result<Option<Establishment>, DirectoryError> {
        Ok(None)
    }
}

/// The "recherche d'entreprises" API: `GET <base>/search?q=<siret>`, whose answer lists legal
/// units with their head office (`siege`) and the establishments the query matched
/// (`matching_etablissements`). Only an establishment with exactly the SIRET asked counts: a
/// text search may match other units.
#[derive(Clone, Debug)]
pub struct HttpDirectory {
    client: reqwest::Client,
    search: reqwest::Url,
}

impl HttpDirectory {
    /// A client of the API at `base_url` (`https://recherche-entreprises.api.gouv.fr`; `/search`
    /// is appended to its path), each lookup bounded by `timeout`.
    ///
    /// # Errors
    /// When `base_url` is not an http(s) URL, or the HTTP client cannot be built.
    pub fn new(base_url: &str, timeout: Duration) -> anyhow::Result<Self> {
        let mut search = reqwest::Url::parse(base_url).with_context(|| {
            format!(
                "HUBEE_DIRECTORY_URL must be a URL such as https://recherche-entreprises.api.gouv.fr, not {base_url:?}"
            )
        })?;
        if !matches!(search.scheme(), "https" | "http") || search.cannot_be_a_base() || search.host_str().is_none() {
            anyhow::bail!("HUBEE_DIRECTORY_URL must be an http(s) URL, not {base_url:?}");
        }
        let path = format!("{}/search", search.path().trim_end_matches('/'));
        search.set_path(&path);
        search.set_query(None);
        search.set_fragment(None);
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .user_agent(concat!("HubEE/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the directory's HTTP client")?;
        Ok(Self { client, search })
    }
}

#[async_trait]
impl Directory for HttpDirectory {
    async fn establishment(&self, siret: &Siret) -> Result<Option<Establishment>, DirectoryError> {
        let mut url = self.search.clone();
        url.query_pairs_mut().append_pair("q", siret.as_str());
        let response = self.client.get(url).send().await.context("the request failed")?;
        let status = response.status();
        if !status.is_success() {
            return Err(anyhow!("it answered {status}").into());
        }
        let body = response.bytes().await.context("reading the answer failed")?;
        let answer: SearchAnswer = serde_json::from_slice(&body).context("the answer is not the search API's JSON")?;
        Ok(answer.establishment(siret))
    }
}

/// What the hub reads of the API's answer; everything else is ignored.
#[derive(Debug, Deserialize)]
struct SearchAnswer {
    results: Vec<LegalUnit>,
}

#[derive(Debug, Deserialize)]
struct LegalUnit {
    #[serde(default)]
    nom_complet: Option<String>,
    #[serde(default)]
    nom_raison_sociale: Option<String>,
    #[serde(default)]
    siege: Option<Place>,
    #[serde(default)]
    matching_etablissements: Option<Vec<Place>>,
}

#[derive(Debug, Deserialize)]
struct Place {
    #[serde(default)]
    siret: Option<String>,
    /// `A` (active) or `F` (closed).
    #[serde(default)]
    etat_administratif: Option<String>,
    #[serde(default)]
    libelle_commune: Option<String>,
    #[serde(default)]
    code_postal: Option<String>,
}

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

impl SearchAnswer {
    /// The establishment with exactly this SIRET, among the units' matched establishments and
    /// head offices, if its unit has a name.
    fn establishment(self, siret: &Siret) -> Option<Establishment> {
        self.results.into_iter().find_map(|unit| {
            let place = unit
                .matching_etablissements
                .into_iter()
                .flatten()
                .chain(unit.siege)
                .find(|p| p.siret.as_deref() == Some(siret.as_str()))?;
            let name = non_empty(unit.nom_complet).or_else(|| non_empty(unit.nom_raison_sociale))?;
            Some(Establishment {
                siret: siret.clone(),
                name,
                commune: non_empty(place.libelle_commune),
                postcode: non_empty(place.code_postal),
                closed: place.etat_administratif.as_deref() == Some("F"),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Instant};

    use serde_json::json;

    use super::*;
    use crate::testkit::directory::{Behaviour, FakeDirectory, conformance};

    fn siret(s: &str) -> Siret {
        Siret::parse(s).unwrap()
    }

    #[tokio::test]
    async fn the_http_directory_passes_the_conformance_suite_on_the_fake_api() {
        let fake = FakeDirectory::start().await;
        let directory = HttpDirectory::new(&fake.url(), Duration::from_secs(2)).unwrap();
        conformance(Arc::new(directory), &fake).await;
    }

    #[tokio::test]
    async fn a_directory_that_fails_or_stalls_is_an_error_within_the_timeout() {
        let fake = FakeDirectory::start().await;
        let directory = HttpDirectory::new(&fake.url(), Duration::from_millis(300)).unwrap();
        let mairie = siret("21690266800013");
        for behaviour in [Behaviour::Status(500), Behaviour::Status(429), Behaviour::Status(404), Behaviour::Garbage] {
            fake.behave(behaviour.clone());
            let failed = directory.establishment(&mairie).await;
            assert!(failed.is_err(), "{behaviour:?}: {failed:?}");
        }
        fake.behave(Behaviour::Stall(Duration::from_secs(5)));
        let started = Instant::now();
        let failed = directory.establishment(&mairie).await.unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(2), "gave up after {:?}", started.elapsed());
        assert!(failed.to_string().contains("did not answer"), "{failed}");

        // Nobody listening: an error too, not a wait.
        let closed = HttpDirectory::new(&format!("http://{}", fake.addr()), Duration::from_millis(300)).unwrap();
        drop(fake);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(closed.establishment(&mairie).await.is_err());
    }

    #[test]
    fn the_base_url_gets_the_search_path_and_must_be_http() {
        let d = HttpDirectory::new("https://recherche-entreprises.api.gouv.fr", DIRECTORY_TIMEOUT).unwrap();
        assert_eq!(d.search.as_str(), "https://recherche-entreprises.api.gouv.fr/search");
        let d = HttpDirectory::new("http://127.0.0.1:9/proxy/?x=1", DIRECTORY_TIMEOUT).unwrap();
        assert_eq!(d.search.as_str(), "http://127.0.0.1:9/proxy/search");
        for wrong in ["recherche-entreprises.api.gouv.fr", "ftp://example.org", "mailto:a@b.fr", ""] {
            assert!(HttpDirectory::new(wrong, DIRECTORY_TIMEOUT).is_err(), "{wrong}");
        }
    }

    #[test]
    fn only_the_establishment_with_the_siret_asked_is_taken_with_its_units_name() {
        let asked = siret("21690266800013");
        let answer = |value: serde_json::Value| serde_json::from_value::<SearchAnswer>(value).unwrap();
        // Another unit first, a head office elsewhere, nulls and empty names where the API has them.
        let found = answer(json!({"results": [
            {"siren": "356000000", "nom_complet": "LA POSTE", "siege": {"siret": "35600000000048"},
             "matching_etablissements": null},
            {"siren": "216902668", "nom_complet": "  ", "nom_raison_sociale": "COMMUNE DE VILLEURBANNE",
             "siege": {}, "matching_etablissements": [
                {"siret": "21690266800021", "etat_administratif": "A"},
                {"siret": "21690266800013", "etat_administratif": "F", "libelle_commune": "VILLEURBANNE",
                 "code_postal": "69100"}]}
        ], "total_results": 2}))
        .establishment(&asked)
        .unwrap();
        assert_eq!(
            found,
            Establishment {
                siret: asked.clone(),
                name: "COMMUNE DE VILLEURBANNE".into(),
                commune: Some("VILLEURBANNE".into()),
                postcode: Some("69100".into()),
                closed: true,
            }
        );
        let head_office = answer(json!({"results": [{"nom_complet": "COMMUNE DE VILLEURBANNE",
            "siege": {"siret": "21690266800013", "etat_administratif": "A"}, "matching_etablissements": []}]}));
        assert_eq!(
            head_office.establishment(&asked).map(|e| (e.name, e.closed)),
            Some(("COMMUNE DE VILLEURBANNE".into(), false))
        );
        assert_eq!(answer(json!({"results": [], "total_results": 0})).establishment(&asked), None);
        let unnamed = answer(json!({"results": [{"siege": {"siret": "21690266800013"}}]}));
        assert_eq!(unnamed.establishment(&asked), None, "an establishment without a name is as good as unknown");
        assert!(
            serde_json::from_value::<SearchAnswer>(json!({"erreur": "Veuillez indiquer au moins un paramètre"}))
                .is_err()
        );
    }
}
