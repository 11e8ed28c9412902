//! The subscriptions referential, black-box: DataPass creates subscriptions with their
//! accounts, the platform and operators list and read them, the platform updates them, and an
//! `Inactif` subscription becomes `Actif` on its activation date — then, and only then, it
//! receives folders. DataPass onboards organisations the hub does not know, named by a fake of
//! the directory of establishments.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test code: a failed step is a failed test.

use std::sync::Arc;

use hubee_shared::{
    adapters::ManualClock,
    domain::{Account, ActorType, BranchCode, ProcessCode, Siret, SubscriptionStatus, parse_time},
    services::subscriptions::activate_due,
    testkit::directory::Behaviour,
};
use hubee_tests::*;
use reqwest::Method;
use serde_json::{Value, json};

const START: &str = "2026-03-01T10:00:00.000Z";
const DELEGATE: &str = "support@editeur.com";

fn clock() -> ManualClock {
    ManualClock::new(parse_time(START).unwrap())
}

/// A DataPass request subscribing `org` to `process`, administered by `admin`.
fn new_subscription(org: (&str, &str), process: &str, admin: &str) -> Value {
    json!({
        "datapassId": 14632,
        "processCode": process,
        "subscriber": {"type": "SI", "companyRegister": org.0, "branchCode": org.1},
        "accessMode": "PORTAIL",
        "notificationFrequency": "unitaire",
        "email": "etat-civil@mairie.example",
        "localAdministrator": {"firstName": "Claire", "lastName": "MAIRE", "email": admin,
                               "function": "Secrétaire de mairie", "phoneNumber": "+33472000000", "mobileNumber": null}
    })
}

fn delegate() -> Value {
    json!({"firstName": "Samuel", "lastName": "EDITEUR", "email": "Support@Editeur.com"})
}

async fn create(t: &TestHub, token: &str, body: &Value) -> (u16, Value) {
    answer(t.referential(token, Method::POST, "/subscriptions").json(body).send().await.unwrap()).await
}

async fn get(t: &TestHub, token: &str, id: &str) -> (u16, Value) {
    answer(t.referential(token, Method::GET, &format!("/subscriptions/{id}")).send().await.unwrap()).await
}

async fn put(t: &TestHub, token: &str, id: &str, body: &Value) -> (u16, Value) {
    answer(t.referential(token, Method::PUT, &format!("/subscriptions/{id}")).json(body).send().await.unwrap()).await
}

/// `GET /subscriptions?<query>`: status, `Content-Range`, body.
async fn list(t: &TestHub, token: &str, query: &str) -> (u16, String, Value) {
    let r = t.referential(token, Method::GET, &format!("/subscriptions?{query}")).send().await.unwrap();
    let range = r.headers().get("content-range").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
    let (status, body) = answer(r).await;
    (status, range, body)
}

/// The subscribers' SIRETs of a listing, in order.
fn sirets(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|s| s["subscriber"]["companyRegister"].as_str().unwrap()).collect()
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect()
}

/// A one-case CERTDC folder for `org`.
fn folder_for(org: (&str, &str), external_id: &str) -> Value {
    json!({
        "externalId": external_id,
        "processCode": "CERTDC",
        "applicant": {"firstName": "Camille", "lastName": "TESTEUR"},
        "cases": [{"externalId": "C-1", "recipient": recipient(org)}],
        "attachments": [{"fileName": "certificat.pdf", "type": "VA_CertificatdeDeces", "size": 10,
                         "mimeType": "application/pdf", "recipients": ["C-1"]}]
    })
}

async fn deposit(t: &TestHub, org: (&str, &str), external_id: &str) -> (u16, Value) {
    let token = t.operator_token().await;
    answer(t.api(&token, Method::POST, "/folders").json(&folder_for(org, external_id)).send().await.unwrap()).await
}

async fn stored_status(t: &TestHub, org: (&str, &str), process: &str) -> SubscriptionStatus {
    let sub = t
        .hub()
        .state
        .store
        .subscription(
            &Siret::parse(org.0).unwrap(),
            &BranchCode::parse(org.1).unwrap(),
            &ProcessCode::parse(process).unwrap(),
        )
        .await
        .unwrap()
        .expect("stored");
    sub.status
}

fn siret(s: &str) -> Siret {
    Siret::parse(s).unwrap()
}

fn branch(s: &str) -> BranchCode {
    BranchCode::parse(s).unwrap()
}

