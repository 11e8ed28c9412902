//! The `Directory` conformance suite, and `FakeDirectory`: a stand-in for the "recherche
//! d'entreprises" API on 127.0.0.1, answering `GET /search?q=<siret>` with JSON shaped like the
//! real API's (legal units with `nom_complet`, `siege` and `matching_etablissements`), or
//! failing as asked. Tests and the black-box suites point the hub at it: no test reaches the
//! network.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Json, Router,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::get,
};
use serde_json::{Value, json};

use crate::{
    domain::Siret,
    ports::{Directory, Establishment},
};

/// How the fake answers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Behaviour {
    /// As the API does: the establishments it was told of.
    Answer,
    /// This status, with the API's error body.
    Status(u16),
    /// 200 with a body that is not JSON.
    Garbage,
    /// Waits this long before answering.
    Stall(Duration),
}

struct Inner {
    known: Vec<Establishment>,
    behaviour: Behaviour,
    lookups: usize,
}

type Shared = Arc<Mutex<Inner>>;

/// The fake API, serving until dropped.
pub struct FakeDirectory {
    addr: SocketAddr,
    inner: Shared,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeDirectory {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl FakeDirectory {
    /// Starts the fake on a free port of 127.0.0.1, knowing no establishment.
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner { known: Vec::new(), behaviour: Behaviour::Answer, lookups: 0 }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = Router::new().route("/search", get(search)).with_state(inner.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, inner, server }
    }

    /// The base URL to configure (`HUBEE_DIRECTORY_URL`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The directory knows this establishment from now on (replacing what it knew of its SIRET).
    pub fn know(&self, establishment: Establishment) {
        let mut inner = self.inner();
        inner.known.retain(|e| e.siret != establishment.siret);
        inner.known.push(establishment);
    }

    /// An open establishment named `name` in `commune`.
    pub fn know_open(&self, siret: &str, name: &str, commune: &str) {
        self.know(Establishment {
            siret: Siret::parse(siret).unwrap(),
            name: name.into(),
            commune: Some(commune.into()),
            postcode: None,
            closed: false,
        });
    }

    pub fn behave(&self, behaviour: Behaviour) {
        self.inner().behaviour = behaviour;
    }

    /// How many searches it was asked.
    pub fn lookups(&self) -> usize {
        self.inner().lookups
    }
}

/// An establishment in the API's shape.
fn place(e: &Establishment) -> Value {
    json!({
        "siret": e.siret.as_str(),
        "etat_administratif": if e.closed { "F" } else { "A" },
        "libelle_commune": e.commune,
        "code_postal": e.postcode,
        "commune": null,
        "date_fermeture": if e.closed { Some("2024-01-01") } else { None },
        "est_siege": false,
        "liste_enseignes": null
    })
}

/// `GET /search?q=…`: the legal unit of the establishment whose SIRET is `q`, after an unrelated
/// unit (the API ranks text matches, so a client must look for the SIRET, not take the first
/// result); nothing for an unknown SIRET.
async fn search(State(inner): State<Shared>, Query(query): Query<Vec<(String, String)>>) -> Response {
    let (behaviour, found) = {
        let mut inner = inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        inner.lookups += 1;
        let q = query.iter().find(|(k, _)| k == "q").map(|(_, v)| v.as_str()).unwrap_or_default();
        (inner.behaviour.clone(), inner.known.iter().find(|e| e.siret.as_str() == q).cloned())
    };
    match behaviour {
        Behaviour::Answer => {}
        Behaviour::Status(status) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            return (status, Json(json!({"erreur": "Erreur simulée"}))).into_response();
        }
        Behaviour::Garbage => return (StatusCode::OK, "<html>Maintenance</html>").into_response(),
        Behaviour::Stall(delay) => tokio::time::sleep(delay).await,
    }
    let Some(e) = found else {
        return Json(json!({"results": [], "total_results": 0, "page": 1, "per_page": 10, "total_pages": 0}))
            .into_response();
    };
    let siren = &e.siret.as_str()[..9];
    let decoy = json!({
        "siren": "356000000", "nom_complet": "LA POSTE", "nom_raison_sociale": "LA POSTE",
        "siege": {"siret": "35600000000048", "etat_administratif": "A", "libelle_commune": "PARIS 15"},
        "matching_etablissements": [], "etat_administratif": "A", "nature_juridique": "5510"
    });
    let unit = json!({
        "siren": siren,
        "nom_complet": e.name,
        "nom_raison_sociale": e.name,
        "siege": {"siret": format!("{siren}99999"), "etat_administratif": "A", "est_siege": true},
        "matching_etablissements": [place(&e)],
        "etat_administratif": "A",
        "nature_juridique": "7210",
        "nombre_etablissements": 2,
        "complements": {"collectivite_territoriale": null, "est_service_public": true}
    });
    Json(json!({"results": [decoy, unit], "total_results": 2, "page": 1, "per_page": 10, "total_pages": 1}))
        .into_response()
}

/// What every `Directory` answers, given the fake it is pointed at (whose behaviour it resets).
pub async fn conformance(directory: Arc<dyn Directory>, fake: &FakeDirectory) {
    fake.behave(Behaviour::Answer);
    let open = Establishment {
        siret: Siret::parse("21690266800013").unwrap(),
        name: "COMMUNE DE VILLEURBANNE".into(),
        commune: Some("VILLEURBANNE".into()),
        postcode: Some("69100".into()),
        closed: false,
    };
    let closed = Establishment {
        siret: Siret::parse("21690266800021").unwrap(),
        name: "COMMUNE DE VILLEURBANNE".into(),
        commune: None,
        postcode: None,
        closed: true,
    };
    fake.know(open.clone());
    fake.know(closed.clone());
    assert_eq!(directory.establishment(&open.siret).await.unwrap(), Some(open), "a known establishment");
    assert_eq!(directory.establishment(&closed.siret).await.unwrap(), Some(closed), "a closed one says so");
    let unknown = Siret::parse("21690266800039").unwrap();
    assert_eq!(directory.establishment(&unknown).await.unwrap(), None, "another SIRET of the same unit is unknown");
}