fn messages(err: &Value) -> Vec<&str> {
    err["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn datapass_creates_an_inactive_subscription_with_the_accounts_it_names() {
    let t = TestHub::spawn_with_clock(Arc::new(clock())).await;
    let datapass = t.datapass_token().await;
    let mut body = new_subscription(MAIRIE_B, PACS, "admin@mairie-b.example");
    body["delegationActor"] = delegate();
    let (status, created) = create(&t, &datapass, &body).await;
    assert_eq!(status, 201, "{created}");
    assert!(uuid::Uuid::parse_str(created["id"].as_str().unwrap()).is_ok());
    assert_eq!(created["status"], "Inactif");
    assert_eq!(created["datapassId"], 14632);
    assert_eq!(created["processCode"], PACS);
    assert_eq!(created["subscriber"], json!({"type": "SI", "companyRegister": MAIRIE_B.0, "branchCode": MAIRIE_B.1}));
    assert_eq!(
        (created["accessMode"].as_str(), created["notificationFrequency"].as_str()),
        (Some("PORTAIL"), Some("unitaire"))
    );
    assert_eq!((&created["activateDateTime"], &created["updateDateTime"]), (&Value::Null, &Value::Null));
    assert_eq!(
        created["localAdministrator"],
        json!({"firstName": "Claire", "lastName": "MAIRE", "email": "admin@mairie-b.example",
               "function": "Secrétaire de mairie", "phoneNumber": "+33472000000", "mobileNumber": null})
    );
    assert_eq!(created["delegationActor"]["email"], DELEGATE, "e-mails are kept lower-case");

    // Both accounts exist, in the subscriber organisation, waiting for activation.
    let store = &t.hub().state.store;
    let admin = store.account("admin@mairie-b.example").await.unwrap().expect("the local administrator's account");
    assert_eq!((admin.actor_type, admin.siret.as_str()), (ActorType::LocalAdmin, MAIRIE_B.0));
    assert_eq!((admin.first_name.as_str(), admin.password_hash.as_deref()), ("Claire", None));
    let delegate_account = store.account(DELEGATE).await.unwrap().expect("the technical delegate's account");
    assert_eq!(delegate_account.actor_type, ActorType::TechnicalDelegate);

    // The same request again is a retry: the subscription it created, nothing more. Another
    // habilitation (datapassId) for the same organisation and procedure: 409, whoever asks.
    let (status, again) = create(&t, &datapass, &body).await;
    assert_eq!((status, &again), (201, &created));
    let mut other_habilitation = body.clone();
    other_habilitation["datapassId"] = json!(14633);
    let (status, err) = create(&t, &t.admin_token().await, &other_habilitation).await;
    assert_eq!(status, 409);
    assert_eq!(messages(&err), [format!("Subscription of SI-{}-{} to {PACS} already exists", MAIRIE_B.0, MAIRIE_B.1)]);

    // Existing accounts are kept as they are: Mairie A's administrator (with a password) and
    // the delegate already created.
    let mut other = new_subscription(MAIRIE_A, PACS, "admin@mairie-a.example");
    other["localAdministrator"]["firstName"] = json!("Autre");
    other["delegationActor"] = delegate();
    let (status, created) = create(&t, &datapass, &other).await;
    assert_eq!(status, 201, "{created}");
    let kept = store.account("admin@mairie-a.example").await.unwrap().unwrap();
    assert_eq!(kept.first_name, "Alice");
    assert!(kept.password_hash.is_some(), "an active account keeps its password");
    // The delegate, whose own organisation is Mairie B, is invited to serve Mairie A: no access
    // there until it accepts from the portal.
    let invited = store.account(DELEGATE).await.unwrap().unwrap();
    assert_eq!(Account { delegations: Vec::new(), ..invited.clone() }, delegate_account, "its profile is kept");
    let invitations: Vec<_> = invited.invitations().map(|d| d.organisation.siret.as_str()).collect();
    assert_eq!(invitations, [MAIRIE_A.0]);
    assert_eq!(invited.organisations().len(), 1);
    let invitation = t.wait_for_email_with_subject(DELEGATE, "HubEE : invitation à intervenir pour Mairie A", 1).await;
    assert!(invitation.text.contains(MAIRIE_A.0), "{}", invitation.text);

    // Only DataPass and the platform create subscriptions.
    let mut third = new_subscription(MAIRIE_UNSUBSCRIBED, PACS, "admin@mairie-c.example");
    for token in [t.operator_token().await, t.si_token().await] {
        let (status, err) = create(&t, &token, &third).await;
        assert_eq!((status, messages(&err)), (403, vec!["Unauthorized user"]));
    }
    third["status"] = json!("Inactif");
    assert_eq!(create(&t, &t.admin_token().await, &third).await.0, 201, "the platform may, and may say Inactif");
}

#[tokio::test]
async fn a_malformed_or_unknown_subscription_is_refused_with_every_problem_listed() {
    let t = TestHub::spawn().await;
    let datapass = t.datapass_token().await;
    let body = json!({
        "processCode": "x".repeat(31),
        "subscriber": {"type": "OSL", "companyRegister": "123", "branchCode": "75108"},
        "notificationFrequency": "hebdomadaire",
        "email": "nobody",
        "localAdministrator": {"email": "x@y"},
        "status": "Enabled"
    });
    let (status, err) = create(&t, &datapass, &body).await;
    assert_eq!(status, 400);
    let message = messages(&err)[0];
    assert!(message.starts_with("Bad Request : Validation failed.\n"), "{message}");
    for needle in [
        "[ERROR][REQUEST][POST /referential/v1/subscriptions @body] Object has missing required properties ([\"datapassId\"])",
        "@body.processCode] String is too long (length: 31, maximum allowed: 30)",
        "@body.subscriber.type] Instance value (\"OSL\") not found in enum (possible values: [\"SI\"])",
        "@body.subscriber.companyRegister]",
        "@body.notificationFrequency] Instance value (\"hebdomadaire\")",
        "@body.email]",
        "@body.localAdministrator] Object has missing required properties ([\"firstName\"])",
        "@body.localAdministrator] Object has missing required properties ([\"lastName\"])",
        "@body.localAdministrator.email] ECMA 262 regex",
        "@body.status] Instance value (\"Enabled\")",
    ] {
        assert!(message.contains(needle), "{needle} in:\n{message}");
    }
    assert_eq!(message.lines().count(), 11, "one line per problem:\n{message}");

    // The referential: an unknown procedure (the unknown organisation would be onboarded, but
    // nothing is created for a refused request).
    let (status, err) = create(&t, &datapass, &new_subscription(MAIRIE_UNKNOWN, "NOPE", "a@mairie.fr")).await;
    assert_eq!(status, 400);
    assert_eq!(messages(&err), ["Process NOPE does not exist"]);
    assert!(
        t.hub().state.store.organisation(&siret(MAIRIE_UNKNOWN.0), &branch(MAIRIE_UNKNOWN.1)).await.unwrap().is_none()
    );
    let (status, err) = create(&t, &datapass, &new_subscription((OPERATOR_SIRET, "00000"), PACS, "a@mairie.fr")).await;
    assert_eq!(status, 400);
    assert!(messages(&err)[0].contains("is not an instructing service (SI)"), "{err}");

    // A subscription starts Inactif; malformed JSON gets the contract's body.
    let mut active = new_subscription(MAIRIE_A, PACS, "a@mairie.fr");
    active["status"] = json!("Actif");
    let (status, err) = create(&t, &datapass, &active).await;
    assert_eq!(status, 400);
    assert!(messages(&err)[0].starts_with("A subscription is created Inactif"), "{err}");
    let r = t
        .referential(&datapass, Method::POST, "/subscriptions")
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(answer(r).await.0, 400);

    // Nothing was stored.
    let (status, range, list) = list(&t, &t.admin_token().await, &format!("processCode={PACS}")).await;
    assert_eq!((status, range.as_str(), list), (200, "subscriptions */0", json!([])));
    assert!(t.hub().state.store.account("a@mairie.fr").await.unwrap().is_none());
}

#[tokio::test]
async fn subscriptions_are_listed_with_every_filter_in_either_order_and_by_page() {
    let t = TestHub::spawn_with_clock(Arc::new(clock())).await;
    let datapass = t.datapass_token().await;
    let admin = t.admin_token().await;
    // A: its activation date has passed (Actif); B: not yet (Inactif); C: suspended.
    let mut a = new_subscription(MAIRIE_A, PACS, "admin@mairie-a.example");
    a["notificationFrequency"] = json!("quotidienne");
    a["activateDateTime"] = json!("2026-02-01T00:00:00.000Z");
    a["delegationActor"] = delegate();
    let mut b = new_subscription(MAIRIE_B, PACS, "admin@mairie-b.example");
    b["notificationFrequency"] = json!("aucune");
    b["activateDateTime"] = json!("2026-04-01T00:00:00.000Z");
    let mut c = new_subscription(MAIRIE_UNSUBSCRIBED, PACS, "admin@mairie-c.example");
    c["delegationActor"] = json!({"firstName": "Samuel", "lastName": "EDITEUR", "email": DELEGATE});
    let mut created = Vec::new();
    for body in [&a, &b, &c] {
        let (status, s) = create(&t, &datapass, body).await;
        assert_eq!(status, 201, "{s}");
        created.push(s);
    }
    let mut suspend = created[2].clone();
    suspend["status"] = json!("Suspendu");
    assert_eq!(put(&t, &admin, created[2]["id"].as_str().unwrap(), &suspend).await.0, 200);
    let (sa, sb, sc) = (MAIRIE_A.0, MAIRIE_B.0, MAIRIE_UNSUBSCRIBED.0);

    // By default: by procedure, then subscriber.
    let (status, range, all) = list(&t, &admin, &format!("processCode={PACS}")).await;
    assert_eq!(status, 200, "{all}");
    assert_eq!((range.as_str(), sirets(&all)), ("subscriptions 0-2/3", vec![sa, sb, sc]));
    assert_eq!(all[0]["status"], "Actif", "a passed activation date reads Actif");
    assert_eq!(all[0]["localAdministrator"], json!({"email": "admin@mairie-a.example"}), "readers get e-mails only");
    assert_eq!(all[0]["delegationActor"], json!({"email": DELEGATE}));

    // Each filter.
    let filters: Vec<(String, Vec<&str>)> = vec![
        ("status=Actif".into(), vec![sa]),
        ("status=Inactif".into(), vec![sb]),
        ("status=Suspendu".into(), vec![sc]),
        ("status=Refus%C3%A9".into(), vec![]),
        (format!("companyRegister={sb}"), vec![sb]),
        ("delegationActorEmail=Support@Editeur.com".into(), vec![sa, sc]),
        ("delegationActorEmail=nobody@editeur.com".into(), vec![]),
    ];
    for (filter, expected) in filters {
        let (status, _, found) = list(&t, &admin, &format!("processCode={PACS}&{filter}")).await;
        assert_eq!((status, sirets(&found)), (200, expected), "{filter}");
    }

    // Repeated processCode, in the three spellings.
    let (_, _, certdc) = list(&t, &admin, "processCode=CERTDC").await;
    let certdc = certdc.as_array().unwrap().len();
    for query in [
        format!("processCode={PACS}&processCode=CERTDC"),
        format!("processCode%5B%5D={PACS}&processCode%5B%5D=CERTDC"),
        format!("processCode=CERTDC,{PACS}"),
    ] {
        let (status, range, both) = list(&t, &admin, &query).await;
        assert_eq!(status, 200, "{query}");
        assert!(created.iter().all(|s| ids(&both).contains(&s["id"].as_str().unwrap())), "{query}");
        assert_eq!(range, format!("subscriptions 0-{}/{}", certdc + 2, certdc + 3), "{query}");
    }
    // Without a filter, the platform reads every procedure's subscriptions.
    let (_, range, everything) = list(&t, &admin, "maxResult=1000").await;
    let total = everything.as_array().unwrap().len();
    assert!(total >= certdc + 3 && range == format!("subscriptions 0-{}/{total}", total - 1), "{range}");
    assert!(created.iter().all(|s| ids(&everything).contains(&s["id"].as_str().unwrap())));

    // Order, both ways.
    for (order, expected) in [
        ("asc(si_company_register)", vec![sa, sb, sc]),
        ("desc(si_company_register)", vec![sc, sb, sa]),
        ("asc(notification_frequency)", vec![sb, sa, sc]),
        ("desc(notification_frequency)", vec![sc, sa, sb]),
        ("asc(activate_date_time)", vec![sa, sb, sc]),
        ("desc(activate_date_time)", vec![sc, sb, sa]),
        ("asc(status)", vec![sa, sb, sc]),
        ("desc(status)", vec![sc, sb, sa]),
        ("desc(delegation_actor)", vec![sb, sa, sc]),
    ] {
        let (status, _, sorted) = list(&t, &admin, &format!("processCode={PACS}&orderBy={order}")).await;
        assert_eq!((status, sirets(&sorted)), (200, expected), "{order}");
    }

    // Pages, with the exact Content-Range.
    for (page, range_expected, expected) in [
        ("maxResult=2", "subscriptions 0-1/3", vec![sa, sb]),
        ("offSet=1&maxResult=1", "subscriptions 1-1/3", vec![sb]),
        ("offSet=2&maxResult=5", "subscriptions 2-2/3", vec![sc]),
        ("offSet=3", "subscriptions */3", vec![]),
        ("offSet=0&maxResult=2&orderBy=desc(si_company_register)", "subscriptions 0-1/3", vec![sc, sb]),
    ] {
        let (status, range, found) = list(&t, &admin, &format!("processCode={PACS}&{page}")).await;
        assert_eq!((status, range.as_str(), sirets(&found)), (200, range_expected, expected), "{page}");
    }

    // Bad parameters: every problem listed.
    let (status, _, err) = list(&t, &admin, "processType=CERTDC&offSet=-1&maxResult=ten&orderBy=asc(name)").await;
    assert_eq!(status, 400);
    let message = messages(&err)[0];
    assert!(
        message.contains(
            "[ERROR][REQUEST][GET /referential/v1/subscriptions @query.processType] Query parameter 'processType' is unexpected on path \"/subscriptions\""
        ),
        "{message}"
    );
    assert!(
        message.contains("@query.offSet]")
            && message.contains("@query.maxResult]")
            && message.contains("@query.orderBy]")
    );
    assert_eq!(message.lines().count(), 5, "{message}");
    for bad in [
        "orderBy=sideways",
        "orderBy=desc(id",
        "maxResult=0",
        "offSet=1.5",
        "companyRegister=123",
        "status=Active",
        "status=Actif&status=Inactif",
    ] {
        assert_eq!(list(&t, &admin, bad).await.0, 400, "{bad}");
    }
}

#[tokio::test]
async fn an_operator_sees_only_the_subscriptions_to_the_procedures_it_runs() {
    let t = TestHub::spawn().await;
    let (status, pacs) =
        create(&t, &t.datapass_token().await, &new_subscription(MAIRIE_UNSUBSCRIBED, PACS, "admin@mairie-c.example"))
            .await;
    assert_eq!(status, 201, "{pacs}");
    let id = pacs["id"].as_str().unwrap();
    let dila = t.other_operator_token().await;
    let dgs = t.operator_token().await;

    // DILA runs EtatCivil and the PACS; DGS runs CERTDC.
    let (status, _, seen) = list(&t, &dila, "").await;
    assert_eq!(status, 200);
    let procedures: Vec<&str> = seen.as_array().unwrap().iter().map(|s| s["processCode"].as_str().unwrap()).collect();
    assert!(procedures.contains(&PACS) && procedures.contains(&"EtatCivil"), "{procedures:?}");
    assert!(procedures.iter().all(|p| [PACS, "EtatCivil"].contains(p)), "{procedures:?}");
    let (_, _, seen) = list(&t, &dgs, "").await;
    assert!(seen.as_array().unwrap().iter().any(|s| s["processCode"] == "CERTDC"));
    assert!(seen.as_array().unwrap().iter().all(|s| s["processCode"] != PACS && s["processCode"] != "EtatCivil"));
    let (status, range, none) = list(&t, &dgs, &format!("processCode={PACS}")).await;
    assert_eq!((status, range.as_str(), none), (200, "subscriptions */0", json!([])), "asking does not widen the view");

    // One subscription: its operator and the platform read it; nobody else.
    assert_eq!(get(&t, &dila, id).await.0, 200);
    let (status, read) = get(&t, &t.admin_token().await, id).await;
    assert_eq!(status, 200);
    assert_eq!(read["id"], pacs["id"]);
    assert_eq!(read["localAdministrator"], json!({"email": "admin@mairie-c.example"}));
    let (status, err) = get(&t, &dgs, id).await;
    assert_eq!((status, messages(&err)), (403, vec!["Unauthorized user"]));
    for token in [t.si_token().await, t.datapass_token().await] {
        assert_eq!(get(&t, &token, id).await.0, 403);
        assert_eq!(list(&t, &token, "").await.0, 403);
    }

    // Unknown and malformed ids.
    let (status, err) = get(&t, &dila, &uuid::Uuid::new_v4().to_string()).await;
    assert_eq!((status, messages(&err)), (404, vec!["Subscription is not found"]));
    let (status, err) = get(&t, &dila, "23133").await;
    assert_eq!(status, 400);
    assert_eq!(
        messages(&err),
        [
            "Bad Request : Validation failed.\n[ERROR][REQUEST][GET /referential/v1/subscriptions/23133 @path.subscriptionId] Input string \"23133\" is not a valid UUID"
        ]
    );
    let r = t.referential(&dila, Method::GET, &format!("/subscriptions/{id}?status=Actif")).send().await.unwrap();
    assert_eq!(r.status(), 400, "a read by id takes no query parameter");
    let (status, err) =
        answer(t.request(Method::GET, &format!("/referential/v1/subscriptions/{id}")).send().await.unwrap()).await;
    assert_eq!((status, err["errors"][0]["code"].as_i64()), (401, Some(900_901)));
}

#[tokio::test]
async fn an_update_changes_what_it_gives_and_keeps_the_status_unless_given() {
    let clock = clock();
    let t = TestHub::spawn_with_clock(Arc::new(clock.clone())).await;
    let admin = t.admin_token().await;
    let mut body = new_subscription(MAIRIE_A, PACS, "admin@mairie-a.example");
    body["rejectionReason"] = json!("pending review");
    let (_, created) = create(&t, &t.datapass_token().await, &body).await;
    let id = created["id"].as_str().unwrap();
    let later = "2026-03-01T10:05:00.000Z";
    clock.set(parse_time(later).unwrap());

    // No status: the status stays; what is given changes, `null` clears, the rest stays.
    let change = json!({
        "datapassId": 20001,
        "processCode": PACS,
        "subscriber": {"type": "SI", "companyRegister": MAIRIE_A.0, "branchCode": MAIRIE_A.1},
        "notificationFrequency": "quotidienne",
        "accessMode": "API",
        "rejectionReason": null,
        "localAdministrator": {"email": "admin@mairie-a.example"}
    });
    let (status, updated) = put(&t, &admin, id, &change).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["status"], "Inactif");
    assert_eq!((updated["datapassId"].as_i64(), updated["accessMode"].as_str()), (Some(20001), Some("API")));
    assert_eq!(updated["notificationFrequency"], "quotidienne");
    assert_eq!(
        (&updated["rejectionReason"], updated["email"].as_str()),
        (&Value::Null, Some("etat-civil@mairie.example"))
    );
    assert_eq!(updated["updateDateTime"], later);
    assert_eq!(get(&t, &admin, id).await.1, updated, "the change is stored");
    let sub = t.hub().state.store.subscription_by_id(id.parse().unwrap()).await.unwrap().unwrap().value;
    assert_eq!(
        sub.local_administrator.unwrap().first_name.as_deref(),
        Some("Claire"),
        "an administrator named by e-mail alone keeps the names given before"
    );

    // A status: it changes, and the activation date is set when there was none.
    let mut activate = change.clone();
    activate["status"] = json!("Actif");
    let (status, active) = put(&t, &admin, id, &activate).await;
    assert_eq!(
        (status, active["status"].as_str(), active["activateDateTime"].as_str()),
        (200, Some("Actif"), Some(later))
    );
    let (status, still) = put(&t, &admin, id, &change).await;
    assert_eq!((status, still["status"].as_str()), (200, Some("Actif")), "no status keeps Actif");
    let mut refuse = change.clone();
    refuse["status"] = json!("Refusé");
    refuse["rejectionReason"] = json!("Habilitation révoquée");
    let (status, refused) = put(&t, &admin, id, &refuse).await;
    assert_eq!(status, 200);
    assert_eq!(
        (refused["status"].as_str(), refused["rejectDateTime"].as_str(), refused["rejectionReason"].as_str()),
        (Some("Refusé"), Some(later), Some("Habilitation révoquée"))
    );

    // A new delegate gets an account; one named by e-mail alone needs an existing account.
    let mut with_delegate = change.clone();
    with_delegate["delegationActor"] = json!({"firstName": "Nina", "lastName": "TECH", "email": "nina@editeur.com"});
    assert_eq!(put(&t, &admin, id, &with_delegate).await.0, 200);
    let account = t.hub().state.store.account("nina@editeur.com").await.unwrap().expect("the delegate's account");
    assert_eq!((account.actor_type, account.siret.as_str()), (ActorType::TechnicalDelegate, MAIRIE_A.0));
    with_delegate["delegationActor"] = json!({"email": "ghost@editeur.com"});
    let (status, err) = put(&t, &admin, id, &with_delegate).await;
    assert_eq!(status, 400);
    assert_eq!(
        messages(&err),
        ["No account exists for ghost@editeur.com: firstName and lastName are needed to create it"]
    );
    with_delegate["delegationActor"] = Value::Null;
    let (status, cleared) = put(&t, &admin, id, &with_delegate).await;
    assert_eq!((status, &cleared["delegationActor"]), (200, &Value::Null));

    // What identifies a subscription cannot change; the body follows the schema.
    let mut moved = change.clone();
    moved["processCode"] = json!("CERTDC");
    moved["subscriber"]["branchCode"] = json!("75109");
    let (status, err) = put(&t, &admin, id, &moved).await;
    assert_eq!(status, 400);
    assert_eq!(messages(&err).len(), 2, "{err}");
    let (status, err) = put(&t, &admin, id, &json!({"status": "Actif"})).await;
    assert_eq!(status, 400);
    let message = messages(&err)[0];
    for field in ["datapassId", "processCode", "subscriber", "notificationFrequency", "localAdministrator"] {
        assert!(message.contains(&format!("[\"{field}\"]")), "{field} in {message}");
    }

    // Only the platform updates; unknown and malformed ids.
    for token in [t.datapass_token().await, t.other_operator_token().await] {
        assert_eq!(put(&t, &token, id, &change).await.0, 403);
    }
    let (status, err) = put(&t, &admin, &uuid::Uuid::new_v4().to_string(), &change).await;
    assert_eq!((status, messages(&err)), (404, vec!["Subscription is not found"]));
    assert_eq!(put(&t, &admin, "23133", &change).await.0, 400);
}

#[tokio::test]
async fn a_subscription_becomes_active_on_its_activation_date_and_only_then_receives_folders() {
    let clock = clock();
    let t = TestHub::spawn_with_clock(Arc::new(clock.clone())).await;
    let mut body = new_subscription(MAIRIE_UNSUBSCRIBED, "CERTDC", "admin@mairie-c.example");
    // 07:00 UTC the next day, written in Paris time.
    body["activateDateTime"] = json!("2026-03-02T08:00:00+01:00");
    let (status, created) = create(&t, &t.datapass_token().await, &body).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["activateDateTime"], "2026-03-02T07:00:00.000Z");
    let id = created["id"].as_str().unwrap().to_owned();

    // Before the date: Inactif, and no folder for it.
    let admin = t.admin_token().await;
    assert_eq!(get(&t, &admin, &id).await.1["status"], "Inactif");
    let (status, err) = deposit(&t, MAIRIE_UNSUBSCRIBED, "DGS-ACTIVATION-1").await;
    assert_eq!(status, 400);
    assert_eq!(
        messages(&err),
        [format!("Case recipient SI-{}-{} does not suscribed to CERTDC", MAIRIE_UNSUBSCRIBED.0, MAIRIE_UNSUBSCRIBED.1)]
    );
    assert_eq!(activate_due(&t.hub().state).await.unwrap(), 0, "nothing is due yet");

    // At the date: reads say Actif before the scheduled task has run, and folders go through.
    clock.set(parse_time("2026-03-02T07:00:00Z").unwrap());
    let admin = t.admin_token().await;
    assert_eq!(get(&t, &admin, &id).await.1["status"], "Actif");
    assert_eq!(stored_status(&t, MAIRIE_UNSUBSCRIBED, "CERTDC").await, SubscriptionStatus::Inactif);
    let (_, _, active) = list(&t, &admin, "processCode=CERTDC&status=Actif").await;
    assert!(ids(&active).contains(&id.as_str()), "{active}");
    let (status, folder) = deposit(&t, MAIRIE_UNSUBSCRIBED, "DGS-ACTIVATION-2").await;
    assert_eq!(status, 201, "{folder}");

    // The scheduled task stores it, once.
    assert_eq!(activate_due(&t.hub().state).await.unwrap(), 1);
    assert_eq!(stored_status(&t, MAIRIE_UNSUBSCRIBED, "CERTDC").await, SubscriptionStatus::Actif);
    let (_, read) = get(&t, &admin, &id).await;
    assert_eq!(
        (read["status"].as_str(), read["updateDateTime"].as_str()),
        (Some("Actif"), Some("2026-03-02T07:00:00.000Z"))
    );
    assert_eq!(activate_due(&t.hub().state).await.unwrap(), 0, "an activated subscription leaves the activation index");
    let state = &t.hub().state;
    assert!(state.store.subscriptions_due(state.clock.now()).await.unwrap().is_empty());
}

#[tokio::test]
async fn reloading_the_provisioning_file_keeps_what_the_api_added_to_a_subscription() {
    let t = TestHub::spawn().await;
    let admin = t.admin_token().await;
    let (_, _, seeded) = list(&t, &admin, &format!("processCode=CERTDC&companyRegister={}", MAIRIE_A.0)).await;
    let id = seeded[0]["id"].as_str().unwrap();
    assert_eq!(seeded[0]["datapassId"], Value::Null);
    let mut change = seeded[0].clone();
    change["datapassId"] = json!(777);
    change["localAdministrator"] = json!({"email": "admin@mairie-a.example"});
    let (status, updated) = put(&t, &admin, id, &change).await;
    assert_eq!((status, updated["status"].as_str()), (200, Some("Actif")), "{updated}");

    let text = std::fs::read_to_string(t.dir.path().join("seed.json")).unwrap();
    let report = hubee_shared::seed::Provisioning::parse(&text).unwrap().load(&t.hub().state.store).await.unwrap();
    assert_eq!(report.written, 0, "{report:?}");
    assert_eq!(get(&t, &admin, id).await.1, updated);
}

// ---------------------------------------------------------------------------------------------
// Onboarding through DataPass
// ---------------------------------------------------------------------------------------------

/// Communes the referential does not know (SIRET, branch code).
const VILLEURBANNE: (&str, &str) = ("21690266800013", "69266");
const SAINT_PRIEST: (&str, &str) = ("21690290800013", "69290");
const VENISSIEUX: (&str, &str) = ("21690123000013", "69259");

fn onboarding(org: (&str, &str), datapass_id: i64, admin: &str) -> Value {
    let mut body = new_subscription(org, "CERTDC", admin);
    body["datapassId"] = json!(datapass_id);
    body["email"] = json!("etat-civil@villeurbanne.example");
    body
}

async fn organisation(t: &TestHub, org: (&str, &str)) -> Option<hubee_shared::domain::Organisation> {
    t.hub().state.store.organisation(&siret(org.0), &branch(org.1)).await.unwrap()
}

/// A one-case CERTDC folder for `org`, with the kit's certificate.
fn certificate_for(org: (&str, &str), external_id: &str) -> (Value, Vec<hubee_tests::folders::File>) {
    let file = sample("CERTDC", hubee_tests::folders::VA_PDF);
    let body = json!({
        "externalId": external_id, "processCode": "CERTDC",
        "applicant": {"firstName": "Camille", "lastName": "TESTEUR"},
        "cases": [{"externalId": "C-1", "recipient": recipient(org)}],
        "attachments": [{"fileName": file.0, "type": "VA_CertificatdeDeces", "size": file.2.len(),
                         "mimeType": file.1, "recipients": ["C-1"]}]
    });
    (body, vec![file])
}

#[tokio::test]
async fn datapass_onboards_an_unknown_commune_whose_administrator_activates_it_and_receives_folders() {
    let t = TestHub::spawn().await;
    t.directory.know_open(VILLEURBANNE.0, "COMMUNE DE VILLEURBANNE", "VILLEURBANNE");
    let admin = "claire.maire@villeurbanne.example";

    // DataPass subscribes a commune the hub has never heard of.
    let (status, created) = create(&t, &t.datapass_token().await, &onboarding(VILLEURBANNE, 31001, admin)).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["status"], "Inactif");
    assert_eq!(created["subscriber"], recipient(VILLEURBANNE));
    let id = created["id"].as_str().unwrap().to_owned();

    // The organisation exists, named by the directory, and the platform sees the subscription.
    let org = organisation(&t, VILLEURBANNE).await.expect("the commune is onboarded");
    assert_eq!(org.name, "COMMUNE DE VILLEURBANNE");
    assert_eq!((org.org_type, org.to_complete, org.closed_at), (hubee_shared::domain::OrgType::Si, false, None));
    let (status, _, listed) =
        list(&t, &t.admin_token().await, &format!("processCode=CERTDC&companyRegister={}", VILLEURBANNE.0)).await;
    assert_eq!((status, ids(&listed)), (200, vec![id.as_str()]));
    assert_eq!(listed[0]["status"], "Inactif");

    // No folder before the administrator activates the subscription.
    let operator = t.operator_token().await;
    let (folder, files) = certificate_for(VILLEURBANNE, "DGS-ONBOARD-1");
    let (status, err) = hubee_tests::folders::create(&t, &operator, &folder).await;
    assert_eq!(status, 400, "{err}");

    // The local administrator chooses a password from the activation e-mail and signs in.
    let activation = t.wait_for_email_with_subject(admin, ACTIVATION_SUBJECT, 1).await;
    let token = link_token_in(&activation).expect("an activation link");
    let r = t.portal(Method::POST, "/password").json(&json!({"token": token, "password": "Villeurbanne-2026!"}));
    assert_eq!(r.send().await.unwrap().status(), 204);
    let session = t.sign_in(admin, "Villeurbanne-2026!").await;
    assert_eq!(session.me["actorType"], "LOCAL_ADMIN");

    // The portal lists the subscription; its administrator activates it from now.
    let (status, mine) = answer(t.portal_as(&session, Method::GET, "/subscriptions").send().await.unwrap()).await;
    assert_eq!(status, 200, "{mine}");
    let rows: Vec<&str> = mine["items"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(rows, [id.as_str()]);
    let (_, detail) =
        answer(t.portal_as(&session, Method::GET, &format!("/subscriptions/{id}")).send().await.unwrap()).await;
    assert_eq!(detail["subscriber"]["name"], "COMMUNE DE VILLEURBANNE", "{detail}");
    let from = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let r = t
        .portal_as(&session, Method::PUT, &format!("/subscriptions/{id}/activation"))
        .json(&json!({"activateDateTime": from}));
    let (status, activated) = answer(r.send().await.unwrap()).await;
    assert_eq!((status, activated["status"].as_str()), (200, Some("Actif")), "{activated}");

    // The operator's folder now reaches the commune: its notification address hears of it.
    let deposited = hubee_tests::folders::deposit(&t, &operator, &folder, &files).await;
    assert_eq!(deposited["cases"][0]["recipient"], recipient(VILLEURBANNE));
    let notified = t.wait_for_emails("etat-civil@villeurbanne.example", 1).await;
    assert_eq!(notified.len(), 1, "{notified:?}");
    assert_eq!(t.directory.lookups(), 1, "the directory is asked once, when the commune is unknown");
}

#[tokio::test]
async fn an_onboarded_organisation_is_named_by_the_request_when_the_directory_cannot_else_left_to_complete() {
    let t = TestHub::spawn().await;
    let datapass = t.datapass_token().await;

    // Unknown to the directory: the request's name.
    let mut named = onboarding(SAINT_PRIEST, 31002, "maire@saint-priest.example");
    named["subscriber"]["name"] = json!("Mairie de Saint-Priest");
    let (status, created) = create(&t, &datapass, &named).await;
    assert_eq!(status, 201, "{created}");
    let org = organisation(&t, SAINT_PRIEST).await.unwrap();
    assert_eq!((org.name.as_str(), org.to_complete), ("Mairie de Saint-Priest", false));

    // The directory failing does not fail the onboarding; nobody naming it: "à compléter", for
    // the national administrator. The platform onboards as DataPass does.
    t.directory.behave(Behaviour::Status(503));
    let (status, created) =
        create(&t, &t.admin_token().await, &onboarding(VENISSIEUX, 31003, "maire@venissieux.example")).await;
    assert_eq!(status, 201, "{created}");
    let org = organisation(&t, VENISSIEUX).await.unwrap();
    assert_eq!((org.name, org.to_complete), (format!("À compléter (SIRET {})", VENISSIEUX.0), true));
    t.wait_for_email_with_subject("maire@venissieux.example", ACTIVATION_SUBJECT, 1).await;
    assert_eq!(t.directory.lookups(), 2);
}

#[tokio::test]
async fn onboarding_is_idempotent_checks_the_siret_and_is_datapass_and_the_platforms_alone() {
    let t = TestHub::spawn().await;
    t.directory.know_open(VILLEURBANNE.0, "COMMUNE DE VILLEURBANNE", "VILLEURBANNE");
    let datapass = t.datapass_token().await;
    let admin = "claire.maire@villeurbanne.example";
    let body = onboarding(VILLEURBANNE, 31004, admin);

    // DataPass delivers the same habilitation twice: one organisation, one subscription, one
    // account and one activation e-mail.
    let (status, first) = create(&t, &datapass, &body).await;
    assert_eq!(status, 201, "{first}");
    let (status, second) = create(&t, &datapass, &body).await;
    assert_eq!((status, &second), (201, &first));
    let store = &t.hub().state.store;
    let subscriptions =
        store.subscriptions_of_organisation(&siret(VILLEURBANNE.0), &branch(VILLEURBANNE.1)).await.unwrap();
    assert_eq!(subscriptions.len(), 1);
    let accounts = store
        .accounts_of_organisation(&hubee_shared::domain::OrgId {
            siret: siret(VILLEURBANNE.0),
            branch_code: branch(VILLEURBANNE.1),
        })
        .await
        .unwrap();
    assert_eq!(accounts.iter().map(|a| a.email.as_str()).collect::<Vec<_>>(), [admin]);
    assert_eq!(t.directory.lookups(), 1, "the retry found the organisation created");
    t.wait_for_email_with_subject(admin, ACTIVATION_SUBJECT, 1).await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(t.emails_with_subject(admin, ACTIVATION_SUBJECT).len(), 1, "one activation e-mail");

    // A SIRET failing the Luhn check is malformed: nothing is asked or created.
    let wrong = ("21690266800014", "69266");
    let (status, err) = create(&t, &datapass, &onboarding(wrong, 31005, "x@villeurbanne.example")).await;
    assert_eq!(status, 400);
    assert!(messages(&err)[0].contains("@body.subscriber.companyRegister]"), "{err}");
    assert_eq!(t.directory.lookups(), 1, "a malformed request asks nothing");

    // Operators and instructing services create no subscription, and so onboard nobody.
    for token in [t.si_token().await, t.operator_token().await] {
        let (status, err) = create(&t, &token, &onboarding(SAINT_PRIEST, 31006, "maire@saint-priest.example")).await;
        assert_eq!((status, messages(&err)), (403, vec!["Unauthorized user"]));
    }
    assert!(organisation(&t, SAINT_PRIEST).await.is_none());
    assert_eq!(t.directory.lookups(), 1);
}

#[tokio::test]
async fn a_closed_organisation_gets_no_new_subscription() {
    let t = TestHub::spawn().await;
    let store = &t.hub().state.store;
    let mut closed = organisation(&t, MAIRIE_UNSUBSCRIBED).await.unwrap();
    closed.closed_at = Some(chrono::Utc::now());
    store.save_organisation(&closed).await.unwrap();
    let (status, err) =
        create(&t, &t.datapass_token().await, &new_subscription(MAIRIE_UNSUBSCRIBED, PACS, "admin@mairie-c.example"))
            .await;
    assert_eq!(status, 400);
    assert_eq!(
        err,
        json!({"errors": [{"code": 400, "message": format!(
            "Subscriber SI-{}-{} is closed: it takes no new subscription", MAIRIE_UNSUBSCRIBED.0, MAIRIE_UNSUBSCRIBED.1
        )}]})
    );
    assert!(
        store
            .subscription(
                &siret(MAIRIE_UNSUBSCRIBED.0),
                &branch(MAIRIE_UNSUBSCRIBED.1),
                &ProcessCode::parse(PACS).unwrap()
            )
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.account("admin@mairie-c.example").await.unwrap().is_none());
}
